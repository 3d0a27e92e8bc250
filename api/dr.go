package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
	"github.com/rigger-platform/rigger/workflows"
)

// Backups, restores and disaster-recovery drills. The work happens in the
// dr task queue's workflows; these routes start them and read what they
// recorded in the control-plane store.

// BackupResponse is one backup as the API shows it.
type BackupResponse struct {
	ID         string     `json:"id"`
	Tenant     string     `json:"tenant"`
	Status     string     `json:"status"`
	TakenAt    time.Time  `json:"takenAt"`
	SnapshotAt *time.Time `json:"snapshotAt,omitempty"`
	Bytes      int64      `json:"bytes"`
	Tables     int        `json:"tables"`
	Rows       int64      `json:"rows"`
	VerifiedAt *time.Time `json:"verifiedAt,omitempty"`
}

// manifestSummary is the part of a backup's manifest the list shows.
type manifestSummary struct {
	SnapshotAt time.Time `json:"snapshotAt"`
	Tables     []struct {
		Rows int64 `json:"rows"`
	} `json:"tables"`
}

func toBackup(b store.Backup) BackupResponse {
	out := BackupResponse{ID: b.ID, Tenant: b.Tenant, Status: b.Status, TakenAt: b.TakenAt.UTC(), Bytes: b.Bytes, VerifiedAt: b.VerifiedAt}
	var m manifestSummary
	if b.Manifest != nil && json.Unmarshal(b.Manifest, &m) == nil {
		if !m.SnapshotAt.IsZero() {
			at := m.SnapshotAt.UTC()
			out.SnapshotAt = &at
		}
		out.Tables = len(m.Tables)
		for _, t := range m.Tables {
			out.Rows += t.Rows
		}
	}
	return out
}

