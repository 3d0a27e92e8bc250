package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	billingacts "github.com/rigger-platform/rigger/activities/billing"
	"github.com/rigger-platform/rigger/internal/billing"
)

// billActs is the activity handle of the billing family.
var billActs *billingacts.Activities

// billingNonRetryable names the billing activities' error types no retry can
// fix. The activities already mark them non-retryable; naming them in the
// policy keeps that true if an activity ever forgets.
var billingNonRetryable = []string{
	billingacts.ErrTypeInvalidSlug, billingacts.ErrTypeInvalidPeriod, billingacts.ErrTypePeriodOpen,
	billingacts.ErrTypeNoSubscription, billingacts.ErrTypeInvalidPricing, billingacts.ErrTypeInvalidInvoice,
	billingacts.ErrTypeInvoiceNotFound, billingacts.ErrTypeNotConfigured, billingacts.ErrTypeStorageRejected,
	billingacts.ErrTypeWebhookRejected,
}

// billingOptions gives a billing activity its timeouts and retry policy.
// Every activity heartbeats through the worker's interceptor, so a worker
// that dies mid-call is noticed within heartbeatTimeout and the call is
// retried on another; store and storage outages are retried with backoff up
// to maxAttempts, after which the tenant is reported failed and a re-run of
// the cycle picks it up.
func billingOptions(ctx workflow.Context, startToClose, maxInterval time.Duration, maxAttempts int32) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: startToClose,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        maxInterval,
			MaximumAttempts:        maxAttempts,
			NonRetryableErrorTypes: billingNonRetryable,
		},
	})
}

// Per-step budgets. Compute and write are single database round trips;
// render writes two objects; the webhook receiver gets the most patience
// (about an hour of retries, honouring its Retry-After) because a receiver
// that is down for a while must not fail the invoice.
func listOptions(ctx workflow.Context) workflow.Context {
	return billingOptions(ctx, time.Minute, 30*time.Second, 10)
}
func computeOptions(ctx workflow.Context) workflow.Context {
	return billingOptions(ctx, 2*time.Minute, 30*time.Second, 10)
}
func writeOptions(ctx workflow.Context) workflow.Context {
	return billingOptions(ctx, time.Minute, 30*time.Second, 10)
}
func renderOptions(ctx workflow.Context) workflow.Context {
	return billingOptions(ctx, 2*time.Minute, 30*time.Second, 10)
}
func notifyOptions(ctx workflow.Context) workflow.Context {
	return billingOptions(ctx, 2*time.Minute, 5*time.Minute, 20)
}

// TenantInvoice bills one tenant for one period: compute (read-only) →
// write (once per tenant and period, in one transaction) → render (JSON and
// HTML into the tenant's storage, deterministic bytes) → notify (webhook,
// once per invoice). Every step is idempotent, so a retried step, a worker
// killed mid-run or a second run for the period issues nothing twice.
func TenantInvoice(ctx workflow.Context, in TenantInvoiceInput) (TenantInvoiceResult, error) {
	t := newTracker(in.Tenant, KindBilling, InvoiceSteps)
	if err := t.register(ctx); err != nil {
		return TenantInvoiceResult{}, endRun(ctx, KindBilling, err)
	}
	// The cycle sets tenant and kind when it starts the child; a run
	// started otherwise sets them here (one visibility write fewer per
	// tenant in a cycle).
	sa := workflow.GetTypedSearchAttributes(ctx)
	tn, _ := sa.GetKeyword(SearchTenant)
	kind, _ := sa.GetKeyword(SearchKind)
	if tn != in.Tenant || kind != KindBilling {
		if err := workflow.UpsertTypedSearchAttributes(ctx, SearchTenant.ValueSet(in.Tenant), SearchKind.ValueSet(KindBilling)); err != nil {
			workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
		}
	}
	res, step, err := invoice(ctx, in, t)
	if res.Created {
		// Issued by this run, whatever happens to rendering and notifying
		// (a re-run finds it written and does not count it again).
		inc(ctx, MetricBillingInvoices, nil)
	}
	if err == nil {
		t.finish(ctx, "invoiced", nil)
		return res, endRun(ctx, KindBilling, nil)
	}
	if temporal.IsCanceledError(err) || errors.Is(ctx.Err(), workflow.ErrCanceled) {
		t.finish(ctx, "cancelled", err)
		return res, endRun(ctx, KindBilling, temporal.NewCanceledError("cancelled at step "+step))
	}
	t.finish(ctx, StepFailed, err)
	msg, typ := summarize(err)
	if typ == "" {
		typ = ErrTypeInvoiceFailed
	}
	return res, endRun(ctx, KindBilling, temporal.NewNonRetryableApplicationError(step+": "+msg, typ, err))
}

