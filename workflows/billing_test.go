package workflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	billingacts "github.com/rigger-platform/rigger/activities/billing"
	"github.com/rigger-platform/rigger/internal/billing"
)

const testPeriod = "2026-10"

// billingFake plays the billing activities over a list of tenants. It
// counts calls per tenant, remembers which invoices were written (so a
// second write is Created=false, as the store does), and tracks how many
// tenants are between compute and notify at once.
type billingFake struct {
	mu        sync.Mutex
	tenants   []string
	computes  map[string]int
	written   map[string]bool
	notified  map[string]bool
	lists     []billingacts.ListTenantsInput
	children  []string
	inFlight  int
	maxFlight int
	// fail, when set, decides a compute call's error (attempt counts the
	// tenant's compute calls so far, 1-based).
	fail func(tenant string, attempt int) error
}

func tenantNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("t-%03d", i+1)
	}
	return out
}

func newBillingEnv(t *testing.T, f *billingFake, computeDelay time.Duration) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC))
	RegisterBilling(env)
	env.RegisterWorkflow(twoCycles)
	env.RegisterActivityWithOptions(&billingacts.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	f.computes, f.written, f.notified = map[string]int{}, map[string]bool{}, map[string]bool{}
	env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if info.WorkflowType.Name == TenantInvoiceWorkflow {
			f.children = append(f.children, info.WorkflowExecution.ID)
		}
	})

	env.OnActivity(billActs.BillingListTenants, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in billingacts.ListTenantsInput) (billingacts.ListTenantsResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.lists = append(f.lists, in)
			i := sort.SearchStrings(f.tenants, in.After)
			if i < len(f.tenants) && f.tenants[i] == in.After {
				i++
			}
			page := slices.Clone(f.tenants[i:])
			var out billingacts.ListTenantsResult
			if in.Limit > 0 && len(page) >= in.Limit {
				page = page[:in.Limit]
				out.Next = page[len(page)-1]
			}
			out.Tenants = page
			return out, nil
		}).Maybe()
	compute := env.OnActivity(billActs.BillingComputeInvoice, mock.Anything, mock.Anything)
	if computeDelay > 0 {
		compute.After(computeDelay)
	}
	compute.Return(func(_ context.Context, in billingacts.ComputeInvoiceInput) (billingacts.ComputeInvoiceResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.computes[in.Tenant]++
		if f.fail != nil {
			if err := f.fail(in.Tenant, f.computes[in.Tenant]); err != nil {
				return billingacts.ComputeInvoiceResult{}, err
			}
		}
		f.inFlight++
		f.maxFlight = max(f.maxFlight, f.inFlight)
		return billingacts.ComputeInvoiceResult{Invoice: billing.Invoice{Tenant: in.Tenant, Period: in.Period, Currency: "EUR",
			SubtotalMinor: totalFor(in.Tenant), TotalMinor: totalFor(in.Tenant)}}, nil
	}).Maybe()
	env.OnActivity(billActs.BillingWriteInvoice, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in billingacts.WriteInvoiceInput) (billingacts.WriteInvoiceResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			created := !f.written[in.Invoice.Tenant]
			f.written[in.Invoice.Tenant] = true
			return billingacts.WriteInvoiceResult{InvoiceID: "inv_" + in.Invoice.Tenant, Created: created}, nil
		}).Maybe()
	env.OnActivity(billActs.BillingRenderInvoice, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in billingacts.RenderInvoiceInput) (billingacts.RenderInvoiceResult, error) {
			return billingacts.RenderInvoiceResult{JSONKey: "invoices/" + testPeriod + "/" + in.InvoiceID + ".json",
				HTMLKey: "invoices/" + testPeriod + "/" + in.InvoiceID + ".html"}, nil
		}).Maybe()
	env.OnActivity(billActs.BillingNotify, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in billingacts.NotifyInput) (billingacts.NotifyResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.inFlight--
			already := f.notified[in.Tenant]
			f.notified[in.Tenant] = true
			return billingacts.NotifyResult{Notified: true, AlreadyNotified: already}, nil
		}).Maybe()
	return env
}

func totalFor(tenant string) int64 { return int64(len(tenant)) * 1000 }

