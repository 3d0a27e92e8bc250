package e2e

import (
	"context"
	"os"
	"path/filepath"
	"runtime"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/rigger-platform/rigger/workflows"
)

// assertReplays fetches the finished run's history from the server and
// replays it against the current workflow code. With RIGGER_RECORD_HISTORY
// set it also stores it as workflows/testdata/onboarding_history.json, the
// history the workflows package replays on every test run.
func (p *platform) assertReplays(workflowID string) {
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
	workflows.RegisterTenant(r)
	if err := r.ReplayWorkflowHistory(nil, h); err != nil {
		t.Fatalf("replay %s: %v", workflowID, err)
	}
	if os.Getenv("RIGGER_RECORD_HISTORY") == "" {
		return
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	_, file, _, _ := runtime.Caller(0)
	out := filepath.Join(filepath.Dir(file), "..", "workflows", "testdata", "onboarding_history.json")
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s (%d events)", out, len(h.Events))
}
