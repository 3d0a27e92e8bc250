package workflows

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rigger-platform/rigger/activities/controlplane"
)

// mockFinalBackup stands in for the TenantBackup child offboarding starts,
// recording it as "TenantBackup:final" (or failing with err).
func mockFinalBackup(env *mockedEnv, err error) *[]TenantBackupInput {
	var inputs []TenantBackupInput
	env.RegisterWorkflowWithOptions(TenantBackup, workflowOptions(TenantBackupWorkflow))
	env.OnWorkflow(TenantBackupWorkflow, mock.Anything, mock.Anything).Return(
		func(_ workflow.Context, in TenantBackupInput) (TenantBackupResult, error) {
			env.calls.add("TenantBackup:final")
			inputs = append(inputs, in)
			return TenantBackupResult{Tenant: in.Slug, BackupID: in.BackupID, Verified: true, Tables: 2, Rows: 7,
				RetainedAt: "retained/tenants/" + in.Slug + "/backups/" + in.BackupID + "/"}, err
		}).Maybe()
	return &inputs
}

func TestOffboardingRemovesEverythingInReverse(t *testing.T) {
	env := newMockedEnv(t, allCaps, nil)
	inputs := mockFinalBackup(env, nil)
	env.ExecuteWorkflow(TenantOffboarding, OffboardingInput{Slug: "acme", Reason: "test"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	// The final backup comes before any removal.
	want := []string{"ControlPlaneSetStatus:offboarding", "TenantBackup:final", "ArgoDeleteApplication", "KubeDeleteNamespace", "GitDeleteConfigRepo",
		"StorageDeletePrefix", "CacheDeleteUser", "TenantDBDrop", "BillingUnsubscribe", "ControlPlaneSetStatus:deleted"}
	if got := env.calls.list(); !slices.Equal(got, want) {
		t.Fatalf("activities:\n got %v\nwant %v", got, want)
	}
	p := progressOf(t, env)
	if p.Status != "deleted" || stateOf(p, StepFinalBackup) != StepDone {
		t.Fatalf("progress %+v", p)
	}
	if in := (*inputs)[0]; !in.Final || in.Slug != "acme" || in.BackupID != "final-"+BackupStamp(in.TakenAt) {
		t.Fatalf("final backup input %+v", in)
	}
}

// TestOffboardingStopsWhenFinalBackupFails: no data is removed when the
// final backup fails; the tenant stays offboarding with the reason.
func TestOffboardingStopsWhenFinalBackupFails(t *testing.T) {
	env := newMockedEnv(t, allCaps, nil)
	mockFinalBackup(env, temporal.NewNonRetryableApplicationError("backup does not restore as taken", ErrTypeBackupNotVerified, nil))
	env.ExecuteWorkflow(TenantOffboarding, OffboardingInput{Slug: "acme", Reason: "test"})
	if env.GetWorkflowError() == nil {
		t.Fatal("want failure")
	}
	want := []string{"ControlPlaneSetStatus:offboarding", "TenantBackup:final", "ControlPlaneSetStatus:offboarding"}
	if got := env.calls.list(); !slices.Equal(got, want) {
		t.Fatalf("activities:\n got %v\nwant %v", got, want)
	}
	p := progressOf(t, env)
	if stateOf(p, StepFinalBackup) != StepFailed || stateOf(p, StepArgoCD) != StepPending || stateOf(p, StepDatabase) != StepPending {
		t.Fatalf("progress %+v", p)
	}
}

// TestOffboardingBeforeFinalBackupVersion: a run recorded before the final
// backup existed (no version marker) replays the old path: skipped.
func TestOffboardingBeforeFinalBackupVersion(t *testing.T) {
	env := newMockedEnv(t, allCaps, nil)
	mockFinalBackup(env, nil)
	env.OnGetVersion(finalBackupChange, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	env.ExecuteWorkflow(TenantOffboarding, OffboardingInput{Slug: "acme", Reason: "test"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if got := env.calls.list(); slices.Contains(got, "TenantBackup:final") {
		t.Fatalf("old version took a final backup: %v", got)
	}
	if p := progressOf(t, env); stateOf(p, StepFinalBackup) != StepSkipped {
		t.Fatalf("progress %+v", p)
	}
}

func TestOffboardingSkipsUnconfiguredAndStopsOnFailure(t *testing.T) {
	env := newMockedEnv(t, controlplane.Capabilities{}, map[string]error{
		"TenantDBDrop": temporal.NewNonRetryableApplicationError("permission denied", "TenantDBForbidden", nil),
	})
	mockFinalBackup(env, nil)
	env.ExecuteWorkflow(TenantOffboarding, OffboardingInput{Slug: "acme"})
	if env.GetWorkflowError() == nil {
		t.Fatal("want failure")
	}
	got := env.calls.list()
	want := []string{"ControlPlaneSetStatus:offboarding", "TenantBackup:final", "StorageDeletePrefix", "TenantDBDrop", "ControlPlaneSetStatus:offboarding"}
	if !slices.Equal(got, want) {
		t.Fatalf("activities:\n got %v\nwant %v", got, want)
	}
	p := progressOf(t, env)
	if stateOf(p, StepDatabase) != StepFailed || stateOf(p, StepBilling) != StepPending || stateOf(p, StepKubernetes) != StepSkipped {
		t.Fatalf("progress %+v", p)
	}
}
