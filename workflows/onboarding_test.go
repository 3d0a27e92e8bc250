package workflows

import (
	"context"
	"errors"
	"go.temporal.io/sdk/activity"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/rigger-platform/rigger/activities/argocd"
	"github.com/rigger-platform/rigger/activities/cache"
	"github.com/rigger-platform/rigger/activities/controlplane"
	"github.com/rigger-platform/rigger/activities/gitprovider"
	"github.com/rigger-platform/rigger/activities/kube"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/activities/tenantdb"
)

var allCaps = controlplane.Capabilities{Redis: true, Git: true, GitProvider: "github", Kube: true, Argo: true}

var testInput = OnboardingInput{Slug: "acme", DisplayName: "Acme", Plan: "team", Owner: "alice", Admins: []string{"alice"}}

// calls records the activities a workflow ran, in order.
type calls struct {
	mu  sync.Mutex
	seq []string
}

func (c *calls) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq = append(c.seq, name)
}

func (c *calls) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.seq)
}

// mockedEnv registers every activity and answers each with success unless
// failures names it; failures maps an activity name to the error it returns.
type mockedEnv struct {
	*testsuite.TestWorkflowEnvironment
	calls *calls
}

// newTenantEnv is a test environment with the tenant workflows and every
// activity they call registered; tests mock the activities they need.
func newTenantEnv() *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	RegisterTenant(env)
	for _, a := range []any{&controlplane.Activities{}, &tenantdb.Activities{}, &cache.Activities{}, &storage.Activities{},
		&gitprovider.Activities{}, &kube.Activities{}, &argocd.Activities{}} {
		env.RegisterActivityWithOptions(a, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	}
	return env
}

func newMockedEnv(t *testing.T, caps controlplane.Capabilities, failures map[string]error) *mockedEnv {
	t.Helper()
	env := newTenantEnv()
	c := &calls{}
	mockAll(env, c, caps, failures)
	return &mockedEnv{TestWorkflowEnvironment: env, calls: c}
}

