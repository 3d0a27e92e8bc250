// Package config reads Rigger's configuration from environment variables,
// with the documented defaults of a developer laptop. Secrets may be given
// directly or through a *_FILE variable (Kubernetes secrets mounted as files).
package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything a Rigger process may need; each command uses a part.
type Config struct {
	DataDir string

	TemporalAddress   string
	TemporalNamespace string
	TemporalAPIKey    string
	TemporalTLSCert   string
	TemporalTLSKey    string
	TemporalTLSCA     string
	TemporalTLSServer string
	TemporalTLS       bool

	DatabaseURL  string
	DBRolePrefix string
	SecretKey    string

	APIAddr    string
	WorkerAddr string
	AdminKey   string

	RedisURL string

	StorageBackend string
	StorageDir     string
	S3Endpoint     string
	S3Region       string
	S3Bucket       string
	S3AccessKey    string
	S3SecretKey    string
	S3PathStyle    bool
	S3Insecure     bool

	GitProvider string
	GitAPIURL   string
	GitToken    string
	GitOwner    string

	Kubeconfig      string
	KubeInCluster   bool
	ArgoNamespace   string
	ArgoProject     string
	ArgoSyncTimeout time.Duration
	BackstageImage  string
	TaskQueues      []string
	OIDCIssuer      string
	OIDCAudience    string
	OIDCTenantClaim string
	OIDCRolesClaim  string
	OIDCAdminRole   string
	RateLimit       float64
	RateBurst       int
	CodecKeys       string
	CodecOrigins    []string
	BillingCron     string
	BackupCron      string
	DrillCron       string
	PausedSchedules map[string]bool
	LogLevel        string
	LogFormat       string
	DevServerBinary string
	DevServerUIPort int
	DevServerPort   int

	// BillingWebhookURL receives a signed POST per issued invoice (empty:
	// no notification); BillingWebhookSecret is the HMAC key, required
	// with a URL.
	BillingWebhookURL    string
	BillingWebhookSecret string

	// Backups and DR drills. BackupKeepDaily/Weekly are the retention rules
	// (RIGGER_BACKUP_KEEP_DAILY, default 7; RIGGER_BACKUP_KEEP_WEEKLY,
	// default 4); DRRPOObjective fails a drill whose latest backup is older
	// (RIGGER_DR_RPO_OBJECTIVE, default 26h: a daily backup plus slack);
	// DRDrillSample is how many active tenants a drill restores
	// (RIGGER_DR_DRILL_SAMPLE, default 0: all); AlertWebhookURL receives a
	// JSON POST when a drill or backup run fails (RIGGER_ALERT_WEBHOOK_URL);
	// BackupParallel is how many tables one backup or restore copies at once
	// (RIGGER_BACKUP_PARALLEL, default 2).
	BackupKeepDaily  int
	BackupKeepWeekly int
	DRRPOObjective   time.Duration
	DRDrillSample    int
	AlertWebhookURL  string
	BackupParallel   int

	// TechDocs builds. TechDocsGitAllowed are the URL prefixes a build may
	// clone from (RIGGER_TECHDOCS_GIT_ALLOWED, comma-separated; default
	// https://github.com/, https://gitlab.com/, https://bitbucket.org/);
	// TechDocsGitUsername/Token are HTTP credentials sent to them
	// (RIGGER_TECHDOCS_GIT_USERNAME, RIGGER_TECHDOCS_GIT_TOKEN[_FILE]; every
	// tenant can build what the token reads). TechDocsSourceRoot enables
	// path sources under <root>/<tenant>/ (RIGGER_TECHDOCS_SOURCE_ROOT;
	// empty: disabled). TechDocsMaxSourceMB bounds a clone on disk
	// (RIGGER_TECHDOCS_MAX_SOURCE_MB, default 256).
	TechDocsGitAllowed  []string
	TechDocsGitUsername string
	TechDocsGitToken    string
	TechDocsSourceRoot  string
	TechDocsMaxSourceMB int

	// Scaffolder: ScaffolderConcurrency is how many runs of one tenant
	// execute at once (RIGGER_SCAFFOLDER_CONCURRENCY, default 10; more wait
	// in the tenant's queue). ScaffolderIntegrations is a JSON list of git
	// hosts templates publish to, [{"host","type","apiUrl","token"}]
	// (RIGGER_SCAFFOLDER_INTEGRATIONS or _FILE; default: the RIGGER_GIT_*
	// provider as github.com or gitlab.com).
	ScaffolderConcurrency  int
	ScaffolderIntegrations string

	// Tracing turns on OpenTelemetry traces (RIGGER_TRACING, default
	// false: no exporter and no tracing interceptors, so nothing is spent
	// on spans). When on, spans go over OTLP to OTLPEndpoint
	// (OTEL_EXPORTER_OTLP_ENDPOINT, the collector's base URL; empty: the
	// exporter's default, localhost:4318 or :4317) with OTLPProtocol
	// (OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf, the default, or grpc),
	// as service ServiceName (OTEL_SERVICE_NAME; empty: rigger-<command>).
	// OTEL_SDK_DISABLED=true turns tracing off whatever RIGGER_TRACING says.
	// The switch is Rigger's own so that OTEL_* variables set for other
	// programs in the same environment never start an export by surprise.
	Tracing      bool
	OTLPEndpoint string
	OTLPProtocol string
	ServiceName  string
}