// twoCycles runs the cycle for the same period twice in one test
// environment (which remembers completed children across them), as two
// schedule firings or an API re-run would.
func twoCycles(ctx workflow.Context, in BillingCycleInput) ([]BillingCycleResult, error) {
	var out []BillingCycleResult
	for _, id := range []string{"billing/first", "billing/second"} {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: id, TaskQueue: TaskQueueBilling})
		var r BillingCycleResult
		if err := workflow.ExecuteChildWorkflow(cctx, BillingCycleWorkflow, in).Get(ctx, &r); err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func cycleResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) BillingCycleResult {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	var r BillingCycleResult
	if err := env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestBillingCycleFansOutOneChildPerTenant(t *testing.T) {
	f := &billingFake{tenants: tenantNames(25)}
	env := newBillingEnv(t, f, 0)
	env.ExecuteWorkflow(BillingCycle, BillingCycleInput{Period: testPeriod})
	r := cycleResult(t, env)
	if r.Period != testPeriod || !slices.Equal(r.Invoiced, f.tenants) || len(r.Failed) != 0 || len(r.Existing) != 0 || r.Runs != 1 {
		t.Fatalf("result %+v", r)
	}
	want := make([]string, len(f.tenants))
	for i, tn := range f.tenants {
		want[i] = "invoice/" + tn + "/" + testPeriod
		if f.computes[tn] != 1 || !f.written[tn] || !f.notified[tn] {
			t.Fatalf("%s: computes=%d written=%v notified=%v", tn, f.computes[tn], f.written[tn], f.notified[tn])
		}
	}
	if got := slices.Sorted(slices.Values(f.children)); !slices.Equal(got, want) {
		t.Fatalf("children %v", got)
	}
	var p BillingCycleProgress
	v, err := env.QueryWorkflow(QueryProgress)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Get(&p); err != nil || p.Status != "completed" || p.Stage != "completed" || p.Invoiced != 25 || len(p.InFlight) != 0 {
		t.Fatalf("progress %+v %v", p, err)
	}
}

func TestBillingCyclePartialFailure(t *testing.T) {
	f := &billingFake{tenants: tenantNames(6)}
	f.fail = func(tenant string, attempt int) error {
		switch {
		case tenant == "t-003":
			return temporal.NewNonRetryableApplicationError("billing: no subscription", billingacts.ErrTypeNoSubscription, nil)
		case tenant == "t-005" && attempt == 1:
			// A store outage on the first attempt: retried, then fine.
			return temporal.NewApplicationError("connection reset", billingacts.ErrTypeStoreUnavailable)
		}
		return nil
	}
	env := newBillingEnv(t, f, 0)
	env.ExecuteWorkflow(BillingCycle, BillingCycleInput{Period: testPeriod})
	r := cycleResult(t, env)
	wantOK := []string{"t-001", "t-002", "t-004", "t-005", "t-006"}
	if !slices.Equal(r.Invoiced, wantOK) {
		t.Fatalf("invoiced %v", r.Invoiced)
	}
	if len(r.Failed) != 1 || r.Failed[0].Tenant != "t-003" || r.Failed[0].Type != billingacts.ErrTypeNoSubscription ||
		r.Failed[0].Error != "compute: billing: no subscription" {
		t.Fatalf("failed %+v", r.Failed)
	}
	if f.computes["t-003"] != 1 || f.written["t-003"] {
		t.Fatalf("non-retryable failure retried (%d computes) or written", f.computes["t-003"])
	}
	if f.computes["t-005"] != 2 {
		t.Fatalf("retryable failure: %d computes", f.computes["t-005"])
	}
	var p BillingCycleProgress
	v, _ := env.QueryWorkflow(QueryProgress)
	if err := v.Get(&p); err != nil || p.Stage != "completed-with-failures" || p.Failed != 1 {
		t.Fatalf("progress %+v %v", p, err)
	}
}

// TestBillingCycleSecondRunOfPeriod: the second cycle for a period starts
// no child for a tenant already invoiced (Temporal refuses the completed
// child's ID and the cycle counts it as done), and retries exactly the
// tenant that failed the first time.
func TestBillingCycleSecondRunOfPeriod(t *testing.T) {
	f := &billingFake{tenants: tenantNames(5)}
	f.fail = func(tenant string, attempt int) error {
		if tenant == "t-002" && attempt == 1 {
			return temporal.NewNonRetryableApplicationError("billing: plan has no price", billingacts.ErrTypeInvalidPricing, nil)
		}
		return nil
	}
	env := newBillingEnv(t, f, 0)
	env.ExecuteWorkflow(twoCycles, BillingCycleInput{Period: testPeriod})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var rs []BillingCycleResult
	if err := env.GetWorkflowResult(&rs); err != nil || len(rs) != 2 {
		t.Fatalf("%v %v", rs, err)
	}
	first, second := rs[0], rs[1]
	if len(first.Invoiced) != 4 || len(first.Failed) != 1 || first.Failed[0].Tenant != "t-002" {
		t.Fatalf("first %+v", first)
	}
	if !slices.Equal(second.Invoiced, f.tenants) || len(second.Failed) != 0 {
		t.Fatalf("second %+v", second)
	}
	if want := []string{"t-001", "t-003", "t-004", "t-005"}; !slices.Equal(second.Existing, want) {
		t.Fatalf("second run existing %v, want %v", second.Existing, want)
	}
	for _, tn := range f.tenants {
		want := 1
		if tn == "t-002" {
			want = 2
		}
		if f.computes[tn] != want {
			t.Fatalf("%s computed %d times, want %d", tn, f.computes[tn], want)
		}
	}
	// 5 children in the first cycle, 1 (the retry of t-002) in the second.
	if len(f.children) != 6 {
		t.Fatalf("children started: %v", f.children)
	}
}

func TestBillingCycleBoundsConcurrency(t *testing.T) {
	f := &billingFake{tenants: tenantNames(40)}
	env := newBillingEnv(t, f, time.Minute)
	var mid BillingCycleProgress
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryProgress)
		if err == nil {
			_ = v.Get(&mid)
		}
	}, 90*time.Second)
	env.ExecuteWorkflow(BillingCycle, BillingCycleInput{Period: testPeriod, MaxInFlight: 4})
	r := cycleResult(t, env)
	if len(r.Invoiced) != 40 {
		t.Fatalf("invoiced %d", len(r.Invoiced))
	}
	if f.maxFlight != 4 {
		t.Fatalf("at most %d tenants in flight, want exactly the limit 4", f.maxFlight)
	}
	if len(mid.InFlight) != 4 || mid.Status != "running" || mid.Stage != "invoicing" {
		t.Fatalf("progress mid-run %+v", mid)
	}
}