func mockAll(env *testsuite.TestWorkflowEnvironment, c *calls, caps controlplane.Capabilities, failures map[string]error) {
	fail := func(name string) error {
		c.add(name)
		return failures[name]
	}
	env.OnActivity(cpActs.ControlPlaneCapabilities, mock.Anything, mock.Anything).Return(
		func(context.Context, controlplane.CapabilitiesInput) (controlplane.Capabilities, error) {
			return caps, nil
		})
	env.OnActivity(cpActs.ControlPlaneRecordTenant, mock.Anything, mock.Anything).Return(
		func(context.Context, controlplane.RecordTenantInput) (controlplane.RecordTenantResult, error) {
			return controlplane.RecordTenantResult{Created: true, Status: "provisioning"}, fail("ControlPlaneRecordTenant")
		}).Maybe()
	env.OnActivity(cpActs.ControlPlaneSetStatus, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in controlplane.SetStatusInput) (controlplane.SetStatusResult, error) {
			return controlplane.SetStatusResult{Changed: true}, fail("ControlPlaneSetStatus:" + in.To)
		}).Maybe()
	env.OnActivity(cpActs.BillingSubscribe, mock.Anything, mock.Anything).Return(
		func(context.Context, controlplane.SubscribeInput) (controlplane.SubscribeResult, error) {
			return controlplane.SubscribeResult{SubscriptionID: 7, Created: true}, fail("BillingSubscribe")
		}).Maybe()
	env.OnActivity(cpActs.BillingUnsubscribe, mock.Anything, mock.Anything).Return(
		func(context.Context, controlplane.UnsubscribeInput) (controlplane.UnsubscribeResult, error) {
			return controlplane.UnsubscribeResult{Ended: true}, fail("BillingUnsubscribe")
		}).Maybe()
	env.OnActivity(dbActs.TenantDBCreate, mock.Anything, mock.Anything).Return(
		func(context.Context, tenantdb.CreateInput) (tenantdb.CreateResult, error) {
			return tenantdb.CreateResult{Schema: "tenant_acme", Role: "tenant_acme_owner"}, fail("TenantDBCreate")
		}).Maybe()
	env.OnActivity(dbActs.TenantDBDrop, mock.Anything, mock.Anything).Return(
		func(context.Context, tenantdb.DropInput) (tenantdb.DropResult, error) {
			return tenantdb.DropResult{Dropped: true}, fail("TenantDBDrop")
		}).Maybe()
	env.OnActivity(cacheActs.CacheCreateUser, mock.Anything, mock.Anything).Return(
		func(context.Context, cache.CreateUserInput) (cache.CreateUserResult, error) {
			return cache.CreateUserResult{User: "tenant-acme", KeyPattern: "t:acme:*"}, fail("CacheCreateUser")
		}).Maybe()
	env.OnActivity(cacheActs.CacheDeleteUser, mock.Anything, mock.Anything).Return(
		func(context.Context, cache.DeleteUserInput) (cache.DeleteUserResult, error) {
			return cache.DeleteUserResult{Deleted: true}, fail("CacheDeleteUser")
		}).Maybe()
	env.OnActivity(storeActs.StorageCreatePrefix, mock.Anything, mock.Anything).Return(
		func(context.Context, storage.CreatePrefixInput) (storage.CreatePrefixResult, error) {
			return storage.CreatePrefixResult{Prefix: "tenants/acme/", Created: true}, fail("StorageCreatePrefix")
		}).Maybe()
	env.OnActivity(storeActs.StorageDeletePrefix, mock.Anything, mock.Anything).Return(
		func(context.Context, storage.DeletePrefixInput) (storage.DeletePrefixResult, error) {
			return storage.DeletePrefixResult{Deleted: 1}, fail("StorageDeletePrefix")
		}).Maybe()
	env.OnActivity(gitActs.GitCreateConfigRepo, mock.Anything, mock.Anything).Return(
		func(context.Context, gitprovider.CreateConfigRepoInput) (gitprovider.CreateConfigRepoResult, error) {
			return gitprovider.CreateConfigRepoResult{Provider: "github", CloneURL: "https://git.example/acme.git", DefaultBranch: "main", CommitSHA: "abc"}, fail("GitCreateConfigRepo")
		}).Maybe()
	env.OnActivity(gitActs.GitDeleteConfigRepo, mock.Anything, mock.Anything).Return(
		func(context.Context, gitprovider.DeleteConfigRepoInput) (gitprovider.DeleteConfigRepoResult, error) {
			return gitprovider.DeleteConfigRepoResult{Deleted: true}, fail("GitDeleteConfigRepo")
		}).Maybe()
	env.OnActivity(kubeActs.KubeEnsureNamespace, mock.Anything, mock.Anything).Return(
		func(context.Context, kube.EnsureNamespaceInput) (kube.EnsureNamespaceResult, error) {
			return kube.EnsureNamespaceResult{Namespace: "tenant-acme", Created: true}, fail("KubeEnsureNamespace")
		}).Maybe()
	env.OnActivity(kubeActs.KubeDeleteNamespace, mock.Anything, mock.Anything).Return(
		func(context.Context, kube.DeleteNamespaceInput) (kube.DeleteNamespaceResult, error) {
			return kube.DeleteNamespaceResult{Deleted: true}, fail("KubeDeleteNamespace")
		}).Maybe()
	env.OnActivity(argoActs.ArgoCreateApplication, mock.Anything, mock.Anything).Return(
		func(context.Context, argocd.CreateApplicationInput) (argocd.CreateApplicationResult, error) {
			return argocd.CreateApplicationResult{Name: "tenant-acme", Created: true}, fail("ArgoCreateApplication")
		}).Maybe()
	env.OnActivity(argoActs.ArgoWaitHealthy, mock.Anything, mock.Anything).Return(
		func(context.Context, argocd.WaitHealthyInput) (argocd.WaitHealthyResult, error) {
			return argocd.WaitHealthyResult{Sync: "Synced", Health: "Healthy"}, fail("ArgoWaitHealthy")
		}).Maybe()
	env.OnActivity(argoActs.ArgoDeleteApplication, mock.Anything, mock.Anything).Return(
		func(context.Context, argocd.DeleteApplicationInput) (argocd.DeleteApplicationResult, error) {
			return argocd.DeleteApplicationResult{Deleted: true}, fail("ArgoDeleteApplication")
		}).Maybe()
}

