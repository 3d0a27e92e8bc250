package workers

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/rigger-platform/rigger/activities/argocd"
	actassistant "github.com/rigger-platform/rigger/activities/assistant"
	"github.com/rigger-platform/rigger/activities/backup"
	billingacts "github.com/rigger-platform/rigger/activities/billing"
	"github.com/rigger-platform/rigger/activities/cache"
	"github.com/rigger-platform/rigger/activities/controlplane"
	"github.com/rigger-platform/rigger/activities/dr"
	"github.com/rigger-platform/rigger/activities/gitprovider"
	"github.com/rigger-platform/rigger/activities/kube"
	"github.com/rigger-platform/rigger/activities/llm"
	"github.com/rigger-platform/rigger/activities/scaffold"
	"github.com/rigger-platform/rigger/activities/storage"
	techdocsacts "github.com/rigger-platform/rigger/activities/techdocs"
	"github.com/rigger-platform/rigger/activities/tenantdb"
	"github.com/rigger-platform/rigger/internal/config"
	"github.com/rigger-platform/rigger/internal/secrets"
	"github.com/rigger-platform/rigger/internal/store"
)

// Dependencies are the activity structs a worker registers. Tests build
// them directly (with fake clients); processes build them from config.
type Dependencies struct {
	ControlPlane *controlplane.Activities
	TenantDB     *tenantdb.Activities
	Cache        *cache.Activities
	Storage      *storage.Activities
	Git          *gitprovider.Activities
	Kube         *kube.Activities
	Argo         *argocd.Activities
	Billing      *billingacts.Activities
	// Backup and DR serve the dr task queue: the backup engine (dump,
	// restore, verify, swap, retention, drill records) and the DR helpers
	// (settings, tenant lists, alerts, keeping a final backup).
	Backup *backup.Activities
	DR     *dr.Activities
	// LLM and Assistant serve the assistant task queue: the model call
	// (metered, budgeted) and retrieval, template validation and commit,
	// and run histories. Nil means unconfigured (see registerAssistant).
	LLM       *llm.Activities
	Assistant *actassistant.Activities
	// TechDocs serves the techdocs task queue: fetch, build, publish,
	// record and meter documentation sites.
	TechDocs *techdocsacts.Activities
	// Scaffolder serves the scaffolder task queue: template steps as
	// activities, with workspace snapshots in object storage.
	Scaffolder *scaffold.Activities
}

// Capabilities derives what the workflows may use from what is configured.
func (d Dependencies) Capabilities(cfg config.Config) controlplane.Capabilities {
	c := controlplane.Capabilities{
		Redis:           d.Cache.Configured(),
		Git:             d.Git != nil && d.Git.Provider != nil,
		Kube:            d.Kube.Configured(),
		Argo:            d.Argo != nil && d.Argo.Client != nil,
		ArgoSyncTimeout: cfg.ArgoSyncTimeout,
		BackstageImage:  cfg.BackstageImage,
	}
	if c.Git {
		c.GitProvider = d.Git.Provider.Kind()
	}
	return c
}

// SecretDeriver loads the master key from RIGGER_SECRET_KEY or, in
// development, from (or into) the data directory.
func SecretDeriver(cfg config.Config) (*secrets.Deriver, error) {
	var key []byte
	var err error
	if cfg.SecretKey != "" {
		key, err = secrets.DecodeKey(cfg.SecretKey)
	} else {
		key, err = secrets.LoadOrCreateKey(filepath.Join(cfg.DataDir, "secret.key"))
	}
	if err != nil {
		return nil, err
	}
	return secrets.NewDeriver(key)
}