func invoice(ctx workflow.Context, in TenantInvoiceInput, t *tracker) (TenantInvoiceResult, string, error) {
	var res TenantInvoiceResult
	if _, err := billing.ParsePeriod(in.Period); err != nil || in.Tenant == "" {
		return res, StepCompute, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("invalid input: tenant %q, period %q", in.Tenant, in.Period), ErrTypeBillingInvalidInput, err)
	}
	step := func(name string, fn func() (string, error)) error {
		t.set(ctx, name, StepRunning, "", nil)
		detail, err := fn()
		if err != nil {
			t.set(ctx, name, StepFailed, "", err)
			return err
		}
		t.set(ctx, name, StepDone, detail, nil)
		return nil
	}

	var computed billingacts.ComputeInvoiceResult
	err := step(StepCompute, func() (string, error) {
		err := workflow.ExecuteActivity(computeOptions(ctx), billActs.BillingComputeInvoice,
			billingacts.ComputeInvoiceInput{Tenant: in.Tenant, Period: in.Period}).Get(ctx, &computed)
		return fmt.Sprintf("%d lines, total %d %s", len(computed.Invoice.Lines), computed.Invoice.TotalMinor, computed.Invoice.Currency), err
	})
	if err != nil {
		return res, StepCompute, err
	}
	res.TotalMinor, res.Currency = computed.Invoice.TotalMinor, computed.Invoice.Currency

	err = step(StepWrite, func() (string, error) {
		var w billingacts.WriteInvoiceResult
		err := workflow.ExecuteActivity(writeOptions(ctx), billActs.BillingWriteInvoice,
			billingacts.WriteInvoiceInput{Invoice: computed.Invoice}).Get(ctx, &w)
		res.InvoiceID, res.Created = w.InvoiceID, w.Created
		if w.Created {
			return "invoice " + w.InvoiceID + " issued", err
		}
		return "invoice " + w.InvoiceID + " already issued", err
	})
	if err != nil {
		return res, StepWrite, err
	}

	err = step(StepRender, func() (string, error) {
		var r billingacts.RenderInvoiceResult
		err := workflow.ExecuteActivity(renderOptions(ctx), billActs.BillingRenderInvoice,
			billingacts.RenderInvoiceInput{Tenant: in.Tenant, InvoiceID: res.InvoiceID}).Get(ctx, &r)
		res.JSONKey, res.HTMLKey = r.JSONKey, r.HTMLKey
		return r.HTMLKey, err
	})
	if err != nil {
		return res, StepRender, err
	}

	err = step(StepNotify, func() (string, error) {
		var n billingacts.NotifyResult
		err := workflow.ExecuteActivity(notifyOptions(ctx), billActs.BillingNotify,
			billingacts.NotifyInput{Tenant: in.Tenant, InvoiceID: res.InvoiceID}).Get(ctx, &n)
		res.Notified = n.Notified
		switch {
		case n.AlreadyNotified:
			return "already notified", err
		case !n.Notified:
			return "no webhook configured", err
		}
		return "webhook acknowledged", err
	})
	if err != nil {
		return res, StepNotify, err
	}
	return res, "", nil
}

// BillingCycle bills every billable tenant for a period, one TenantInvoice
// child each, at most MaxInFlight at a time. A tenant that fails is listed
// in the result and does not stop the others. The run continues as new
// after ContinueEvery tenants, carrying its cursor and results, so history
// stays bounded for any number of tenants.
func BillingCycle(ctx workflow.Context, in BillingCycleInput) (BillingCycleResult, error) {
	c, err := newCycle(ctx, in)
	if err != nil {
		return BillingCycleResult{}, endRun(ctx, KindBilling, err)
	}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (BillingCycleProgress, error) { return c.progress(), nil }); err != nil {
		return BillingCycleResult{}, endRun(ctx, KindBilling, err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchKind.ValueSet(KindBilling)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
	}
	if end := c.period.End(); workflow.Now(ctx).Before(end) {
		c.finish(ctx, StepFailed)
		return c.result(), endRun(ctx, KindBilling, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("period %s has not ended (it ends %s)", c.period, end.Format(time.RFC3339)), ErrTypeBillingPeriodOpen, nil))
	}
	res, err := c.run(ctx)
	return res, endRun(ctx, KindBilling, err)
}

