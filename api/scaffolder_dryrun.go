package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/scaffold"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/scaffolder"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/workflows"
)

// DryRunRequest is the body of POST /v2/dry-run: Backstage's (the template
// entity, the files next to it, values, secrets), or Rigger's shorter form
// naming a template of the tenant's locations with templateRef.
type DryRunRequest struct {
	TemplateRef       string            `json:"templateRef,omitempty"`
	Template          map[string]any    `json:"template,omitempty"`
	Values            map[string]any    `json:"values"`
	Secrets           map[string]string `json:"secrets,omitempty"`
	DirectoryContents []DryRunFile      `json:"directoryContents,omitempty"`
}

// DryRunFile is a file uploaded with, or produced by, a dry run.
type DryRunFile struct {
	Path          string `json:"path"`
	Base64Content string `json:"base64Content"`
	Executable    bool   `json:"executable,omitempty"`
}

// DryRunResponse is Backstage's ScaffolderDryRunResponse.
type DryRunResponse struct {
	Log               []scaffold.LogEntry `json:"log"`
	DirectoryContents []DryRunFile        `json:"directoryContents"`
	Output            map[string]any      `json:"output"`
	Steps             []scaffold.TaskStep `json:"steps"`
}

// dryRun renders the whole template without side effects, through a dry
// ScaffolderRun on the workers, and returns the files and the log.
func (s *Server) dryRun(w http.ResponseWriter, r *http.Request) {
	slug, e := s.scaffoldTenant(r, store.ScopeRun)
	if e != nil {
		writeError(w, e)
		return
	}
	var req DryRunRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if e := validateSecrets(req.Secrets); e != nil {
		writeError(w, e)
		return
	}
	if s.Scaffolder.Objects == nil {
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "object storage is not configured for dry runs"})
		return
	}
	id := "dry-" + store.NewTaskID()
	objects := storage.Scoped(s.Scaffolder.Objects, slug)
	defer func() {
		if _, err := objects.DeletePrefix(context.WithoutCancel(r.Context()), "scaffolder/"+id+"/"); err != nil {
			s.log(r).Warn("delete dry-run files", "error", err)
		}
	}()
	var t *scaffolder.Template
	var src scaffold.Source
	switch {
	case req.TemplateRef != "" && req.Template == nil:
		if t, src, e = s.findTemplate(r, slug, req.TemplateRef); e != nil {
			writeError(w, e)
			return
		}
	case req.Template != nil && req.TemplateRef == "":
		if t, src, e = s.uploadDryRun(r, objects, id, req); e != nil {
			writeError(w, e)
			return
		}
	default:
		writeError(w, errInvalid("template", "send either template (with directoryContents) or templateRef"))
		return
	}
	if e := checkValues(t, req.Values); e != nil {
		writeError(w, e)
		return
	}
	user, _ := createdBy(r, "")
	timeout := s.Scaffolder.DryRunTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.ScaffoldWorkflowID(slug, id), TaskQueue: workflows.TaskQueueScaffolder,
		WorkflowExecutionTimeout: timeout,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SearchTenant.ValueSet(slug),
			workflows.SearchKind.ValueSet(workflows.KindScaffolder), workflows.SearchStage.ValueSet("dry-run")),
		StaticSummary: fmt.Sprintf("Dry run of %s for tenant %s", t.Metadata.Name, slug),
	}, workflows.ScaffolderRunWorkflow, workflows.ScaffoldInput{
		Tenant: slug, TaskID: id, TemplateRef: req.TemplateRef, Source: src, TemplatePath: t.Path,
		Values: req.Values, Secrets: req.Secrets, User: user, DryRun: true,
	})
	if err != nil {
		s.log(r).Error("start dry run", "tenant", slug, "error", err)
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "could not start the dry run; retry"})
		return
	}
	var p workflows.ScaffoldProgress
	if err := run.Get(ctx, &p); err != nil {
		var app *temporal.ApplicationError
		if errors.As(err, &app) && ctx.Err() == nil {
			writeError(w, &apiError{Status: http.StatusBadRequest, Code: "dry_run_failed", Message: strings.TrimPrefix(app.Error(), "scaffolder run failed: ")})
			return
		}
		s.log(r).Error("dry run", "tenant", slug, "error", err)
		writeError(w, &apiError{Status: http.StatusGatewayTimeout, Code: "dry_run_unfinished", Message: "the dry run did not finish in time"})
		return
	}
	if p.DryRun == nil {
		writeError(w, errInternal())
		return
	}
	files, err := s.dryRunFiles(r.Context(), objects, p.DryRun.Workspace)
	if err != nil {
		s.log(r).Error("read dry-run files", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	writeJSON(w, http.StatusOK, DryRunResponse{Log: p.DryRun.Log, DirectoryContents: files, Output: orEmpty(p.DryRun.Output), Steps: p.DryRun.Steps})
}

// uploadDryRun stores Backstage's inline template and its directory
// contents as the run's template location.
func (s *Server) uploadDryRun(r *http.Request, objects storage.Store, id string, req DryRunRequest) (*scaffolder.Template, scaffold.Source, *apiError) {
	raw, _ := json.Marshal(req.Template)
	t, err := scaffolder.Parse(raw, "template.yaml")
	if err != nil {
		return nil, scaffold.Source{}, errInvalid("template", "Input template is not a template: "+err.Error())
	}
	ws := scaffold.NewWorkspace()
	for i, f := range req.DirectoryContents {
		data, err := base64.StdEncoding.DecodeString(f.Base64Content)
		if err != nil {
			return nil, scaffold.Source{}, errInvalid(fmt.Sprintf("directoryContents[%d].base64Content", i), "not base64")
		}
		mode := os.FileMode(0o644)
		if f.Executable {
			mode = 0o755
		}
		if err := ws.WriteFile(f.Path, data, mode); err != nil {
			return nil, scaffold.Source{}, errInvalid(fmt.Sprintf("directoryContents[%d].path", i), err.Error())
		}
	}
	if ok, _ := ws.Exists("template.yaml"); !ok {
		_ = ws.WriteFile("template.yaml", raw, 0o644)
	}
	data, err := ws.Encode()
	if err == nil {
		err = objects.Put(r.Context(), "scaffolder/"+id+"/input.tar.zst", bytes.NewReader(data), int64(len(data)), "application/zstd")
	}
	if err != nil {
		s.log(r).Error("store dry-run upload", "error", err)
		return nil, scaffold.Source{}, errInternal()
	}
	return t, scaffold.Source{Type: "snapshot", Target: "scaffolder/" + id + "/input.tar.zst"}, nil
}

func (s *Server) dryRunFiles(ctx context.Context, objects storage.Store, key string) ([]DryRunFile, error) {
	rc, err := objects.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, scaffold.MaxWorkspaceBytes))
	if err != nil {
		return nil, err
	}
	ws, err := scaffold.DecodeWorkspace(data)
	if err != nil {
		return nil, err
	}
	files, _ := ws.Files("")
	out := make([]DryRunFile, 0, len(files))
	for _, f := range files {
		out = append(out, DryRunFile{Path: f.Path, Base64Content: base64.StdEncoding.EncodeToString(f.Data), Executable: f.Mode&0o111 != 0})
	}
	return out, nil
}