func progressOf(t *testing.T, env *mockedEnv) Progress {
	t.Helper()
	v, err := env.QueryWorkflow(QueryProgress)
	if err != nil {
		t.Fatalf("query progress: %v", err)
	}
	var p Progress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func stateOf(p Progress, step string) string {
	for _, s := range p.Steps {
		if s.Name == step {
			return s.State
		}
	}
	return "missing"
}

func TestOnboardingHappyPath(t *testing.T) {
	env := newMockedEnv(t, allCaps, nil)
	env.ExecuteWorkflow(TenantOnboarding, testInput)
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed=%v err=%v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	want := []string{"ControlPlaneRecordTenant", "TenantDBCreate", "CacheCreateUser", "StorageCreatePrefix", "GitCreateConfigRepo",
		"KubeEnsureNamespace", "ArgoCreateApplication", "ArgoWaitHealthy", "BillingSubscribe", "ControlPlaneSetStatus:active"}
	if got := env.calls.list(); !slices.Equal(got, want) {
		t.Fatalf("activities:\n got %v\nwant %v", got, want)
	}
	p := progressOf(t, env)
	if p.Status != "active" || p.Stage != "active" {
		t.Fatalf("progress status=%s stage=%s", p.Status, p.Stage)
	}
	for _, s := range p.Steps {
		if s.State != StepDone || s.StartedAt == nil || s.EndedAt == nil {
			t.Fatalf("step %+v not done with timestamps", s)
		}
	}
}

// TestOnboardingCompensatesEachFailure fails every step in turn and checks
// the exact undo sequence: the undos of the steps that ran, newest first,
// then the tenant marked failed.
func TestOnboardingCompensatesEachFailure(t *testing.T) {
	cases := []struct {
		failing string
		undos   []string
	}{
		{"ControlPlaneRecordTenant", nil},
		{"TenantDBCreate", []string{"TenantDBDrop"}},
		{"CacheCreateUser", []string{"CacheDeleteUser", "TenantDBDrop"}},
		{"StorageCreatePrefix", []string{"StorageDeletePrefix", "CacheDeleteUser", "TenantDBDrop"}},
		{"GitCreateConfigRepo", []string{"GitDeleteConfigRepo", "StorageDeletePrefix", "CacheDeleteUser", "TenantDBDrop"}},
		{"KubeEnsureNamespace", []string{"KubeDeleteNamespace", "GitDeleteConfigRepo", "StorageDeletePrefix", "CacheDeleteUser", "TenantDBDrop"}},
		{"ArgoCreateApplication", []string{"ArgoDeleteApplication", "KubeDeleteNamespace", "GitDeleteConfigRepo", "StorageDeletePrefix", "CacheDeleteUser", "TenantDBDrop"}},
		{"ArgoWaitHealthy", []string{"ArgoDeleteApplication", "KubeDeleteNamespace", "GitDeleteConfigRepo", "StorageDeletePrefix", "CacheDeleteUser", "TenantDBDrop"}},
		{"BillingSubscribe", []string{"BillingUnsubscribe", "ArgoDeleteApplication", "KubeDeleteNamespace", "GitDeleteConfigRepo", "StorageDeletePrefix", "CacheDeleteUser", "TenantDBDrop"}},
		{"ControlPlaneSetStatus:active", []string{"BillingUnsubscribe", "ArgoDeleteApplication", "KubeDeleteNamespace", "GitDeleteConfigRepo", "StorageDeletePrefix", "CacheDeleteUser", "TenantDBDrop"}},
	}
	for _, tc := range cases {
		t.Run(tc.failing, func(t *testing.T) {
			boom := temporal.NewNonRetryableApplicationError("injected failure", "Injected", nil)
			env := newMockedEnv(t, allCaps, map[string]error{tc.failing: boom})
			env.ExecuteWorkflow(TenantOnboarding, testInput)
			err := env.GetWorkflowError()
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) {
				t.Fatalf("want an application error, got %v", err)
			}
			got := env.calls.list()
			i := slices.Index(got, tc.failing)
			if i < 0 {
				t.Fatalf("failing activity never ran: %v", got)
			}
			want := append(slices.Clone(tc.undos), "ControlPlaneSetStatus:failed")
			if after := got[i+1:]; !slices.Equal(after, want) {
				t.Fatalf("after %s:\n got %v\nwant %v", tc.failing, after, want)
			}
			p := progressOf(t, env)
			if p.Status != "failed" || p.Error == "" {
				t.Fatalf("progress %+v", p)
			}
		})
	}
}