type cycle struct {
	in       BillingCycleInput
	period   billing.Period
	max      int
	every    int
	carry    BillingCycleCarry
	inFlight []string
	handled  int // tenants started by this run
	status   string
	stage    string
}

func newCycle(ctx workflow.Context, in BillingCycleInput) (*cycle, error) {
	if in.Period == "" {
		// The month before the run started: what the monthly schedule,
		// firing on the 1st, means. workflow.Now is replay-safe, and the
		// resolved period travels in every continuation's input.
		in.Period = billing.PeriodOf(workflow.Now(ctx)).Prev().String()
	}
	p, err := billing.ParsePeriod(in.Period)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeBillingInvalidInput, err)
	}
	if in.MaxInFlight < 0 || in.ContinueEvery < 0 {
		return nil, temporal.NewNonRetryableApplicationError("MaxInFlight and ContinueEvery must not be negative", ErrTypeBillingInvalidInput, nil)
	}
	c := &cycle{in: in, period: p, max: in.MaxInFlight, every: in.ContinueEvery, status: "running"}
	if c.max == 0 {
		c.max = DefaultBillingMaxInFlight
	}
	if c.every == 0 {
		c.every = DefaultBillingContinueEvery
	}
	if in.Carry != nil {
		c.carry = *in.Carry
	}
	c.carry.Runs++
	return c, nil
}

func (c *cycle) run(ctx workflow.Context) (BillingCycleResult, error) {
	c.setStage(ctx, "invoicing")
	end, err := fanOutLoop{
		max: c.max, every: c.every, pageSize: billingPageSize,
		list: func(limit int) ([]string, string, error) {
			var page billingacts.ListTenantsResult
			err := workflow.ExecuteActivity(listOptions(ctx), billActs.BillingListTenants, billingacts.ListTenantsInput{
				Period: c.in.Period, After: c.carry.After, Limit: limit,
			}).Get(ctx, &page)
			return page.Tenants, page.Next, err
		},
		start:    func(sel workflow.Selector, tenant string) { c.start(ctx, sel, tenant) },
		handled:  func() int { return c.handled },
		inFlight: func() int { return len(c.inFlight) },
	}.run(ctx)
	switch end {
	case fanOutListFailed:
		// Nothing more can be listed; the children already started have
		// finished and are reported, and the cycle fails with the cause,
		// the partial result as the error's details.
		c.finish(ctx, StepFailed)
		msg, _ := summarize(err)
		return c.result(), temporal.NewApplicationErrorWithOptions("list tenants: "+msg, ErrTypeBillingListFailed,
			temporal.ApplicationErrorOptions{Cause: err, Details: []any{c.result()}})
	case fanOutContinue:
		c.setStage(ctx, "continuing")
		next := c.in
		next.Carry = &c.carry
		return BillingCycleResult{}, workflow.NewContinueAsNewError(ctx, BillingCycleWorkflow, next)
	}
	if err := ctx.Err(); err != nil {
		c.finish(ctx, "cancelled")
		return c.result(), temporal.NewCanceledError("billing cycle cancelled")
	}
	c.finish(ctx, "completed")
	res := c.result()
	if len(res.Failed) > 0 {
		workflow.GetLogger(ctx).Error("billing cycle finished with failed tenants", "period", res.Period,
			"invoiced", len(res.Invoiced), "failed", len(res.Failed))
	}
	return res, nil
}