// parameterSchema is Backstage's template parameter schema: the title and
// one step per parameter page.
func (s *Server) parameterSchema(w http.ResponseWriter, r *http.Request) {
	slug, e := s.scaffoldTenant(r, store.ScopeRead)
	if e != nil {
		writeError(w, e)
		return
	}
	ref := r.PathValue("kind") + ":" + r.PathValue("namespace") + "/" + r.PathValue("name")
	t, _, e := s.findTemplate(r, slug, ref)
	if e != nil {
		writeError(w, e)
		return
	}
	title := t.Metadata.Title
	if title == "" {
		title = t.Metadata.Name
	}
	steps := make([]map[string]any, 0, len(t.Spec.Parameters))
	for _, page := range t.Spec.Parameters {
		st := map[string]any{"title": "Please enter the following information", "schema": page}
		if v, ok := page["title"].(string); ok && v != "" {
			st["title"] = v
		}
		if v, ok := page["description"].(string); ok && v != "" {
			st["description"] = v
		}
		steps = append(steps, st)
	}
	resp := map[string]any{"title": title, "steps": steps}
	if t.Metadata.Description != "" {
		resp["description"] = t.Metadata.Description
	}
	writeJSON(w, http.StatusOK, resp)
}

// ApprovalRequest is the body of POST /v1/runs/{id}/approve|reject.
type ApprovalRequest struct {
	Comment string `json:"comment,omitempty"`
	By      string `json:"by,omitempty"`
}

