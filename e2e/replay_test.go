package e2e

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/rigger-platform/rigger/workflows"
)

// assertReplays waits for the latest run of workflowID to close, fetches its
// history from the server and replays it against the current workflow code,
// with every family registered. With RIGGER_RECORD_HISTORY set (`make
// replay-record`) it also stores it as workflows/testdata/<name>_history.json,
// which the workflows package replays on every test run.
func (p *platform) assertReplays(workflowID, name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The API reports a tenant active (or a task done) a moment before the
	// run's last workflow task completes: wait for the close, whatever the
	// outcome (a failed or cancelled run is as much worth replaying).
	_ = p.client.GetWorkflow(ctx, workflowID, "").Get(ctx, nil)
	if ctx.Err() != nil {
		p.t.Fatalf("%s did not close within 2m", workflowID)
	}
	p.assertReplaysSoFar(workflowID, name)
}

// assertReplaysSoFar is assertReplays without waiting for the run to close:
// for a long-lived workflow (the scaffolder's per-tenant slots), the history
// up to now.
func (p *platform) assertReplaysSoFar(workflowID, name string) {
	t := p.t
	t.Helper()
	ctx := context.Background()
	iter := p.client.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	r := worker.NewWorkflowReplayer()
	workflows.RegisterAll(r)
	if err := r.ReplayWorkflowHistory(nil, h); err != nil {
		t.Fatalf("replay %s: %v", workflowID, err)
	}
	if os.Getenv("RIGGER_RECORD_HISTORY") == "" {
		return
	}
	if p.cfg.CodecKeys != "" {
		t.Fatalf("not recording %s: its payloads are encrypted (record from a platform without codec keys)", name)
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	_, file, _, _ := runtime.Caller(0)
	out := filepath.Join(filepath.Dir(file), "..", "workflows", "testdata", name+"_history.json")
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s: %s (%d events)", workflowID, out, len(h.Events))
}