// listBackups returns the tenant's backups, newest first. Backups that
// retention (or offboarding) removed are not listed.
func (s *Server) listBackups(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	if !s.knownTenant(w, r, slug, false) {
		return
	}
	recs, err := s.Store.ListBackups(r.Context(), slug, "")
	if err != nil {
		s.log(r).Error("list backups", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	out := struct {
		Backups []BackupResponse `json:"backups"`
	}{Backups: []BackupResponse{}}
	for _, b := range recs {
		if b.Status != store.BackupDeleted {
			out.Backups = append(out.Backups, toBackup(b))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// StartedResponse names the workflow a request started (or joined).
type StartedResponse struct {
	ID         string `json:"id"`
	Tenant     string `json:"tenant,omitempty"`
	BackupID   string `json:"backupId,omitempty"`
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId,omitempty"`
	Status     string `json:"status"` // running, or completed for a backup already taken this minute
}

// activeTenant answers 404 for an unknown or deleted tenant and 409 for one
// that is not active.
func (s *Server) activeTenant(w http.ResponseWriter, r *http.Request, slug, what string) bool {
	if !s.knownTenant(w, r, slug, false) {
		return false
	}
	t, err := s.Store.GetTenant(r.Context(), slug)
	if err != nil {
		s.log(r).Error("get tenant", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return false
	}
	if t.Status != store.StatusActive {
		writeError(w, errConflict(fmt.Sprintf("tenant %q is %s: only an active tenant can be %s", slug, t.Status, what)))
		return false
	}
	return true
}

// decodeOptional decodes a JSON body into v when there is one.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) *apiError {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	e := decodeJSON(w, r, v)
	if e != nil && e.Message == "request body is empty; send a JSON object" {
		return nil
	}
	return e
}

// startBackup takes a backup of the tenant now: TenantBackup under
// backup/<slug>/<YYYYMMDD-HHMM>. A second request in the same minute joins
// the running backup, or answers 200 with the one already taken.
func (s *Server) startBackup(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	var req struct{}
	if e := decodeOptional(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if !s.activeTenant(w, r, slug, "backed up") {
		return
	}
	now := time.Now().UTC()
	id := workflows.BackupStamp(now)
	resp := StartedResponse{ID: id, Tenant: slug, BackupID: id, WorkflowID: workflows.BackupWorkflowID(slug, id)}
	run, err := s.Temporal.ExecuteWorkflow(r.Context(), client.StartWorkflowOptions{
		ID:                                       resp.WorkflowID,
		TaskQueue:                                workflows.TaskQueueDR,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SearchTenant.ValueSet(slug),
			workflows.SearchKind.ValueSet(workflows.KindBackup), workflows.SearchStage.ValueSet("queued")),
		StaticSummary: "Backup " + id + " of " + slug + " (requested)",
	}, workflows.TenantBackupWorkflow, workflows.TenantBackupInput{Slug: slug, Reason: "requested through the API", BackupID: id,
		TakenAt: now.Truncate(time.Second)})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		resp.Status = "completed"
		writeJSON(w, http.StatusOK, resp)
		return
	}
	if err != nil {
		s.log(r).Error("start backup", "tenant", slug, "error", err)
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "could not start the backup; retry the same request"})
		return
	}
	resp.RunID, resp.Status = run.GetRunID(), "running"
	s.log(r).Info("backup started", "tenant", slug, "workflow_id", run.GetID(), "run_id", run.GetRunID())
	writeJSON(w, http.StatusAccepted, resp)
}

// RestoreRequest is the body of POST /v1/tenants/{slug}/restore.
type RestoreRequest struct {
	BackupID string `json:"backupId"`
}

var backupIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// startRestore replaces the tenant's live data with a backup: TenantRestore
// restores into a new schema, verifies it, and only then swaps it in (the
// live schema is kept aside). One restore per tenant at a time (409).
func (s *Server) startRestore(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	var req RestoreRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if !backupIDRE.MatchString(req.BackupID) {
		writeError(w, errInvalid("backupId", "backupId is required: the ID of one of the tenant's backups (GET /v1/tenants/{slug}/backups)"))
		return
	}
	if !s.activeTenant(w, r, slug, "restored") {
		return
	}
	b, err := s.Store.GetBackup(r.Context(), slug, req.BackupID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && b.Status != store.BackupComplete) {
		writeError(w, errNotFound("tenant "+strconv.Quote(slug)+" has no complete backup "+strconv.Quote(req.BackupID)))
		return
	}
	if err != nil {
		s.log(r).Error("get backup", "tenant", slug, "backup", req.BackupID, "error", err)
		writeError(w, errInternal())
		return
	}
	resp := StartedResponse{ID: req.BackupID, Tenant: slug, BackupID: req.BackupID, WorkflowID: workflows.RestoreWorkflowID(slug)}
	run, err := s.Temporal.ExecuteWorkflow(r.Context(), client.StartWorkflowOptions{
		ID:                                       resp.WorkflowID,
		TaskQueue:                                workflows.TaskQueueDR,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SearchTenant.ValueSet(slug),
			workflows.SearchKind.ValueSet(workflows.KindRestore), workflows.SearchStage.ValueSet("queued")),
		StaticSummary: "Restore " + slug + " from backup " + req.BackupID,
	}, workflows.TenantRestoreWorkflow, workflows.TenantRestoreInput{Slug: slug, BackupID: req.BackupID, Reason: "requested through the API"})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		writeError(w, errConflict("a restore of tenant "+strconv.Quote(slug)+" is already running"))
		return
	}
	if err != nil {
		s.log(r).Error("start restore", "tenant", slug, "error", err)
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "could not start the restore; retry the same request"})
		return
	}
	resp.RunID, resp.Status = run.GetRunID(), "running"
	s.log(r).Info("restore started", "tenant", slug, "backup", req.BackupID, "workflow_id", run.GetID(), "run_id", run.GetRunID())
	writeJSON(w, http.StatusAccepted, resp)
}

// DrillRequest is the body of POST /v1/dr/drills: the tenants to drill, or
// a sample size; neither means the configured sample (or every active
// tenant).
type DrillRequest struct {
	Tenants []string `json:"tenants,omitempty"`
	Sample  int      `json:"sample,omitempty"`
}

const maxDrillTenants = 1000