func (s *Server) approveRun(w http.ResponseWriter, r *http.Request) { s.decide(w, r, true) }
func (s *Server) rejectRun(w http.ResponseWriter, r *http.Request)  { s.decide(w, r, false) }

// decide sends the decision to the run's waiting rigger:approval step.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, approve bool) {
	t, e := s.task(r, store.ScopeRun)
	if e != nil {
		writeError(w, e)
		return
	}
	var req ApprovalRequest
	if r.ContentLength != 0 {
		if e := decodeJSON(w, r, &req); e != nil {
			writeError(w, e)
			return
		}
	}
	if len(req.Comment) > 2000 || len(req.By) > 200 {
		writeError(w, errInvalid("comment", "comment has at most 2000 characters and by at most 200"))
		return
	}
	if req.By == "" {
		req.By, _ = createdBy(r, "")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.ScaffoldWorkflowID(t.Tenant, t.ID), UpdateName: workflows.UpdateApproval,
		Args:         []any{workflows.ApprovalDecision{Approve: approve, By: req.By, Comment: req.Comment}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var res workflows.ApprovalResult
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err != nil {
		var app *temporal.ApplicationError
		if errors.As(err, &app) || isNotFound(err) || strings.Contains(err.Error(), "no approval is pending") ||
			strings.Contains(err.Error(), "workflow execution already completed") {
			writeError(w, errConflict("no approval is pending for task "+t.ID))
			return
		}
		s.log(r).Error("approval", "task", t.ID, "error", err)
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "could not reach the run; retry"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"taskId": t.ID, "stepId": res.StepID, "decision": res.Decision})
}

// TemplateLocationsRequest is the body of PUT
// /v1/tenants/{slug}/template-locations.
type TemplateLocationsRequest struct {
	Locations []store.TemplateLocation `json:"locations"`
}

func (s *Server) putTemplateLocations(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	if _, err := s.Store.GetTenant(r.Context(), slug); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, errNoTenant(slug))
			return
		}
		s.log(r).Error("get tenant", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	var req TemplateLocationsRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if len(req.Locations) > 20 {
		writeError(w, errInvalid("locations", "at most 20 template locations"))
		return
	}
	for i, l := range req.Locations {
		field := fmt.Sprintf("locations[%d]", i)
		switch l.Type {
		case "dir":
			if !filepath.IsAbs(l.Target) || l.Ref != "" {
				writeError(w, errInvalid(field+".target", "a dir location is an absolute directory path, without ref"))
				return
			}
			if fi, err := os.Stat(l.Target); err != nil || !fi.IsDir() {
				writeError(w, errInvalid(field+".target", l.Target+" is not a directory on the API server"))
				return
			}
		case "git":
			u, err := url.Parse(l.Target)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(l.Ref) > 200 {
				writeError(w, errInvalid(field+".target", "a git location is an http(s) repository URL without credentials"))
				return
			}
		default:
			writeError(w, errInvalid(field+".type", "type must be dir or git"))
			return
		}
	}
	if err := s.Store.SetTemplateLocations(r.Context(), slug, req.Locations); err != nil {
		s.log(r).Error("set template locations", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	s.getTemplateLocations(w, r)
}

func (s *Server) getTemplateLocations(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	locs, err := s.Store.TemplateLocations(r.Context(), slug)
	if err != nil {
		s.log(r).Error("template locations", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	if locs == nil {
		locs = []store.TemplateLocation{}
	}
	writeJSON(w, http.StatusOK, TemplateLocationsRequest{Locations: locs})
}
