package workflows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays every history recorded from a real
// dev-server run (testdata/*_history.json, one or more per workflow family,
// written by `make replay-record`), with every family registered. A change
// to workflow code that would break running workflows fails here: guard such
// changes with workflow.GetVersion and record a new history beside the old.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*_history.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories under testdata/: run `make replay-record`")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			RegisterAll(r)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}

// TestReplayDetectsIncompatibleChange proves the replay test can fail: a
// workflow that skips the first step cannot replay an onboarding history.
func TestReplayDetectsIncompatibleChange(t *testing.T) {
	f := filepath.Join("testdata", "onboarding_history.json")
	if _, err := os.Stat(f); err != nil {
		t.Skip("no onboarding history recorded")
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(brokenOnboarding, workflowOptions(TenantOnboardingWorkflow))
	err := r.ReplayWorkflowHistoryFromJSONFile(nil, f)
	// TMPRL1100 is the SDK's code for a nondeterminism failure.
	if err == nil || !(strings.Contains(err.Error(), "TMPRL1100") || strings.Contains(strings.ToLower(err.Error()), "nondetermin")) {
		t.Fatalf("want a nondeterminism error, got %v", err)
	}
}
