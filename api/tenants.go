package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
	"github.com/rigger-platform/rigger/workflows"
)

// TenantRequest is the body of POST /v1/tenants.
type TenantRequest struct {
	Slug        string   `json:"slug"`
	DisplayName string   `json:"displayName"`
	Plan        string   `json:"plan"`
	Owner       string   `json:"owner"`
	Admins      []string `json:"admins,omitempty"`
	Plugins     []string `json:"plugins,omitempty"`
}

// TenantResponse is a tenant as the API shows it.
type TenantResponse struct {
	Slug          string                `json:"slug"`
	DisplayName   string                `json:"displayName"`
	Plan          string                `json:"plan"`
	Owner         string                `json:"owner"`
	Admins        []string              `json:"admins"`
	Plugins       []string              `json:"plugins"`
	Status        string                `json:"status"`
	StatusReason  string                `json:"statusReason,omitempty"`
	CreatedAt     time.Time             `json:"createdAt"`
	UpdatedAt     time.Time             `json:"updatedAt"`
	WorkflowID    string                `json:"workflowId,omitempty"`
	RunID         string                `json:"runId,omitempty"`
	Stage         string                `json:"stage,omitempty"`
	Steps         []workflows.StepState `json:"steps,omitempty"`
	ProgressError string                `json:"progressError,omitempty"`
}