// TestBillingCycleContinuesAsNew runs the cycle as a child, which the test
// environment continues for real: 23 tenants, 5 per run, 3 in flight.
func TestBillingCycleContinuesAsNew(t *testing.T) {
	f := &billingFake{tenants: tenantNames(23)}
	f.fail = func(tenant string, _ int) error {
		if tenant == "t-004" {
			return temporal.NewNonRetryableApplicationError("billing: no subscription", billingacts.ErrTypeNoSubscription, nil)
		}
		return nil
	}
	env := newBillingEnv(t, f, time.Second)
	env.ExecuteWorkflow(func(ctx workflow.Context) (BillingCycleResult, error) {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: "billing/" + testPeriod, TaskQueue: TaskQueueBilling})
		var r BillingCycleResult
		err := workflow.ExecuteChildWorkflow(cctx, BillingCycleWorkflow, BillingCycleInput{Period: testPeriod, MaxInFlight: 3, ContinueEvery: 5}).Get(ctx, &r)
		return r, err
	})
	r := cycleResult(t, env)
	want := slices.DeleteFunc(slices.Clone(f.tenants), func(s string) bool { return s == "t-004" })
	if !slices.Equal(r.Invoiced, want) || len(r.Failed) != 1 || r.Failed[0].Tenant != "t-004" {
		t.Fatalf("result %+v", r)
	}
	// 5 + 5 + 5 + 5 + 3 tenants: five runs, each listing after the last.
	if r.Runs != 5 {
		t.Fatalf("runs %d", r.Runs)
	}
	var afters []string
	for _, l := range f.lists {
		afters = append(afters, l.After)
		if l.Limit != 5 || l.Period != testPeriod {
			t.Fatalf("list %+v", l)
		}
	}
	if want := []string{"", "t-005", "t-010", "t-015", "t-020"}; !slices.Equal(afters, want) {
		t.Fatalf("list cursors %v, want %v", afters, want)
	}
	for _, tn := range f.tenants {
		if f.computes[tn] != 1 {
			t.Fatalf("%s computed %d times", tn, f.computes[tn])
		}
	}
}

// TestBillingCycleContinueAsNewInput checks what one run hands the next:
// the resolved period, the cursor and the partial results.
func TestBillingCycleContinueAsNewInput(t *testing.T) {
	f := &billingFake{tenants: tenantNames(12)}
	env := newBillingEnv(t, f, 0)
	env.ExecuteWorkflow(BillingCycle, BillingCycleInput{ContinueEvery: 5})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	if can.WorkflowType.Name != BillingCycleWorkflow {
		t.Fatalf("continues as %s", can.WorkflowType.Name)
	}
	var next BillingCycleInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	// No period given: the month before the start time (2026-11-02).
	if next.Period != testPeriod || next.ContinueEvery != 5 || next.Carry == nil || next.Carry.After != "t-005" ||
		len(next.Carry.Invoiced) != 5 || next.Carry.Runs != 1 {
		t.Fatalf("next input %+v carry %+v", next, next.Carry)
	}
}