func TestOnboardingRetriesThenSucceeds(t *testing.T) {
	attempts := 0
	env := newTenantEnv()
	c := &calls{}
	// The database refuses twice with a retryable error, then works.
	env.OnActivity(dbActs.TenantDBCreate, mock.Anything, mock.Anything).Return(
		func(context.Context, tenantdb.CreateInput) (tenantdb.CreateResult, error) {
			attempts++
			if attempts < 3 {
				return tenantdb.CreateResult{}, temporal.NewApplicationError("connection refused", "Transient")
			}
			return tenantdb.CreateResult{Schema: "tenant_acme"}, nil
		})
	mockAll(env, c, controlplane.Capabilities{}, nil)
	env.ExecuteWorkflow(TenantOnboarding, testInput)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	if attempts != 3 {
		t.Fatalf("attempts = %d, want 3", attempts)
	}
	if slices.Contains(c.list(), "TenantDBDrop") {
		t.Fatalf("a retried step must not be compensated: %v", c.list())
	}
}

func TestOnboardingSkipsUnconfigured(t *testing.T) {
	env := newMockedEnv(t, controlplane.Capabilities{}, nil)
	env.ExecuteWorkflow(TenantOnboarding, testInput)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	p := progressOf(t, env)
	for _, step := range []string{StepCache, StepGit, StepKubernetes, StepArgoCD} {
		if stateOf(p, step) != StepSkipped {
			t.Fatalf("step %s = %s, want skipped", step, stateOf(p, step))
		}
	}
	for _, step := range []string{StepRecord, StepDatabase, StepStorage, StepBilling, StepActivate} {
		if stateOf(p, step) != StepDone {
			t.Fatalf("step %s = %s, want done", step, stateOf(p, step))
		}
	}
	for _, s := range p.Steps {
		if s.State == StepSkipped && s.Detail != "skipped: not configured" {
			t.Fatalf("skipped step %s detail %q", s.Name, s.Detail)
		}
	}
}

func TestOnboardingCancelledMidRunCompensates(t *testing.T) {
	env := newTenantEnv()
	c := &calls{}
	// The git step is where the operator cancels: it blocks until the
	// cancellation reaches it, as a real long push would.
	env.OnActivity(gitActs.GitCreateConfigRepo, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, _ gitprovider.CreateConfigRepoInput) (gitprovider.CreateConfigRepoResult, error) {
			c.add("GitCreateConfigRepo")
			env.CancelWorkflow()
			<-ctx.Done()
			return gitprovider.CreateConfigRepoResult{}, ctx.Err()
		})
	mockAll(env, c, allCaps, nil)
	env.ExecuteWorkflow(TenantOnboarding, testInput)
	if err := env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("want cancelled, got %v", err)
	}
	got := c.list()
	want := []string{"ControlPlaneRecordTenant", "TenantDBCreate", "CacheCreateUser", "StorageCreatePrefix", "GitCreateConfigRepo",
		"GitDeleteConfigRepo", "StorageDeletePrefix", "CacheDeleteUser", "TenantDBDrop", "ControlPlaneSetStatus:failed"}
	if !slices.Equal(got, want) {
		t.Fatalf("activities:\n got %v\nwant %v", got, want)
	}
	if p := progressOf(t, &mockedEnv{TestWorkflowEnvironment: env}); p.Status != "cancelled" || stateOf(p, StepDatabase) != StepCompensated {
		t.Fatalf("progress %+v", p)
	}
}

func TestUndoFailureDoesNotStopOtherUndos(t *testing.T) {
	env := newMockedEnv(t, allCaps, map[string]error{
		"BillingSubscribe":    temporal.NewNonRetryableApplicationError("card declined", "Injected", nil),
		"GitDeleteConfigRepo": temporal.NewNonRetryableApplicationError("forbidden", "GitAuthFailed", nil),
	})
	env.ExecuteWorkflow(TenantOnboarding, testInput)
	got := env.calls.list()
	for _, undo := range []string{"StorageDeletePrefix", "CacheDeleteUser", "TenantDBDrop", "ControlPlaneSetStatus:failed"} {
		if !slices.Contains(got, undo) {
			t.Fatalf("%s did not run after a failed undo: %v", undo, got)
		}
	}
	if p := progressOf(t, env); stateOf(p, StepGit) != StepCompensationFailed {
		t.Fatalf("git step = %s", stateOf(p, StepGit))
	}
}