// start starts one tenant's child and registers its outcome. The child
// options are deliberate:
//
//   - WorkflowIDReusePolicy ALLOW_DUPLICATE_FAILED_ONLY: a TenantInvoice that
//     completed for this tenant and period is never run again — the start
//     fails with WorkflowExecutionAlreadyStarted, which counts as success
//     (listed in Existing) — while one that failed, timed out or was
//     terminated may be, so re-running the cycle retries exactly those.
//     (A child still running under another cycle for the same period is
//     reported the same way; that cycle reports its outcome.)
//   - ParentClosePolicy ABANDON: a child outlives its parent's run. The
//     cycle drains its children before continuing as new, but if it is
//     terminated or times out, an invoice already written still gets
//     rendered and notified instead of being cut off half-way. Cancelling
//     the cycle still cancels the children, through their context.
func (c *cycle) start(ctx workflow.Context, sel workflow.Selector, tenant string) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            InvoiceWorkflowID(tenant, c.in.Period),
		TaskQueue:             TaskQueueBilling,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		TypedSearchAttributes: temporal.NewSearchAttributes(SearchTenant.ValueSet(tenant), SearchKind.ValueSet(KindBilling),
			SearchStage.ValueSet("queued")),
		StaticSummary: fmt.Sprintf("Invoice %s for %s", tenant, c.in.Period),
	})
	f := workflow.ExecuteChildWorkflow(cctx, TenantInvoiceWorkflow, TenantInvoiceInput{Tenant: tenant, Period: c.in.Period})
	c.inFlight = append(c.inFlight, tenant)
	c.handled++
	c.carry.After = tenant
	sel.AddFuture(f, func(f workflow.Future) {
		c.inFlight = slices.DeleteFunc(c.inFlight, func(s string) bool { return s == tenant })
		var r TenantInvoiceResult
		err := f.Get(ctx, &r)
		switch {
		case err == nil:
			c.carry.Invoiced = append(c.carry.Invoiced, tenant)
		case temporal.IsWorkflowExecutionAlreadyStartedError(err):
			c.carry.Invoiced = append(c.carry.Invoiced, tenant)
			c.carry.Existing = append(c.carry.Existing, tenant)
		default:
			msg, typ := summarize(err)
			c.carry.Failed = append(c.carry.Failed, TenantFailure{Tenant: tenant, Error: msg, Type: typ})
			workflow.GetLogger(ctx).Warn("tenant invoice failed", "tenant", tenant, "period", c.in.Period, "error", msg)
		}
	})
}

func (c *cycle) setStage(ctx workflow.Context, stage string) {
	c.stage = stage
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStage.ValueSet(stage)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert RiggerStage failed", "stage", stage, "error", err)
	}
}

func (c *cycle) finish(ctx workflow.Context, status string) {
	c.status = status
	stage := status
	if status == "completed" && len(c.carry.Failed) > 0 {
		stage = "completed-with-failures"
	}
	c.setStage(ctx, stage)
}

func (c *cycle) result() BillingCycleResult {
	r := BillingCycleResult{
		Period:   c.in.Period,
		Invoiced: slices.Sorted(slices.Values(c.carry.Invoiced)),
		Existing: slices.Sorted(slices.Values(c.carry.Existing)),
		Failed:   slices.Clone(c.carry.Failed),
		Runs:     c.carry.Runs,
	}
	slices.SortFunc(r.Failed, func(a, b TenantFailure) int {
		switch {
		case a.Tenant < b.Tenant:
			return -1
		case a.Tenant > b.Tenant:
			return 1
		}
		return 0
	})
	if r.Invoiced == nil {
		r.Invoiced = []string{}
	}
	if r.Failed == nil {
		r.Failed = []TenantFailure{}
	}
	return r
}

func (c *cycle) progress() BillingCycleProgress {
	return BillingCycleProgress{
		Period: c.in.Period, Status: c.status, Stage: c.stage, InFlight: append([]string{}, c.inFlight...),
		Invoiced: len(c.carry.Invoiced), Existing: len(c.carry.Existing), Failed: len(c.carry.Failed), Run: c.carry.Runs,
	}
}

// summarize turns a workflow, child or activity error into the message and
// type of its outermost application error, which is what an operator needs:
// the wrappers around it only repeat IDs the result already names, and the
// causes under it are in the history.
func summarize(err error) (msg, typ string) {
	var app *temporal.ApplicationError
	var timeout *temporal.TimeoutError
	switch {
	case errors.As(err, &app):
		return app.Message(), app.Type()
	case errors.As(err, &timeout):
		return "timed out (" + timeout.TimeoutType().String() + ")", "Timeout"
	case temporal.IsCanceledError(err):
		return "cancelled", "Canceled"
	case temporal.IsWorkflowExecutionAlreadyStartedError(err):
		return "already started", "WorkflowExecutionAlreadyStarted"
	}
	return err.Error(), ""
}
