package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/internal/store"
)

// scaffoldWorker runs `rigger worker` as a subprocess configured with the
// forges as its scaffolder integrations.
func (p *platform) scaffoldWorker(t *testing.T, f forges) (*exec.Cmd, string) {
	t.Helper()
	opsAddr := freeAddr(t)
	integrations, _ := json.Marshal(f.integrations())
	redisURL := os.Getenv("RIGGER_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	cmd := exec.Command(riggerBinary(t), "worker")
	cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+p.temporal.Frontend,
		"DATABASE_URL="+p.dbURL,
		"RIGGER_DB_ROLE_PREFIX="+p.rolePfx,
		"RIGGER_SECRET_KEY="+base64.StdEncoding.EncodeToString(p.secretKey),
		"RIGGER_REDIS_URL="+redisURL,
		"RIGGER_STORAGE_DIR="+p.storeDir,
		"RIGGER_SCAFFOLDER_INTEGRATIONS="+string(integrations),
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

// TestScaffolderWorkerCrashMidPublish kills the worker process (SIGKILL)
// while publish:github is creating the repository; a new worker restores
// the workspace snapshot, adopts the repository the forge finished
// creating, and completes the run: one repository, the golden files.
func TestScaffolderWorkerCrashMidPublish(t *testing.T) {
	f := newForges(t)
	p := newPlatform(t, platformOptions{noWorker: true, scaffold: scaffoldOptions{integrations: f.integrations()}})
	first, ops := p.scaffoldWorker(t, f)
	waitReady(t, ops)
	p.scaffoldTenant("acme", corpusLocations(t)...)

	reached, release := f.gh.BlockCreates()
	defer release()
	id := p.startScaffold("acme", "template:default/go-backend-template", corpusValues(t)["go-backend-template"])
	select {
	case repo := <-reached:
		if repo != "acme/ledger" {
			t.Fatalf("creating %s", repo)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the worker never reached the publish step")
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	// The forge completes the request the dead worker sent, as a real one
	// would: the retry must adopt that repository, not make another.
	release()

	_, ops = p.scaffoldWorker(t, f)
	waitReady(t, ops)
	task := p.waitScaffoldStatus(id, store.TaskCompleted, 90*time.Second)
	if n := f.gh.Creates("acme/ledger"); n != 1 {
		t.Fatalf("repository created %d times", n)
	}
	if repos := f.gh.Repos(); len(repos) != 1 {
		t.Fatalf("repositories %v", repos)
	}
	compareRepo(t, f.gh, "acme/ledger", "main", "go-backend-template", "")
	assertCatalog(t, p, "component:default/ledger")
	recovered := false
	for _, e := range p.scaffoldEvents(id, 0) {
		recovered = recovered || e["type"] == "recovered" && strings.Contains(e["body"].(map[string]any)["stepId"].(string), "publish")
	}
	if !recovered {
		t.Fatal("no recovered event for the publish step")
	}
	for _, s := range task.State.Steps {
		if s.Status != "completed" {
			t.Fatalf("step %s = %s", s.ID, s.Status)
		}
	}
	// Nothing is left of the run's workspace snapshots.
	entries, _ := os.ReadDir(p.storeDir + "/tenants/acme/scaffolder/" + id)
	if len(entries) != 0 {
		t.Fatalf("snapshots left behind: %v", entries)
	}
}