// Load reads the environment. It fails only on values that cannot be parsed
// or secret files that cannot be read.
func Load() (Config, error) {
	var errs []string
	get := func(key, def string) string {
		if v, ok := os.LookupEnv(key); ok && v != "" {
			return v
		}
		return def
	}
	secret := func(key string) string {
		if f := os.Getenv(key + "_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s_FILE: %v", key, err))
				return ""
			}
			return strings.TrimSpace(string(b))
		}
		return os.Getenv(key)
	}
	boolean := func(key string, def bool) bool {
		v := os.Getenv(key)
		if v == "" {
			return def
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %q is not a boolean", key, v))
		}
		return b
	}
	duration := func(key string, def time.Duration) time.Duration {
		v := os.Getenv(key)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Sprintf("%s: %q is not a positive duration like 10m", key, v))
			return def
		}
		return d
	}
	integer := func(key string, def int) int {
		v := os.Getenv(key)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %q is not an integer", key, v))
		}
		return n
	}

	dataDir := get("RIGGER_DATA_DIR", ".rigger")
	c := Config{
		DataDir:           dataDir,
		TemporalAddress:   os.Getenv("TEMPORAL_ADDRESS"),
		TemporalNamespace: get("TEMPORAL_NAMESPACE", "default"),
		TemporalAPIKey:    secret("TEMPORAL_API_KEY"),
		TemporalTLSCert:   os.Getenv("TEMPORAL_TLS_CERT"),
		TemporalTLSKey:    os.Getenv("TEMPORAL_TLS_KEY"),
		TemporalTLSCA:     os.Getenv("TEMPORAL_TLS_CA"),
		TemporalTLSServer: os.Getenv("TEMPORAL_TLS_SERVER_NAME"),
		TemporalTLS:       boolean("TEMPORAL_TLS", false),
		DatabaseURL:       secret("DATABASE_URL"),
		DBRolePrefix:      os.Getenv("RIGGER_DB_ROLE_PREFIX"),
		SecretKey:         secret("RIGGER_SECRET_KEY"),
		APIAddr:           get("RIGGER_API_ADDR", "127.0.0.1:8080"),
		WorkerAddr:        get("RIGGER_WORKER_ADDR", "127.0.0.1:9090"),
		AdminKey:          secret("RIGGER_ADMIN_KEY"),
		RedisURL:          secret("RIGGER_REDIS_URL"),
		StorageBackend:    get("RIGGER_STORAGE_BACKEND", "local"),
		StorageDir:        get("RIGGER_STORAGE_DIR", filepath.Join(dataDir, "storage")),
		S3Endpoint:        os.Getenv("RIGGER_S3_ENDPOINT"),
		S3Region:          get("RIGGER_S3_REGION", "us-east-1"),
		S3Bucket:          os.Getenv("RIGGER_S3_BUCKET"),
		S3AccessKey:       secret("RIGGER_S3_ACCESS_KEY"),
		S3SecretKey:       secret("RIGGER_S3_SECRET_KEY"),
		S3PathStyle:       boolean("RIGGER_S3_PATH_STYLE", true),
		S3Insecure:        boolean("RIGGER_S3_INSECURE", false),
		GitProvider:       os.Getenv("RIGGER_GIT_PROVIDER"),
		GitAPIURL:         os.Getenv("RIGGER_GIT_API_URL"),
		GitToken:          secret("RIGGER_GIT_TOKEN"),
		GitOwner:          os.Getenv("RIGGER_GIT_OWNER"),
		Kubeconfig:        os.Getenv("RIGGER_KUBECONFIG"),
		KubeInCluster:     boolean("RIGGER_KUBE_IN_CLUSTER", false),
		ArgoNamespace:     get("RIGGER_ARGOCD_NAMESPACE", "argocd"),
		ArgoProject:       get("RIGGER_ARGOCD_PROJECT", "default"),
		ArgoSyncTimeout:   duration("RIGGER_ARGOCD_SYNC_TIMEOUT", 10*time.Minute),
		BackstageImage:    get("RIGGER_BACKSTAGE_IMAGE", "ghcr.io/backstage/backstage:latest"),
		OIDCIssuer:        os.Getenv("RIGGER_OIDC_ISSUER"),
		OIDCAudience:      os.Getenv("RIGGER_OIDC_AUDIENCE"),
		OIDCTenantClaim:   os.Getenv("RIGGER_OIDC_TENANT_CLAIM"),
		OIDCRolesClaim:    os.Getenv("RIGGER_OIDC_ROLES_CLAIM"),
		OIDCAdminRole:     os.Getenv("RIGGER_OIDC_ADMIN_ROLE"),
		RateLimit:         float64(integer("RIGGER_RATE_LIMIT", 50)),
		RateBurst:         integer("RIGGER_RATE_BURST", 100),
		CodecKeys:         secret("RIGGER_CODEC_KEYS"),
		BillingCron:       get("RIGGER_SCHEDULE_BILLING", "0 0 1 * *"),
		BackupCron:        get("RIGGER_SCHEDULE_BACKUPS", "0 2 * * *"),
		DrillCron:         get("RIGGER_SCHEDULE_DRILL", "0 4 * * 0"),
		PausedSchedules:   map[string]bool{},
		LogLevel:          get("RIGGER_LOG_LEVEL", "info"),
		LogFormat:         get("RIGGER_LOG_FORMAT", "text"),
		DevServerBinary:   os.Getenv("RIGGER_DEVSERVER_BIN"),
		DevServerPort:     integer("RIGGER_TEMPORAL_PORT", 7233),
		DevServerUIPort:   integer("RIGGER_TEMPORAL_UI_PORT", 8233),
	}
	c.BillingWebhookURL = os.Getenv("RIGGER_BILLING_WEBHOOK_URL")
	c.BillingWebhookSecret = secret("RIGGER_BILLING_WEBHOOK_SECRET")
	if c.BillingWebhookURL != "" {
		// Not echoed: the URL may carry a token.
		if u, err := url.Parse(c.BillingWebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, "RIGGER_BILLING_WEBHOOK_URL: not an http(s) URL")
		}
		if c.BillingWebhookSecret == "" {
			errs = append(errs, "RIGGER_BILLING_WEBHOOK_SECRET (or _FILE): required when RIGGER_BILLING_WEBHOOK_URL is set, so receivers can verify invoices")
		}
	}
	c.BackupKeepDaily = integer("RIGGER_BACKUP_KEEP_DAILY", 7)
	c.BackupKeepWeekly = integer("RIGGER_BACKUP_KEEP_WEEKLY", 4)
	c.DRRPOObjective = duration("RIGGER_DR_RPO_OBJECTIVE", 26*time.Hour)
	c.DRDrillSample = integer("RIGGER_DR_DRILL_SAMPLE", 0)
	c.BackupParallel = integer("RIGGER_BACKUP_PARALLEL", 2)
	c.AlertWebhookURL = secret("RIGGER_ALERT_WEBHOOK_URL") // may carry a token
	if c.BackupKeepDaily < 1 || c.BackupKeepWeekly < 0 {
		errs = append(errs, "RIGGER_BACKUP_KEEP_DAILY must be at least 1 and RIGGER_BACKUP_KEEP_WEEKLY at least 0")
	}
	if c.DRDrillSample < 0 || c.BackupParallel < 1 || c.BackupParallel > 32 {
		errs = append(errs, "RIGGER_DR_DRILL_SAMPLE must be at least 0 and RIGGER_BACKUP_PARALLEL 1 to 32")
	}
	if c.AlertWebhookURL != "" {
		if u, err := url.Parse(c.AlertWebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, "RIGGER_ALERT_WEBHOOK_URL: not an http(s) URL")
		}
	}
	for _, p := range strings.Split(os.Getenv("RIGGER_TECHDOCS_GIT_ALLOWED"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			if u, err := url.Parse(p); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
				errs = append(errs, fmt.Sprintf("RIGGER_TECHDOCS_GIT_ALLOWED: %q is not an http(s) URL prefix", p))
			}
			c.TechDocsGitAllowed = append(c.TechDocsGitAllowed, p)
		}
	}
	c.TechDocsGitUsername = os.Getenv("RIGGER_TECHDOCS_GIT_USERNAME")
	c.TechDocsGitToken = secret("RIGGER_TECHDOCS_GIT_TOKEN")
	c.TechDocsSourceRoot = os.Getenv("RIGGER_TECHDOCS_SOURCE_ROOT")
	c.TechDocsMaxSourceMB = integer("RIGGER_TECHDOCS_MAX_SOURCE_MB", 256)
	if c.TechDocsMaxSourceMB < 1 {
		errs = append(errs, "RIGGER_TECHDOCS_MAX_SOURCE_MB must be at least 1")
	}
	c.ScaffolderConcurrency = integer("RIGGER_SCAFFOLDER_CONCURRENCY", 10)
	c.ScaffolderIntegrations = secret("RIGGER_SCAFFOLDER_INTEGRATIONS") // holds tokens
	if c.ScaffolderConcurrency < 1 || c.ScaffolderConcurrency > 1000 {
		errs = append(errs, "RIGGER_SCAFFOLDER_CONCURRENCY must be 1 to 1000")
	}
	// OTEL_SDK_DISABLED is OpenTelemetry's, shared with other programs:
	// only "true" counts, as the specification says, and nothing fails.
	c.Tracing = boolean("RIGGER_TRACING", false) && !strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true")
	c.OTLPEndpoint = os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	c.OTLPProtocol = get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	c.ServiceName = os.Getenv("OTEL_SERVICE_NAME")
	if c.Tracing {
		// Checked only when Rigger exports: values meant for other
		// programs must not stop it from starting.
		switch c.OTLPProtocol {
		case "http/protobuf", "grpc":
		default:
			errs = append(errs, fmt.Sprintf("OTEL_EXPORTER_OTLP_PROTOCOL: %q is not http/protobuf or grpc (http/json is not supported)", c.OTLPProtocol))
		}
		if c.OTLPEndpoint != "" {
			if u, err := url.Parse(c.OTLPEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				errs = append(errs, "OTEL_EXPORTER_OTLP_ENDPOINT: not an http(s) URL like http://collector:4318")
			}
		}
	}
	if q := os.Getenv("RIGGER_TASK_QUEUES"); q != "" {
		for _, s := range strings.Split(q, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.TaskQueues = append(c.TaskQueues, s)
			}
		}
	}
	for _, o := range strings.Split(os.Getenv("RIGGER_CODEC_CORS_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.CodecOrigins = append(c.CodecOrigins, o)
		}
	}
	if p := os.Getenv("RIGGER_SCHEDULES_PAUSED"); p != "" {
		for _, id := range strings.Split(p, ",") {
			if id = strings.TrimSpace(id); id != "" {
				c.PausedSchedules[id] = true
			}
		}
	}
	switch c.GitProvider {
	case "", "github", "gitlab":
	default:
		errs = append(errs, fmt.Sprintf("RIGGER_GIT_PROVIDER: %q is not github or gitlab", c.GitProvider))
	}
	if c.GitProvider != "" && c.GitOwner == "" {
		errs = append(errs, "RIGGER_GIT_OWNER: required when RIGGER_GIT_PROVIDER is set (the org or group that holds tenant config repos)")
	}
	switch c.StorageBackend {
	case "local", "s3":
	default:
		errs = append(errs, fmt.Sprintf("RIGGER_STORAGE_BACKEND: %q is not local or s3", c.StorageBackend))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("config: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// KubeConfigured reports whether a Kubernetes API is configured.
func (c Config) KubeConfigured() bool { return c.Kubeconfig != "" || c.KubeInCluster }
