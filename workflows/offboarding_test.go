package workflows

import (
	"slices"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/controlplane"
)

func TestOffboardingRemovesEverythingInReverse(t *testing.T) {
	env := newMockedEnv(t, allCaps, nil)
	env.ExecuteWorkflow(TenantOffboarding, OffboardingInput{Slug: "acme", Reason: "test"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := []string{"ControlPlaneSetStatus:offboarding", "ArgoDeleteApplication", "KubeDeleteNamespace", "GitDeleteConfigRepo",
		"StorageDeletePrefix", "CacheDeleteUser", "TenantDBDrop", "BillingUnsubscribe", "ControlPlaneSetStatus:deleted"}
	if got := env.calls.list(); !slices.Equal(got, want) {
		t.Fatalf("activities:\n got %v\nwant %v", got, want)
	}
	p := progressOf(t, env)
	if p.Status != "deleted" || stateOf(p, StepFinalBackup) != StepSkipped {
		t.Fatalf("progress %+v", p)
	}
}

func TestOffboardingSkipsUnconfiguredAndStopsOnFailure(t *testing.T) {
	env := newMockedEnv(t, controlplane.Capabilities{}, map[string]error{
		"TenantDBDrop": temporal.NewNonRetryableApplicationError("permission denied", "TenantDBForbidden", nil),
	})
	env.ExecuteWorkflow(TenantOffboarding, OffboardingInput{Slug: "acme"})
	if env.GetWorkflowError() == nil {
		t.Fatal("want failure")
	}
	got := env.calls.list()
	want := []string{"ControlPlaneSetStatus:offboarding", "StorageDeletePrefix", "TenantDBDrop", "ControlPlaneSetStatus:offboarding"}
	if !slices.Equal(got, want) {
		t.Fatalf("activities:\n got %v\nwant %v", got, want)
	}
	p := progressOf(t, env)
	if stateOf(p, StepDatabase) != StepFailed || stateOf(p, StepBilling) != StepPending || stateOf(p, StepKubernetes) != StepSkipped {
		t.Fatalf("progress %+v", p)
	}
}