// BuildDependencies creates every client that config asks for. Optional
// integrations left unconfigured stay nil and their steps are skipped.
func BuildDependencies(ctx context.Context, cfg config.Config, st *store.Store, logger *slog.Logger) (Dependencies, func(), error) {
	var closers []func()
	cleanup := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(err error) (Dependencies, func(), error) {
		cleanup()
		return Dependencies{}, func() {}, err
	}
	sec, err := SecretDeriver(cfg)
	if err != nil {
		return fail(err)
	}
	d := Dependencies{
		TenantDB: &tenantdb.Activities{Pool: st.Pool, Secrets: sec, RolePrefix: cfg.DBRolePrefix},
		Cache:    &cache.Activities{Secrets: sec},
		Git:      &gitprovider.Activities{},
		Kube:     &kube.Activities{},
		Argo:     &argocd.Activities{Namespace: cfg.ArgoNamespace, Project: cfg.ArgoProject},
	}
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return fail(fmt.Errorf("RIGGER_REDIS_URL: %w", err))
		}
		rc := redis.NewClient(opts)
		closers = append(closers, func() { _ = rc.Close() })
		d.Cache.Client = rc
	}
	objects, err := storage.FromConfig(storage.Config{
		Backend: cfg.StorageBackend, Dir: cfg.StorageDir, Endpoint: cfg.S3Endpoint, Region: cfg.S3Region, Bucket: cfg.S3Bucket,
		AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey, PathStyle: cfg.S3PathStyle, Insecure: cfg.S3Insecure,
	})
	if err != nil {
		return fail(fmt.Errorf("storage: %w", err))
	}
	d.Storage = &storage.Activities{Store: objects}
	// Billing writes rendered invoices into each tenant's prefix of the
	// same object store the storage activities provision.
	d.Billing = &billingacts.Activities{Store: st, Objects: objects, WebhookURL: cfg.BillingWebhookURL}
	if cfg.BillingWebhookSecret != "" {
		d.Billing.WebhookSecret = []byte(cfg.BillingWebhookSecret)
	}
	// Backups get their own admin pool: a dump holds one connection for its
	// snapshot while Parallel more copy tables, so sharing the control
	// plane's small pool could starve both. The size leaves room for the
	// fan-outs' default concurrency plus requested backups and restores.
	bpc := st.Pool.Config().Copy()
	bpc.MaxConns = int32(max(16, 6*(cfg.BackupParallel+1)))
	bpc.MinConns = 0
	backupPool, err := pgxpool.NewWithConfig(ctx, bpc)
	if err != nil {
		return fail(fmt.Errorf("backup database pool: %w", err))
	}
	closers = append(closers, backupPool.Close)
	d.Backup = &backup.Activities{Pool: backupPool, Store: objects, Store2: st, RolePrefix: cfg.DBRolePrefix, Parallel: cfg.BackupParallel}
	d.DR = &dr.Activities{Store: st, Objects: objects, AlertURL: cfg.AlertWebhookURL, Settings: dr.Settings{
		KeepDaily: cfg.BackupKeepDaily, KeepWeekly: cfg.BackupKeepWeekly, RPOObjective: cfg.DRRPOObjective, DrillSample: cfg.DRDrillSample,
	}}
	switch cfg.GitProvider {
	case "github":
		d.Git.Provider = gitprovider.NewGitHub(cfg.GitAPIURL, cfg.GitToken, nil)
	case "gitlab":
		p, err := gitprovider.NewGitLab(cfg.GitAPIURL, cfg.GitToken, nil)
		if err != nil {
			return fail(fmt.Errorf("gitlab: %w", err))
		}
		d.Git.Provider = p
	}
	d.Git.Owner, d.Git.Token = cfg.GitOwner, cfg.GitToken
	if cfg.KubeConfigured() {
		path := cfg.Kubeconfig
		if cfg.KubeInCluster {
			path = ""
		}
		kc, rest, err := kube.NewClient(path)
		if err != nil {
			return fail(fmt.Errorf("kubernetes: %w", err))
		}
		d.Kube.Client = kc
		ac, err := argocd.NewClient(rest)
		if err != nil {
			return fail(fmt.Errorf("argocd: %w", err))
		}
		d.Argo.Client = ac
	}
	if d.LLM, d.Assistant, err = buildAssistant(st, objects, logger); err != nil {
		return fail(err)
	}
	d.TechDocs = &techdocsacts.Activities{Objects: objects, Store: st, Git: TechDocsGitAccess(cfg), SourceRoot: cfg.TechDocsSourceRoot}
	if d.Scaffolder, err = NewScaffolder(cfg, st, objects, d.Argo); err != nil {
		return fail(err)
	}
	d.ControlPlane = &controlplane.Activities{Store: st}
	d.ControlPlane.Capabilities = d.Capabilities(cfg)
	logger.Info("integrations", "redis", d.ControlPlane.Capabilities.Redis, "git", cfg.GitProvider,
		"kubernetes", d.ControlPlane.Capabilities.Kube, "argocd", d.ControlPlane.Capabilities.Argo, "storage", cfg.StorageBackend)
	return d, cleanup, nil
}
