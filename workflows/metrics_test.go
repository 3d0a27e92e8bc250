package workflows

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
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

// countingHandler records Rigger's counters as "name{kind,result}" → sum;
// the SDK's own metrics and its tags are left out.
type countingHandler struct {
	mu     *sync.Mutex
	counts map[string]int64
	tags   map[string]string
}

func newCountingHandler() countingHandler {
	return countingHandler{mu: &sync.Mutex{}, counts: map[string]int64{}, tags: map[string]string{}}
}

func (h countingHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := map[string]string{}
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return countingHandler{mu: h.mu, counts: h.counts, tags: merged}
}

func (h countingHandler) Counter(name string) client.MetricsCounter {
	if !strings.HasPrefix(name, "rigger_") {
		return client.MetricsNopHandler.Counter(name)
	}
	var labels []string
	for _, k := range []string{LabelKind, LabelResult} {
		if v, ok := h.tags[k]; ok {
			labels = append(labels, k+"="+v)
		}
	}
	key := name + "{" + strings.Join(labels, ",") + "}"
	return countFunc(func(n int64) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.counts[key] += n
	})
}

func (h countingHandler) Gauge(name string) client.MetricsGauge {
	return client.MetricsNopHandler.Gauge(name)
}
func (h countingHandler) Timer(name string) client.MetricsTimer {
	return client.MetricsNopHandler.Timer(name)
}

func (h countingHandler) snapshot() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for k, v := range h.counts {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

type countFunc func(int64)

func (f countFunc) Inc(n int64) { f(n) }

// TestOnboardingRunResults: how a TenantOnboarding run ends decides its
// rigger_runs_total result: completed; compensated when a step failed and
// every undo succeeded; failed when an undo failed too, or when nothing
// had been done that could be undone.
func TestOnboardingRunResults(t *testing.T) {
	boom := temporal.NewNonRetryableApplicationError("boom", "Boom", nil)
	for _, tc := range []struct {
		name     string
		failures map[string]error
		want     string
	}{
		{"completed", nil, RunCompleted},
		{"rolled back", map[string]error{"BillingSubscribe": boom}, RunCompensated},
		{"undo failed", map[string]error{"BillingSubscribe": boom, "TenantDBDrop": boom}, RunFailed},
		{"nothing to undo", map[string]error{"ControlPlaneRecordTenant": boom}, RunFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newCountingHandler()
			var s testsuite.WorkflowTestSuite
			s.SetMetricsHandler(h)
			env := s.NewTestWorkflowEnvironment()
			RegisterTenant(env)
			for _, a := range []any{&controlplane.Activities{}, &tenantdb.Activities{}, &cache.Activities{}, &storage.Activities{},
				&gitprovider.Activities{}, &kube.Activities{}, &argocd.Activities{}} {
				env.RegisterActivityWithOptions(a, activity.RegisterOptions{SkipInvalidStructFunctions: true})
			}
			mockAll(env, &calls{}, controlplane.Capabilities{}, tc.failures)
			env.ExecuteWorkflow(TenantOnboarding, OnboardingInput{Slug: "acme", Plan: "team", Owner: "alice"})
			if (env.GetWorkflowError() == nil) != (tc.want == RunCompleted) {
				t.Fatalf("workflow error %v", env.GetWorkflowError())
			}
			want := fmt.Sprintf("%s{kind=%s,result=%s}=1", MetricRuns, KindOnboarding, tc.want)
			if got := h.snapshot(); got != want {
				t.Fatalf("counted %q, want %q", got, want)
			}
		})
	}
}

// TestEndRunClassifiesErrors: a cancellation is cancelled whatever was
// undone, also when wrapped.
func TestEndRunClassifiesErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		rolledBack bool
		want       string
	}{
		{"completed", nil, false, "completed"},
		{"failed", errors.New("x"), false, "failed"},
		{"compensated", errors.New("x"), true, "compensated"},
		{"cancelled", temporal.NewCanceledError("stop"), true, "cancelled"},
		{"cancelled, wrapped", fmt.Errorf("step: %w", temporal.NewCanceledError()), false, "cancelled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := runResultOf(tc.err, tc.rolledBack); got != tc.want {
				t.Fatalf("result %q, want %q", got, tc.want)
			}
		})
	}
}
