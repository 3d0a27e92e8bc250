package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	argoclient "github.com/argoproj/argo-cd/v2/pkg/client/clientset/versioned"
	argofake "github.com/argoproj/argo-cd/v2/pkg/client/clientset/versioned/fake"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/rigger-platform/rigger/activities/argocd"
	"github.com/rigger-platform/rigger/activities/backup"
	billingacts "github.com/rigger-platform/rigger/activities/billing"
	"github.com/rigger-platform/rigger/activities/cache"
	"github.com/rigger-platform/rigger/activities/controlplane"
	"github.com/rigger-platform/rigger/activities/dr"
	"github.com/rigger-platform/rigger/activities/gitprovider"
	"github.com/rigger-platform/rigger/activities/kube"
	"github.com/rigger-platform/rigger/activities/storage"
	techdocsacts "github.com/rigger-platform/rigger/activities/techdocs"
	"github.com/rigger-platform/rigger/activities/tenantdb"
	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/internal/config"
	"github.com/rigger-platform/rigger/internal/devtemporal"
	"github.com/rigger-platform/rigger/internal/pgtest"
	"github.com/rigger-platform/rigger/internal/secrets"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/workers"
)

// devServerBinary finds bin/rigger-devserver (make test builds it).
func devServerBinary(t testing.TB) string {
	if p := os.Getenv("RIGGER_DEVSERVER_BIN"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "bin", "rigger-devserver")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the end-to-end tests need the dev server binary: run `make build` (or make test), or set RIGGER_DEVSERVER_BIN")
	}
	return p
}