var (
	principalRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$`)
	pluginRE    = regexp.MustCompile(`^[a-z0-9@][a-z0-9@/._-]{0,127}$`)
)

const (
	maxAdmins  = 50
	maxPlugins = 100
)

func (s *Server) validateTenant(ctx context.Context, req *TenantRequest) *apiError {
	if err := tenant.ValidateSlug(req.Slug); err != nil {
		return errInvalid("slug", err.Error())
	}
	n := utf8.RuneCountInString(req.DisplayName)
	if n == 0 || n > 100 || !utf8.ValidString(req.DisplayName) {
		return errInvalid("displayName", "displayName is required and must have 1 to 100 characters")
	}
	for _, r := range req.DisplayName {
		if unicode.IsControl(r) {
			return errInvalid("displayName", "displayName must not contain control characters")
		}
	}
	if !principalRE.MatchString(req.Owner) {
		return errInvalid("owner", "owner is required: a user name of letters, digits and . _ @ + - (at most 100)")
	}
	if len(req.Admins) > maxAdmins {
		return errInvalid("admins", fmt.Sprintf("at most %d admins", maxAdmins))
	}
	for i, a := range req.Admins {
		if !principalRE.MatchString(a) {
			return errInvalid(fmt.Sprintf("admins[%d]", i), fmt.Sprintf("admin %q is not a valid user name", a))
		}
	}
	if len(req.Plugins) > maxPlugins {
		return errInvalid("plugins", fmt.Sprintf("at most %d plugins", maxPlugins))
	}
	for i, p := range req.Plugins {
		if !pluginRE.MatchString(p) {
			return errInvalid(fmt.Sprintf("plugins[%d]", i), fmt.Sprintf("plugin %q is not a valid package name", p))
		}
	}
	if req.Plan == "" {
		return errInvalid("plan", "plan is required")
	}
	ok, err := s.Store.PlanExists(ctx, req.Plan)
	if err != nil {
		s.Logger.Error("plan lookup", "error", err, "request_id", RequestID(ctx))
		return errInternal()
	}
	if !ok {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "unknown_plan", Field: "plan", Message: fmt.Sprintf("unknown plan %q", req.Plan)}
	}
	return nil
}

// createTenant claims the slug in the control-plane store first — the store
// is the arbiter between concurrent requests for one slug — then starts (or
// joins) the onboarding workflow. A repeated identical request returns the
// same tenant and the same run.
func (s *Server) createTenant(w http.ResponseWriter, r *http.Request) {
	var req TenantRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	ctx := r.Context()
	if e := s.validateTenant(ctx, &req); e != nil {
		writeError(w, e)
		return
	}
	t, _, err := s.Store.ClaimTenant(ctx, store.TenantSpec{
		Slug: req.Slug, DisplayName: req.DisplayName, Plan: req.Plan, Owner: req.Owner, Admins: req.Admins, Plugins: req.Plugins,
	})
	if errors.Is(err, store.ErrConflict) {
		writeError(w, errConflict(strings.TrimPrefix(err.Error(), store.ErrConflict.Error()+": ")))
		return
	}
	if err != nil {
		s.log(r).Error("claim tenant", "tenant", req.Slug, "error", err)
		writeError(w, errInternal())
		return
	}
	resp := toResponse(t)
	if t.Status != store.StatusProvisioning {
		// Already onboarded with exactly this request: nothing to start.
		resp.WorkflowID = workflows.OnboardWorkflowID(t.Slug)
		writeJSON(w, http.StatusOK, resp)
		return
	}
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.OnboardWorkflowID(req.Slug),
		TaskQueue:                workflows.TaskQueueOnboarding,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SearchTenant.ValueSet(req.Slug), workflows.SearchKind.ValueSet(workflows.KindOnboarding),
			workflows.SearchStage.ValueSet("queued")),
		StaticSummary: fmt.Sprintf("Onboard tenant %s (%s plan)", req.Slug, req.Plan),
	}, workflows.TenantOnboardingWorkflow, workflows.OnboardingInput{
		Slug: req.Slug, DisplayName: req.DisplayName, Plan: req.Plan, Owner: req.Owner, Admins: req.Admins, Plugins: req.Plugins,
	})
	if err != nil {
		s.log(r).Error("start onboarding", "tenant", req.Slug, "error", err)
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "could not start the onboarding workflow; retry the same request"})
		return
	}
	resp.WorkflowID, resp.RunID = run.GetID(), run.GetRunID()
	s.log(r).Info("onboarding started", "tenant", req.Slug, "workflow_id", run.GetID(), "run_id", run.GetRunID())
	writeJSON(w, http.StatusAccepted, resp)
}

func (s *Server) getTenant(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	if tenant.ValidateSlug(slug) != nil {
		writeError(w, errNoTenant(slug))
		return
	}
	t, err := s.Store.GetTenant(r.Context(), slug)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, errNoTenant(slug))
		return
	}
	if err != nil {
		s.log(r).Error("get tenant", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	resp := toResponse(t)
	resp.WorkflowID = workflows.OnboardWorkflowID(slug)
	if t.Status == store.StatusOffboarding || t.Status == store.StatusDeleted {
		resp.WorkflowID = workflows.OffboardWorkflowID(slug)
	}
	s.addProgress(r.Context(), &resp)
	writeJSON(w, http.StatusOK, resp)
}

// addProgress asks the latest run for its steps. The tenant row is the
// source of truth for status; steps are best effort (a run whose history
// was deleted by retention, or no worker to answer, leaves them out).
func (s *Server) addProgress(ctx context.Context, resp *TenantResponse) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := s.Temporal.QueryWorkflow(ctx, resp.WorkflowID, "", workflows.QueryProgress)
	if err != nil {
		var nf *serviceerror.NotFound
		if !errors.As(err, &nf) {
			resp.ProgressError = "progress unavailable: " + err.Error()
		}
		return
	}
	var p workflows.Progress
	if err := v.Get(&p); err != nil {
		resp.ProgressError = "progress unreadable: " + err.Error()
		return
	}
	resp.Stage, resp.Steps = p.Stage, p.Steps
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := q.Get("status")
	switch status {
	case "", store.StatusProvisioning, store.StatusActive, store.StatusFailed, store.StatusOffboarding, store.StatusDeleted:
	default:
		writeError(w, errInvalid("status", "status must be one of provisioning, active, failed, offboarding, deleted"))
		return
	}
	limit := 100
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, errInvalid("limit", "limit must be an integer from 1 to 1000"))
			return
		}
		limit = n
	}
	ts, err := s.Store.ListTenants(r.Context(), status, q.Get("after"), limit)
	if err != nil {
		s.log(r).Error("list tenants", "error", err)
		writeError(w, errInternal())
		return
	}
	out := struct {
		Tenants []TenantResponse `json:"tenants"`
		Next    string           `json:"next,omitempty"`
	}{Tenants: []TenantResponse{}}
	for _, t := range ts {
		out.Tenants = append(out.Tenants, toResponse(t))
	}
	if len(ts) == limit {
		out.Next = ts[len(ts)-1].Slug
	}
	writeJSON(w, http.StatusOK, out)
}

// deleteTenant offboards. An onboarding still running is cancelled first:
// its compensation and the offboarding both only remove, and both are
// idempotent, so they may overlap safely.
func (s *Server) deleteTenant(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	ctx := r.Context()
	if tenant.ValidateSlug(slug) != nil {
		writeError(w, errNoTenant(slug))
		return
	}
	t, err := s.Store.GetTenant(ctx, slug)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Status == store.StatusDeleted) {
		writeError(w, errNoTenant(slug))
		return
	}
	if err != nil {
		s.log(r).Error("get tenant", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	if t.Status == store.StatusProvisioning {
		err := s.Temporal.CancelWorkflow(ctx, workflows.OnboardWorkflowID(slug), "")
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			s.log(r).Warn("cancel onboarding", "tenant", slug, "error", err)
		}
	}
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.OffboardWorkflowID(slug),
		TaskQueue:                workflows.TaskQueueOnboarding,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SearchTenant.ValueSet(slug), workflows.SearchKind.ValueSet(workflows.KindOffboarding),
			workflows.SearchStage.ValueSet("queued")),
		StaticSummary: "Offboard tenant " + slug,
	}, workflows.TenantOffboardingWorkflow, workflows.OffboardingInput{Slug: slug, Reason: "requested through the API"})
	if err != nil {
		s.log(r).Error("start offboarding", "tenant", slug, "error", err)
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "could not start the offboarding workflow; retry the same request"})
		return
	}
	resp := toResponse(t)
	resp.WorkflowID, resp.RunID = run.GetID(), run.GetRunID()
	writeJSON(w, http.StatusAccepted, resp)
}

func toResponse(t store.Tenant) TenantResponse {
	return TenantResponse{
		Slug: t.Slug, DisplayName: t.DisplayName, Plan: t.Plan, Owner: t.Owner,
		Admins: nonNil(t.Admins), Plugins: nonNil(t.Plugins), Status: t.Status, StatusReason: t.StatusReason,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
