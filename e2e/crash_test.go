package e2e

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func riggerBinary(t testing.TB) string {
	if p := os.Getenv("RIGGER_BIN"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "bin", "rigger")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the crash test runs the real worker binary: run `make build` (or make test), or set RIGGER_BIN")
	}
	return p
}

// workerProcess runs `rigger worker` configured like the platform's
// in-process worker (Kubernetes and ArgoCD cannot be reached by a separate
// process here, so it has neither).
func (p *platform) workerProcess(t *testing.T, git *gitFixture) (*exec.Cmd, string) {
	t.Helper()
	opsAddr := freeAddr(t)
	cmd := exec.Command(riggerBinary(t), "worker")
	redisURL := os.Getenv("RIGGER_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+p.temporal.Frontend,
		"DATABASE_URL="+p.dbURL,
		"RIGGER_DB_ROLE_PREFIX="+p.rolePfx,
		"RIGGER_SECRET_KEY="+base64.StdEncoding.EncodeToString(p.secretKey),
		"RIGGER_REDIS_URL="+redisURL,
		"RIGGER_STORAGE_DIR="+p.storeDir,
		"RIGGER_GIT_PROVIDER=github",
		"RIGGER_GIT_API_URL="+git.gh.URL(),
		"RIGGER_GIT_TOKEN="+git.gh.Token(),
		"RIGGER_GIT_OWNER="+git.gh.Owner(),
		"RIGGER_WORKER_ADDR="+opsAddr,
		"RIGGER_KUBECONFIG=",
	)
	cmd.Stdout, cmd.Stderr = testLogWriter(t), testLogWriter(t)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, "http://" + opsAddr
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitReady polls the worker's /readyz, and checks /healthz and /metrics.
func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker at %s never ready: %v", base, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, path := range []string{"/healthz", "/metrics"} {
		resp, err := http.Get(base + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("worker %s: %v %v", path, resp, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if path == "/metrics" && !strings.Contains(string(body), "go_goroutines") {
			t.Fatalf("worker /metrics has no Prometheus metrics")
		}
	}
}

// TestWorkerCrashMidOnboarding kills the worker process (SIGKILL) while the
// git step is creating the tenant's repository, starts a new worker, and
// checks the run finishes with every resource made exactly once.
func TestWorkerCrashMidOnboarding(t *testing.T) {
	git := newGitFixture(t)
	p := newPlatform(t, platformOptions{noWorker: true})
	reached, release := git.gh.BlockCreates()
	defer release()

	first, ops := p.workerProcess(t, git)
	waitReady(t, ops)
	slug := "crash-" + pgtest4()
	if code := p.call("POST", "/v1/tenants", onboardRequest(slug), nil); code != http.StatusAccepted {
		t.Fatalf("POST = %d", code)
	}
	select {
	case <-reached:
	case <-time.After(90 * time.Second):
		t.Fatal("the worker never reached the git step")
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	// The forge still completes the request the dead worker sent, as a real
	// one would: the retry must find that repository, not make another.
	release()

	_, ops = p.workerProcess(t, git)
	waitReady(t, ops)
	got := p.waitStatus(slug, "active", 2*time.Minute)
	for _, s := range got.Steps {
		if s.State != "done" && s.State != "skipped" {
			t.Fatalf("step %s = %s (%s)", s.Name, s.State, s.Error)
		}
	}
	// The SDK's metrics reach the worker's Prometheus endpoint.
	if resp, err := http.Get(ops + "/metrics"); err != nil {
		t.Fatal(err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, m := range []string{"temporal_activity_execution_latency", "temporal_workflow_completed"} {
			if !strings.Contains(string(body), m) {
				t.Fatalf("worker /metrics lacks %s", m)
			}
		}
	}
	repo := "tenant-" + slug + "-config"
	if n := git.gh.Creates(repo); n != 1 {
		t.Fatalf("repository created %d times", n)
	}
	if len(git.gh.Repos()) != 1 {
		t.Fatalf("repositories: %v", git.gh.Repos())
	}
	if files, err := git.gh.Files(repo); err != nil || files["app-config.yaml"] == "" {
		t.Fatalf("config repo not seeded after the crash: %v", err)
	}
	ctx := context.Background()
	var schemas, subs, roles int
	_ = p.store.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenant\_%'`).Scan(&schemas)
	_ = p.store.Pool.QueryRow(ctx, `SELECT count(*) FROM rigger.subscriptions`).Scan(&subs)
	_ = p.store.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_roles WHERE starts_with(rolname, $1)`, p.rolePfx).Scan(&roles)
	if schemas != 1 || subs != 1 || roles != 1 {
		t.Fatalf("after the crash: %d schemas, %d subscriptions, %d roles (want 1 each)", schemas, subs, roles)
	}
	// And offboarding still removes everything the crashed run made.
	if code := p.call("DELETE", "/v1/tenants/"+slug, nil, nil); code != http.StatusAccepted {
		t.Fatalf("DELETE = %d", code)
	}
	p.waitStatus(slug, "deleted", 2*time.Minute)
	p.assertRemoved(slug)
	if git.gh.Exists(repo) {
		t.Fatal("repository left behind")
	}
}
