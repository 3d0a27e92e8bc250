package e2e

import (
	"net/http"
	"syscall"
	"testing"
	"time"
)

// TestWorkerDrainsOnSIGTERM: a worker told to stop while an activity runs
// lets that activity finish and report, then exits 0; the next worker goes
// on from there without running the activity again.
func TestWorkerDrainsOnSIGTERM(t *testing.T) {
	git := newGitFixture(t)
	p := newPlatform(t, platformOptions{noWorker: true})
	reached, release := git.gh.BlockCreates()
	defer release()

	w, ops := p.workerProcess(t, git)
	waitReady(t, ops)
	slug := "drain-" + pgtest4()
	if code := p.call("POST", "/v1/tenants", onboardRequest(slug), nil); code != http.StatusAccepted {
		t.Fatalf("POST = %d", code)
	}
	select {
	case <-reached:
	case <-time.After(90 * time.Second):
		t.Fatal("the worker never reached the git step")
	}
	if err := w.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The in-flight activity is still allowed to finish.
	time.Sleep(500 * time.Millisecond)
	release()
	done := make(chan error, 1)
	go func() { done <- w.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker exit after SIGTERM: %v", err)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("worker did not exit after SIGTERM")
	}

	_, ops = p.workerProcess(t, git)
	waitReady(t, ops)
	p.waitStatus(slug, "active", 2*time.Minute)
	if n := git.gh.Count("POST /orgs/" + git.gh.Owner() + "/repos"); n != 1 {
		t.Fatalf("repository create requests = %d: the drained activity ran again", n)
	}
}
