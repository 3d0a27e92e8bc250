package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/internal/billing"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
	"github.com/rigger-platform/rigger/workflows"
)

// InvoiceResponse is an invoice as the API shows it. Amounts are integer
// minor units of Currency, with exact decimal strings beside them.
type InvoiceResponse struct {
	ID            string                `json:"id"`
	Tenant        string                `json:"tenant"`
	Period        string                `json:"period"`
	Currency      string                `json:"currency"`
	SubtotalMinor int64                 `json:"subtotalMinor"`
	TotalMinor    int64                 `json:"totalMinor"`
	Total         string                `json:"total"`
	Status        string                `json:"status"`
	IssuedAt      time.Time             `json:"issuedAt"`
	JSONKey       string                `json:"jsonKey,omitempty"` // in the tenant's storage
	HTMLKey       string                `json:"htmlKey,omitempty"`
	NotifiedAt    *time.Time            `json:"notifiedAt,omitempty"`
	WorkflowID    string                `json:"workflowId"`
	Lines         []InvoiceLineResponse `json:"lines,omitempty"`
}

// InvoiceLineResponse is one invoice line.
type InvoiceLineResponse struct {
	Kind           string    `json:"kind"`
	Description    string    `json:"description"`
	Plan           string    `json:"plan"`
	Metric         string    `json:"metric,omitempty"`
	From           time.Time `json:"from"`
	To             time.Time `json:"to"`
	Days           int       `json:"days"`
	PeriodDays     int       `json:"periodDays"`
	Used           int64     `json:"used"`
	Included       int64     `json:"included"`
	Quantity       int64     `json:"quantity"`
	UnitPriceMinor int64     `json:"unitPriceMinor"`
	AmountMinor    int64     `json:"amountMinor"`
}

func toInvoice(inv store.Invoice) InvoiceResponse {
	out := InvoiceResponse{
		ID: inv.ID, Tenant: inv.Tenant, Period: inv.Period, Currency: inv.Currency,
		SubtotalMinor: inv.SubtotalMinor, TotalMinor: inv.TotalMinor, Status: inv.Status, IssuedAt: inv.CreatedAt.UTC(),
		JSONKey: inv.RenderedJSONKey, HTMLKey: inv.RenderedHTMLKey, NotifiedAt: inv.NotifiedAt,
		WorkflowID: workflows.InvoiceWorkflowID(inv.Tenant, inv.Period),
	}
	if cur, err := billing.LookupCurrency(inv.Currency); err == nil {
		out.Total = cur.Decimal(inv.TotalMinor)
	}
	for _, l := range inv.Lines {
		out.Lines = append(out.Lines, InvoiceLineResponse{Kind: l.Kind, Description: l.Description, Plan: l.PlanID, Metric: l.Metric,
			From: l.From.UTC(), To: l.To.UTC(), Days: l.Days, PeriodDays: l.PeriodDays, Used: l.Used, Included: l.Included,
			Quantity: l.Quantity, UnitPriceMinor: l.UnitPriceMinor, AmountMinor: l.AmountMinor})
	}
	return out
}

// knownTenant answers 404 (and false) for a slug that is malformed or names
// no tenant, the same way getTenant does.
func (s *Server) knownTenant(w http.ResponseWriter, r *http.Request, slug string, allowDeleted bool) bool {
	if tenant.ValidateSlug(slug) != nil {
		writeError(w, errNoTenant(slug))
		return false
	}
	t, err := s.Store.GetTenant(r.Context(), slug)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !allowDeleted && t.Status == store.StatusDeleted) {
		writeError(w, errNoTenant(slug))
		return false
	}
	if err != nil {
		s.log(r).Error("get tenant", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return false
	}
	return true
}