func TestBillingCycleRefusesOpenPeriod(t *testing.T) {
	for _, period := range []string{"2026-11", "2026-12"} {
		f := &billingFake{tenants: tenantNames(2)}
		env := newBillingEnv(t, f, 0)
		env.ExecuteWorkflow(BillingCycle, BillingCycleInput{Period: period})
		var app *temporal.ApplicationError
		if err := env.GetWorkflowError(); !errors.As(err, &app) || app.Type() != ErrTypeBillingPeriodOpen {
			t.Fatalf("%s: %v", period, err)
		}
		if len(f.lists) != 0 {
			t.Fatalf("%s: listed tenants", period)
		}
	}
	f := &billingFake{}
	env := newBillingEnv(t, f, 0)
	env.ExecuteWorkflow(BillingCycle, BillingCycleInput{Period: "2026-1"})
	var app *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &app) || app.Type() != ErrTypeBillingInvalidInput {
		t.Fatalf("bad period: %v", err)
	}
}

func TestTenantInvoiceSteps(t *testing.T) {
	f := &billingFake{tenants: tenantNames(1)}
	env := newBillingEnv(t, f, 0)
	env.ExecuteWorkflow(TenantInvoice, TenantInvoiceInput{Tenant: "t-001", Period: testPeriod})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var r TenantInvoiceResult
	if err := env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}
	want := TenantInvoiceResult{InvoiceID: "inv_t-001", Created: true, TotalMinor: 5000, Currency: "EUR",
		JSONKey: "invoices/2026-10/inv_t-001.json", HTMLKey: "invoices/2026-10/inv_t-001.html", Notified: true}
	if r != want {
		t.Fatalf("result %+v", r)
	}
	v, err := env.QueryWorkflow(QueryProgress)
	if err != nil {
		t.Fatal(err)
	}
	var p Progress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	if p.Tenant != "t-001" || p.Kind != KindBilling || p.Status != "invoiced" || len(p.Steps) != 4 {
		t.Fatalf("progress %+v", p)
	}
	for _, s := range p.Steps {
		if s.State != StepDone || s.StartedAt == nil || s.EndedAt == nil {
			t.Fatalf("step %+v", s)
		}
	}
}

func TestTenantInvoiceFailureStopsAtStep(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	RegisterBilling(env)
	env.RegisterActivityWithOptions(&billingacts.Activities{}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	env.OnActivity(billActs.BillingComputeInvoice, mock.Anything, mock.Anything).Return(
		billingacts.ComputeInvoiceResult{Invoice: billing.Invoice{Tenant: "acme", Period: testPeriod, Currency: "EUR"}}, nil)
	env.OnActivity(billActs.BillingWriteInvoice, mock.Anything, mock.Anything).Return(
		billingacts.WriteInvoiceResult{InvoiceID: "inv_1", Created: true}, nil)
	renders := 0
	env.OnActivity(billActs.BillingRenderInvoice, mock.Anything, mock.Anything).Return(
		func(context.Context, billingacts.RenderInvoiceInput) (billingacts.RenderInvoiceResult, error) {
			renders++
			// Retryable by itself, but named non-retryable by the policy.
			return billingacts.RenderInvoiceResult{}, temporal.NewApplicationError("bad key", billingacts.ErrTypeStorageRejected)
		})
	env.ExecuteWorkflow(TenantInvoice, TenantInvoiceInput{Tenant: "acme", Period: testPeriod})
	var app *temporal.ApplicationError
	err := env.GetWorkflowError()
	if !errors.As(err, &app) || app.Type() != billingacts.ErrTypeStorageRejected || app.Message() != "render: bad key" {
		t.Fatalf("error %v", err)
	}
	if renders != 1 {
		t.Fatalf("render attempted %d times", renders)
	}
	v, _ := env.QueryWorkflow(QueryProgress)
	var p Progress
	_ = v.Get(&p)
	if stateOf(p, StepWrite) != StepDone || stateOf(p, StepRender) != StepFailed || stateOf(p, StepNotify) != StepPending || p.Status != StepFailed {
		t.Fatalf("progress %+v", p)
	}
}

// TestBillingCycleCancel: cancelling the cycle cancels the children in
// flight, starts no more and ends the cycle cancelled.
func TestBillingCycleCancel(t *testing.T) {
	f := &billingFake{tenants: tenantNames(8)}
	env := newBillingEnv(t, f, time.Minute)
	env.RegisterDelayedCallback(env.CancelWorkflow, 30*time.Second)
	env.ExecuteWorkflow(BillingCycle, BillingCycleInput{Period: testPeriod, MaxInFlight: 2})
	if err := env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("want cancelled, got %v", err)
	}
	if len(f.children) != 2 || len(f.written) != 0 {
		t.Fatalf("children %v, written %v", f.children, f.written)
	}
}