// startTemporal runs a private in-memory dev server on free ports.
func startTemporal(t testing.TB) *devtemporal.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := devtemporal.Start(ctx, devtemporal.Options{Binary: devServerBinary(t), Port: 0, UIPort: -1, Stderr: testLogWriter(t)}, 2*time.Minute)
	if err != nil {
		t.Fatalf("start temporal dev server: %v", err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

func testLogWriter(t testing.TB) io.Writer {
	if os.Getenv("RIGGER_E2E_VERBOSE") != "" {
		return os.Stderr
	}
	return io.Discard
}

// platform is one running Rigger: Temporal, database, worker and API.
type platform struct {
	t        testing.TB
	temporal *devtemporal.Server
	client   client.Client
	dbURL    string
	store    *store.Store
	deps     workers.Dependencies
	cfg      config.Config
	api      *httptest.Server
	server   *api.Server
	adminKey string
	redis    *redis.Client
	// kube and argo read the cluster as an administrator would; the worker
	// has its own clients (deps.Kube, deps.Argo).
	kube      kubernetes.Interface
	argo      argoclient.Interface
	storeDir  string
	rolePfx   string
	secretKey []byte
	stopWork  func()
}

type platformOptions struct {
	// git, when set, configures the git provider.
	git *gitprovider.Activities
	// noWorker leaves the worker to the test (e.g. a subprocess).
	noWorker bool
	// argoHealthyAfter is how long the simulated ArgoCD controller takes.
	argoHealthyAfter time.Duration
	// rateLimit and rateBurst limit each tenant's API requests (0: none).
	rateLimit float64
	rateBurst int
	// oidc, when set, verifies bearer tokens from an identity provider.
	oidc api.TokenVerifier
	// codecKeys turns on payload encryption (RIGGER_CODEC_KEYS format).
	codecKeys string
	// devDefaults configures only what `rigger dev` has on a laptop:
	// PostgreSQL and local storage (no Redis, Git, Kubernetes or ArgoCD).
	devDefaults bool
	// billingWebhook, when set, is the URL the billing activities notify,
	// signing with billingWebhookSecret.
	billingWebhook string
	// techdocsGit is the git access of TechDocs builds (which clone URLs
	// are allowed, with which credentials); zero: the public defaults.
	techdocsGit techdocsacts.GitAccess
	// scaffold configures the scaffolder (git hosts, concurrency).
	scaffold scaffoldOptions
	// kube, when set, is a real Kubernetes API server: the worker talks to
	// it as kube.worker (its service account), the test as kube.admin.
	// Otherwise both are in-memory fakes.
	kube *realKube
}

// realKube is a real cluster's credentials for the harness.
type realKube struct {
	admin, worker *rest.Config
}

func newPlatform(t testing.TB, o platformOptions) *platform {
	t.Helper()
	ctx := context.Background()
	p := &platform{t: t, adminKey: "test-admin-" + pgtest.RandomSuffix()}
	// Roles are cluster-global and outlive the database: registered first,
	// this cleanup runs after the database is dropped.
	p.rolePfx = "e2e" + pgtest.RandomSuffix() + "_"
	t.Cleanup(func() { dropRoles(t, p.rolePfx) })
	p.temporal = startTemporal(t)
	p.dbURL = pgtest.NewDatabase(t)
	st, err := store.Open(ctx, p.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	p.store = st
	p.cfg = config.Config{TemporalAddress: p.temporal.Frontend, TemporalNamespace: "default", ArgoSyncTimeout: time.Minute, BackstageImage: "backstage:test", CodecKeys: o.codecKeys}
	logger := slog.New(slog.NewTextHandler(testLogWriter(t), nil))
	c := dialTemporal(t, p)
	p.client = c

	p.secretKey = bytes.Repeat([]byte{7}, 32)
	sec, _ := secrets.NewDeriver(p.secretKey)
	redisURL := os.Getenv("RIGGER_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	ropts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	p.redis = redis.NewClient(ropts)
	t.Cleanup(func() { _ = p.redis.Close() })
	p.storeDir = t.TempDir()
	objects, err := storage.FromConfig(storage.Config{Backend: "local", Dir: p.storeDir})
	if err != nil {
		t.Fatal(err)
	}
	workerKube, workerArgo := p.kubeClients(o.kube)
	p.deps = workers.Dependencies{
		TenantDB: &tenantdb.Activities{Pool: st.Pool, Secrets: sec, RolePrefix: p.rolePfx},
		Cache:    &cache.Activities{Client: p.redis, Secrets: sec},
		Storage:  &storage.Activities{Store: objects},
		Git:      &gitprovider.Activities{},
		Kube:     &kube.Activities{Client: workerKube},
		Argo:     &argocd.Activities{Client: workerArgo, Namespace: "argocd", PollInterval: 100 * time.Millisecond},
	}
	if o.git != nil {
		p.deps.Git = o.git
	}
	if o.devDefaults {
		p.deps.Cache.Client, p.deps.Kube.Client, p.deps.Argo.Client = nil, nil, nil
	}
	p.deps.Billing = &billingacts.Activities{Store: st, Objects: objects}
	if o.billingWebhook != "" {
		p.deps.Billing.WebhookURL, p.deps.Billing.WebhookSecret = o.billingWebhook, []byte(billingWebhookSecret)
	}
	// Backups and drills (and offboarding's final backup) on the dr queue;
	// tests that check alerts set p.deps.DR.AlertURL before the worker starts.
	p.deps.Backup = &backup.Activities{Pool: st.Pool, Store: objects, Store2: st, RolePrefix: p.rolePfx}
	p.deps.DR = &dr.Activities{Store: st, Objects: objects}
	p.deps.TechDocs = &techdocsacts.Activities{Objects: objects, Store: st, Git: o.techdocsGit, TempDir: t.TempDir()}
	p.deps.Scaffolder = o.scaffold.activities(st, objects, p.deps.Argo)
	p.deps.ControlPlane = &controlplane.Activities{Store: st}
	p.deps.ControlPlane.Capabilities = p.deps.Capabilities(p.cfg)
	simulateArgoController(t, p.argo, o.argoHealthyAfter)

	if !o.noWorker {
		p.startWorker()
	}
	s := &api.Server{Temporal: c, Store: st, AdminKey: p.adminKey, Logger: logger, RateLimit: o.rateLimit, RateBurst: o.rateBurst, OIDC: o.oidc}
	s.TechDocs = api.TechDocsOptions{Objects: objects, Secrets: sec, Git: o.techdocsGit}
	s.Scaffolder = api.ScaffolderOptions{Objects: objects, Templates: p.deps.Scaffolder.Templates}
	p.server = s
	// Every request the tests make is checked against the OpenAPI document.
	var handler http.Handler = s.Handler()
	p.api = httptest.NewUnstartedServer(nil)
	checker := newOpenAPIChecker(t, "http://"+p.api.Listener.Addr().String())
	p.api.Config.Handler = checker.wrap(handler, "http://"+p.api.Listener.Addr().String())
	p.api.Start()
	t.Cleanup(p.api.Close)
	return p
}

// kubeClients sets p.kube and p.argo and returns the worker's clients: the
// same fakes, or a real cluster seen as the worker's service account.
func (p *platform) kubeClients(real *realKube) (kubernetes.Interface, argoclient.Interface) {
	if real == nil {
		p.kube, p.argo = kubefake.NewSimpleClientset(), argofake.NewSimpleClientset()
		return p.kube, p.argo
	}
	must := func(err error) {
		if err != nil {
			p.t.Fatal(err)
		}
	}
	var err error
	p.kube, err = kubernetes.NewForConfig(real.admin)
	must(err)
	p.argo, err = argoclient.NewForConfig(real.admin)
	must(err)
	wk, err := kubernetes.NewForConfig(real.worker)
	must(err)
	wa, err := argoclient.NewForConfig(real.worker)
	must(err)
	return wk, wa
}

func (p *platform) startWorker() {
	stop, err := workers.Start(p.client, p.deps, workers.Options{HeartbeatInterval: 500 * time.Millisecond})
	if err != nil {
		p.t.Fatal(err)
	}
	p.stopWork = stop
	p.t.Cleanup(func() { p.stopWorker() })
}

func (p *platform) stopWorker() {
	if p.stopWork != nil {
		p.stopWork()
		p.stopWork = nil
	}
}

// call sends a JSON request to the API as the admin and decodes the answer.
func (p *platform) call(method, path string, body any, out any) int {
	p.t.Helper()
	return p.callAs(p.adminKey, method, path, body, out)
}

// callAs sends a JSON request with the given bearer token.
func (p *platform) callAs(token, method, path string, body any, out any) int {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.api.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			p.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

// waitStatus polls the API until the tenant reaches status.
func (p *platform) waitStatus(slug, status string, timeout time.Duration) api.TenantResponse {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var t api.TenantResponse
	for time.Now().Before(deadline) {
		code := p.call("GET", "/v1/tenants/"+slug, nil, &t)
		if code == 200 && t.Status == status && allSettled(t) {
			return t
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.t.Fatalf("tenant %s did not reach %s within %s; last: %+v", slug, status, timeout, t)
	return t
}

func allSettled(t api.TenantResponse) bool {
	if len(t.Steps) == 0 {
		return false
	}
	for _, s := range t.Steps {
		if s.State == "pending" || s.State == "running" || s.State == "compensating" {
			return false
		}
	}
	return true
}

// simulateArgoController plays ArgoCD's application controller: every
// Application becomes Synced and Healthy after a delay.
func simulateArgoController(t testing.TB, c argoclient.Interface, after time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		seen := map[string]time.Time{}
		for ctx.Err() == nil {
			apps, err := c.ArgoprojV1alpha1().Applications("argocd").List(ctx, metav1.ListOptions{})
			if err == nil {
				for i := range apps.Items {
					app := &apps.Items[i]
					if app.DeletionTimestamp != nil {
						// ArgoCD removes its finalizer once it has pruned
						// the Application's resources (real clusters only:
						// the fake deletes at once).
						if len(app.Finalizers) > 0 {
							app.Finalizers = nil
							_, _ = c.ArgoprojV1alpha1().Applications("argocd").Update(ctx, app, metav1.UpdateOptions{})
						}
						continue
					}
					first, ok := seen[app.Name]
					if !ok {
						seen[app.Name] = time.Now()
						continue
					}
					if time.Since(first) < after || app.Status.Health.Status == "Healthy" {
						continue
					}
					// As the controller does: report on the spec it compared.
					app.Status.Sync.Status = "Synced"
					app.Status.Health.Status = "Healthy"
					if app.Spec.Source != nil {
						app.Status.Sync.ComparedTo.Source = *app.Spec.Source
					}
					app.Status.Sync.ComparedTo.Destination = app.Spec.Destination
					_, _ = c.ArgoprojV1alpha1().Applications("argocd").Update(ctx, app, metav1.UpdateOptions{})
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
}

func dialTemporal(t testing.TB, p *platform) client.Client {
	t.Helper()
	cfg := config.Config{TemporalAddress: p.temporal.Frontend, TemporalNamespace: "default", CodecKeys: p.cfg.CodecKeys}
	c, err := workers.Dial(context.Background(), cfg, slog.New(slog.NewTextHandler(testLogWriter(t), nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