// listInvoices returns the tenant's invoices, newest period first, without
// lines. A deleted tenant's invoices stay readable: they are its billing
// record.
func (s *Server) listInvoices(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	if !s.knownTenant(w, r, slug, true) {
		return
	}
	invs, err := s.Store.ListInvoices(r.Context(), slug)
	if err != nil {
		s.log(r).Error("list invoices", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	out := struct {
		Invoices []InvoiceResponse `json:"invoices"`
	}{Invoices: []InvoiceResponse{}}
	for _, inv := range invs {
		out.Invoices = append(out.Invoices, toInvoice(inv))
	}
	writeJSON(w, http.StatusOK, out)
}

var invoiceIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// getInvoice returns one invoice with its lines. The store looks it up by
// tenant and ID together, so another tenant's invoice ID is a 404 exactly
// like one that does not exist.
func (s *Server) getInvoice(w http.ResponseWriter, r *http.Request) {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	notFound := errNotFound("no invoice " + strconv.Quote(id) + " for tenant " + strconv.Quote(slug))
	if tenant.ValidateSlug(slug) != nil {
		writeError(w, errNoTenant(slug))
		return
	}
	if !invoiceIDRE.MatchString(id) {
		writeError(w, notFound)
		return
	}
	inv, err := s.Store.GetInvoice(r.Context(), slug, id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, notFound)
		return
	}
	if err != nil {
		s.log(r).Error("get invoice", "tenant", slug, "invoice", id, "error", err)
		writeError(w, errInternal())
		return
	}
	writeJSON(w, http.StatusOK, toInvoice(inv))
}

// maxUsageRange bounds a usage query.
const maxUsageRange = 366 * 24 * time.Hour

// UsageResponse is a tenant's usage totals per metric over [From, To).
type UsageResponse struct {
	Tenant string           `json:"tenant"`
	From   time.Time        `json:"from"`
	To     time.Time        `json:"to"`
	Totals map[string]int64 `json:"totals"`
}

// parseInstant reads RFC 3339 or, when dateOK, a date (00:00 UTC that day).
func parseInstant(field, v string, dateOK bool) (time.Time, *apiError) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	if dateOK {
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t, nil
		}
		return time.Time{}, errInvalid(field, fmt.Sprintf("%s must be an RFC 3339 time (2026-10-01T00:00:00Z) or a date (2026-10-01)", field))
	}
	return time.Time{}, errInvalid(field, fmt.Sprintf("%s must be an RFC 3339 time such as 2026-10-01T12:00:00Z", field))
}