// startDrill starts a drill named after the request time
// (drill/2026-11-03T101500.123Z). A repeated request is de-duplicated by its
// Idempotency-Key; two drills requested in the same millisecond are one.
func (s *Server) startDrill(w http.ResponseWriter, r *http.Request) {
	var req DrillRequest
	if e := decodeOptional(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if len(req.Tenants) > maxDrillTenants {
		writeError(w, errInvalid("tenants", fmt.Sprintf("at most %d tenants per drill", maxDrillTenants)))
		return
	}
	for i, t := range req.Tenants {
		if err := tenant.ValidateSlug(t); err != nil {
			writeError(w, errInvalid(fmt.Sprintf("tenants[%d]", i), err.Error()))
			return
		}
	}
	if req.Sample < 0 || req.Sample > 100000 {
		writeError(w, errInvalid("sample", "sample must be from 0 (the configured default) to 100000"))
		return
	}
	id := workflows.DrillIDForRequest(time.Now())
	resp := StartedResponse{ID: id, WorkflowID: workflows.DrillWorkflowID(id)}
	run, err := s.Temporal.ExecuteWorkflow(r.Context(), client.StartWorkflowOptions{
		ID:                                       resp.WorkflowID,
		TaskQueue:                                workflows.TaskQueueDR,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SearchKind.ValueSet(workflows.KindDrill),
			workflows.SearchStage.ValueSet("queued")),
		StaticSummary: "DR drill " + id + " (requested)",
	}, workflows.DRDrillWorkflow, workflows.DRDrillInput{Tenants: req.Tenants, Sample: req.Sample, DrillID: id})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		writeError(w, errConflict("a drill named "+strconv.Quote(id)+" already ran; send the request again"))
		return
	}
	if err != nil {
		s.log(r).Error("start drill", "drill", id, "error", err)
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "could not start the drill; retry"})
		return
	}
	resp.RunID, resp.Status = run.GetRunID(), "running"
	s.log(r).Info("drill started", "drill", id, "workflow_id", run.GetID(), "run_id", run.GetRunID())
	writeJSON(w, http.StatusAccepted, resp)
}

// DrillResponse is a drill's record: its status, the report it stored when
// it finished, and each tenant's outcome.
type DrillResponse struct {
	ID         string                `json:"id"`
	Status     string                `json:"status"` // running, passed, failed, cancelled
	StartedAt  time.Time             `json:"startedAt"`
	FinishedAt *time.Time            `json:"finishedAt,omitempty"`
	WorkflowID string                `json:"workflowId"`
	Report     json.RawMessage       `json:"report,omitempty"`
	Results    []DrillResultResponse `json:"results"`
}

// DrillResultResponse is one tenant's outcome. RTO and RPO are given in
// milliseconds and as Go durations ("1m2.5s").
type DrillResultResponse struct {
	Tenant   string   `json:"tenant"`
	BackupID string   `json:"backupId"`
	OK       bool     `json:"ok"`
	RTOMs    int64    `json:"rtoMs"`
	RPOMs    int64    `json:"rpoMs"`
	RTO      string   `json:"rto"`
	RPO      string   `json:"rpo"`
	Problems []string `json:"problems"`
}

func (s *Server) getDrill(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	notFound := errNotFound("no drill " + strconv.Quote(id))
	if !workflows.DrillIDRE.MatchString(id) {
		writeError(w, notFound)
		return
	}
	d, err := s.Store.GetDrill(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, notFound)
		return
	}
	if err != nil {
		s.log(r).Error("get drill", "drill", id, "error", err)
		writeError(w, errInternal())
		return
	}
	results, err := s.Store.DrillResults(r.Context(), id)
	if err != nil {
		s.log(r).Error("drill results", "drill", id, "error", err)
		writeError(w, errInternal())
		return
	}
	resp := DrillResponse{ID: d.ID, Status: d.Status, StartedAt: d.StartedAt.UTC(), FinishedAt: d.FinishedAt,
		WorkflowID: workflows.DrillWorkflowID(d.ID), Report: d.Report, Results: []DrillResultResponse{}}
	if d.Report != nil {
		var rep workflows.DrillReport
		if json.Unmarshal(d.Report, &rep) == nil && rep.WorkflowID != "" {
			resp.WorkflowID = rep.WorkflowID // a scheduled drill's ID is the schedule's
		}
	}
	for _, res := range results {
		problems := res.Problems
		if problems == nil {
			problems = []string{}
		}
		resp.Results = append(resp.Results, DrillResultResponse{Tenant: res.Tenant, BackupID: res.BackupID, OK: res.OK,
			RTOMs: res.RTO.Milliseconds(), RPOMs: res.RPO.Milliseconds(), RTO: res.RTO.String(), RPO: res.RPO.Round(time.Second).String(),
			Problems: problems})
	}
	writeJSON(w, http.StatusOK, resp)
}