// getUsage sums the tenant's usage per metric over [from, to). from and to
// are RFC 3339 times or dates (a date is 00:00 UTC, so to=2026-11-01 ends
// with October); to defaults to now and from to the start of to's month.
func (s *Server) getUsage(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	q := r.URL.Query()
	to := time.Now().UTC()
	if v := q.Get("to"); v != "" {
		var e *apiError
		if to, e = parseInstant("to", v, true); e != nil {
			writeError(w, e)
			return
		}
	}
	last := to.Add(-time.Nanosecond)
	from := time.Date(last.Year(), last.Month(), 1, 0, 0, 0, 0, time.UTC)
	if v := q.Get("from"); v != "" {
		var e *apiError
		if from, e = parseInstant("from", v, true); e != nil {
			writeError(w, e)
			return
		}
	}
	if !from.Before(to) {
		writeError(w, errInvalid("to", "to must be after from (the range is [from, to))"))
		return
	}
	if to.Sub(from) > maxUsageRange {
		writeError(w, errInvalid("to", "the range from..to may span at most 366 days"))
		return
	}
	if !s.knownTenant(w, r, slug, true) {
		return
	}
	totals, err := s.Store.UsageTotals(r.Context(), slug, from, to)
	if err != nil {
		s.log(r).Error("usage totals", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	writeJSON(w, http.StatusOK, UsageResponse{Tenant: slug, From: from, To: to, Totals: totals})
}

// UsageRequest is the body of POST /v1/usage: one metered event from
// outside Rigger. ID is the caller's, unique per tenant; re-sending an
// event with the same ID records nothing.
type UsageRequest struct {
	ID         string `json:"id"`
	Tenant     string `json:"tenant"`
	Metric     string `json:"metric"`
	Quantity   *int64 `json:"quantity"`
	OccurredAt string `json:"occurredAt"`
}

// UsageEventResponse echoes the event and whether this request recorded it.
type UsageEventResponse struct {
	ID         string    `json:"id"`
	Tenant     string    `json:"tenant"`
	Metric     string    `json:"metric"`
	Quantity   int64     `json:"quantity"`
	OccurredAt time.Time `json:"occurredAt"`
	Recorded   bool      `json:"recorded"`
}

// usageMetrics may be reported through the API. tenant_days is not: billing
// derives it from subscriptions, and an event would count a day twice.
var usageMetrics = []string{store.MetricSeats, store.MetricScaffolderRuns, store.MetricTechDocsBuildMinutes,
	store.MetricAITokens, store.MetricAPICalls}

var usageIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$`)

// usageClockSkew is how far in the future an event may claim to be.
const usageClockSkew = 5 * time.Minute

// usageEpoch is the earliest believable event time.
var usageEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// recordUsage stores one usage event, idempotently by (tenant, id): the
// stored ID is "api:<tenant>:<id>", so one tenant's IDs can neither collide
// with nor reveal another's. 201 when recorded, 200 with recorded=false
// for a re-sent event.
func (s *Server) recordUsage(w http.ResponseWriter, r *http.Request) {
	var req UsageRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if err := tenant.ValidateSlug(req.Tenant); err != nil {
		writeError(w, errInvalid("tenant", "tenant must be a tenant slug: "+err.Error()))
		return
	}
	if e := PrincipalFrom(r.Context()).CanAccess(req.Tenant, store.ScopeRun); e != nil {
		if e.Status == http.StatusNotFound {
			e = errNoTenant(req.Tenant)
		}
		writeError(w, e)
		return
	}
	if !usageIDRE.MatchString(req.ID) {
		writeError(w, errInvalid("id", "id is required: 1 to 128 letters, digits and . _ : / @ + -, starting with a letter or digit"))
		return
	}
	if !slices.Contains(usageMetrics, req.Metric) {
		writeError(w, errInvalid("metric", "metric must be one of "+strings.Join(usageMetrics, ", ")))
		return
	}
	if req.Quantity == nil || *req.Quantity < 0 {
		writeError(w, errInvalid("quantity", "quantity is required and must be an integer ≥ 0"))
		return
	}
	if req.OccurredAt == "" {
		writeError(w, errInvalid("occurredAt", "occurredAt is required (RFC 3339)"))
		return
	}
	at, e := parseInstant("occurredAt", req.OccurredAt, false)
	if e != nil {
		writeError(w, e)
		return
	}
	if now := time.Now(); at.After(now.Add(usageClockSkew)) || at.Before(usageEpoch) {
		writeError(w, errInvalid("occurredAt", "occurredAt must not be in the future (beyond 5 minutes of clock skew) or before 2000"))
		return
	}
	if !s.knownTenant(w, r, req.Tenant, false) {
		return
	}
	ev := store.UsageEvent{ID: "api:" + req.Tenant + ":" + req.ID, Tenant: req.Tenant, Metric: req.Metric,
		Quantity: *req.Quantity, OccurredAt: at, Source: "api"}
	created, err := s.Store.RecordUsage(r.Context(), ev)
	if err != nil {
		s.log(r).Error("record usage", "tenant", req.Tenant, "error", err)
		writeError(w, errInternal())
		return
	}
	resp := UsageEventResponse{ID: req.ID, Tenant: req.Tenant, Metric: req.Metric, Quantity: *req.Quantity, OccurredAt: at, Recorded: created}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, resp)
}

// BillingCycleRequest is the body of POST /v1/billing/cycles.
type BillingCycleRequest struct {
	// Period is "YYYY-MM"; empty means the previous month.
	Period string `json:"period"`
	// Rerun starts a new run when the period's cycle already completed
	// (for tenants that failed then); tenants already invoiced are not
	// billed again either way.
	Rerun bool `json:"rerun,omitempty"`
}

// BillingCycleResponse is a cycle's status: progress while it runs, the
// result when it is done.
type BillingCycleResponse struct {
	Period     string                          `json:"period"`
	WorkflowID string                          `json:"workflowId"`
	RunID      string                          `json:"runId,omitempty"`
	Status     string                          `json:"status"`
	Progress   *workflows.BillingCycleProgress `json:"progress,omitempty"`
	Result     *workflows.BillingCycleResult   `json:"result,omitempty"`
	Error      string                          `json:"error,omitempty"`
}

// startBillingCycle starts (or joins) the cycle for a period under the ID
// billing/<period>: a cycle running for the period is joined, one that
// completed is returned as it is (200) unless rerun is asked for, and one
// that failed is started again.
func (s *Server) startBillingCycle(w http.ResponseWriter, r *http.Request) {
	var req BillingCycleRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	now := time.Now()
	if req.Period == "" {
		req.Period = billing.PeriodOf(now).Prev().String()
	}
	p, err := billing.ParsePeriod(req.Period)
	if err != nil {
		writeError(w, errInvalid("period", "period must be a month as YYYY-MM, e.g. 2026-10"))
		return
	}
	if now.Before(p.End()) {
		writeError(w, &apiError{Status: http.StatusUnprocessableEntity, Code: "period_open", Field: "period",
			Message: fmt.Sprintf("period %s has not ended: invoices are final, so a month is billed once it is over", p)})
		return
	}
	reuse := enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
	if req.Rerun {
		reuse = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
	}
	ctx := r.Context()
	id := workflows.BillingCycleWorkflowID(p.String())
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                workflows.TaskQueueBilling,
		WorkflowIDReusePolicy:                    reuse,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SearchKind.ValueSet(workflows.KindBilling),
			workflows.SearchStage.ValueSet("queued")),
		StaticSummary: "Billing cycle for " + p.String(),
	}, workflows.BillingCycleWorkflow, workflows.BillingCycleInput{Period: p.String()})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		// Completed already: that run is the answer.
		resp, e := s.describeCycle(ctx, r, p.String())
		if e != nil {
			writeError(w, e)
			return
		}
		writeJSON(w, http.StatusOK, resp)
		return
	}
	if err != nil {
		s.log(r).Error("start billing cycle", "period", p.String(), "error", err)
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "could not start the billing cycle; retry the same request"})
		return
	}
	s.log(r).Info("billing cycle started", "period", p.String(), "workflow_id", run.GetID(), "run_id", run.GetRunID())
	writeJSON(w, http.StatusAccepted, BillingCycleResponse{Period: p.String(), WorkflowID: run.GetID(), RunID: run.GetRunID(), Status: "running"})
}

func (s *Server) getBillingCycle(w http.ResponseWriter, r *http.Request) {
	period := r.PathValue("period")
	if _, err := billing.ParsePeriod(period); err != nil {
		writeError(w, errInvalid("period", "period must be a month as YYYY-MM, e.g. 2026-10"))
		return
	}
	resp, e := s.describeCycle(r.Context(), r, period)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// describeCycle reports the latest run of billing/<period> (after
// continue-as-new, the newest run of the chain).
func (s *Server) describeCycle(ctx context.Context, r *http.Request, period string) (BillingCycleResponse, *apiError) {
	id := workflows.BillingCycleWorkflowID(period)
	resp := BillingCycleResponse{Period: period, WorkflowID: id}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d, err := s.Temporal.DescribeWorkflowExecution(ctx, id, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return resp, errNotFound("no billing cycle for period " + strconv.Quote(period))
	}
	if err != nil {
		s.log(r).Error("describe billing cycle", "period", period, "error", err)
		return resp, &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "could not reach Temporal; retry"}
	}
	info := d.GetWorkflowExecutionInfo()
	resp.RunID = info.GetExecution().GetRunId()
	status := info.GetStatus()
	resp.Status = strings.ToLower(strings.TrimPrefix(enumspb.WorkflowExecutionStatus_name[int32(status)], "WORKFLOW_EXECUTION_STATUS_"))
	switch status {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		v, err := s.Temporal.QueryWorkflow(ctx, id, resp.RunID, workflows.QueryProgress)
		var p workflows.BillingCycleProgress
		if err == nil && v.Get(&p) == nil {
			resp.Progress = &p
		}
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		var res workflows.BillingCycleResult
		err := s.Temporal.GetWorkflow(ctx, id, resp.RunID).Get(ctx, &res)
		var app *temporal.ApplicationError
		switch {
		case err == nil:
			resp.Result = &res
		case errors.As(err, &app):
			resp.Error = app.Message()
			if app.HasDetails() && app.Details(&res) == nil {
				resp.Result = &res // what the cycle had done before it failed
			}
		default:
			resp.Error = err.Error()
		}
	}
	return resp, nil
}
