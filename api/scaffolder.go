package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/scaffold"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/scaffolder"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
	"github.com/rigger-platform/rigger/workflows"
)

// The scaffolder routes serve Backstage's scaffolder-backend API (/v2/...),
// so a Backstage frontend can use Rigger as its scaffolder: same paths, same
// JSON shapes (@backstage/plugin-scaffolder-common), with Rigger's error
// shape. A tenant key acts for its tenant; the platform admin names the
// tenant with ?tenant=<slug>. Task IDs are bound to their tenant: another
// tenant's task answers 404, exactly like a missing one.

// ScaffolderOptions are what the scaffolder routes need besides Temporal and
// the store.
type ScaffolderOptions struct {
	// Templates reads the tenants' template locations.
	Templates *scaffold.Templates
	// Objects holds dry-run uploads and results (tenant-scoped).
	Objects storage.Store
	// DryRunTimeout bounds a dry run (default 2m).
	DryRunTimeout time.Duration
}

func (s *Server) mountScaffolder(mux *http.ServeMux) {
	s.route(mux, "GET /v2/actions", authenticated, s.listActions)
	s.route(mux, "POST /v2/tasks", authenticated, s.createTask)
	s.route(mux, "GET /v2/tasks", authenticated, s.listTasks)
	s.route(mux, "GET /v2/tasks/{id}", authenticated, s.getTask)
	s.route(mux, "GET /v2/tasks/{id}/events", authenticated, s.taskEvents)
	s.route(mux, "GET /v2/tasks/{id}/eventstream", authenticated, s.taskEventStream)
	s.route(mux, "POST /v2/tasks/{id}/cancel", authenticated, s.cancelTask)
	s.route(mux, "POST /v2/tasks/{id}/retry", authenticated, s.retryTask)
	s.route(mux, "POST /v2/dry-run", authenticated, s.dryRun)
	s.route(mux, "GET /v2/templates/{namespace}/{kind}/{name}/parameter-schema", authenticated, s.parameterSchema)
	s.route(mux, "POST /v1/runs/{id}/approve", authenticated, s.approveRun)
	s.route(mux, "POST /v1/runs/{id}/reject", authenticated, s.rejectRun)
	s.route(mux, "PUT /v1/tenants/{slug}/template-locations", platformAdmin, s.putTemplateLocations)
	s.route(mux, "GET /v1/tenants/{slug}/template-locations", tenantRead, s.getTemplateLocations)
}

func (s *Server) templates() *scaffold.Templates {
	if s.Scaffolder.Templates == nil {
		s.Scaffolder.Templates = &scaffold.Templates{Objects: s.Scaffolder.Objects}
	}
	return s.Scaffolder.Templates
}

// scaffoldTenant is the tenant a /v2 request acts for: the key's own, or
// ?tenant= for the platform admin. The tenant must exist and be active.
func (s *Server) scaffoldTenant(r *http.Request, scope string) (string, *apiError) {
	p := PrincipalFrom(r.Context())
	slug := r.URL.Query().Get("tenant")
	if !p.Admin {
		if slug != "" && slug != p.Tenant {
			return "", errNoTenant(slug)
		}
		slug = p.Tenant
	}
	if slug == "" {
		return "", errInvalid("tenant", "the platform admin names the tenant: ?tenant=<slug>")
	}
	if e := p.CanAccess(slug, scope); e != nil {
		if e.Status == http.StatusNotFound {
			return "", errNoTenant(slug)
		}
		return "", e
	}
	if tenant.ValidateSlug(slug) != nil {
		return "", errNoTenant(slug)
	}
	t, err := s.Store.GetTenant(r.Context(), slug)
	if errors.Is(err, store.ErrNotFound) || err == nil && t.Status == store.StatusDeleted {
		return "", errNoTenant(slug)
	}
	if err != nil {
		s.log(r).Error("get tenant", "tenant", slug, "error", err)
		return "", errInternal()
	}
	if t.Status != store.StatusActive {
		return "", errConflict(fmt.Sprintf("tenant %q is %s, not active", slug, t.Status))
	}
	return slug, nil
}

// task loads a task the caller may see with scope; another tenant's task is
// reported exactly like a missing one.
func (s *Server) task(r *http.Request, scope string) (store.ScaffolderTask, *apiError) {
	id := r.PathValue("id")
	notFound := errNotFound("no task " + strconv.Quote(id))
	if len(id) > 64 {
		return store.ScaffolderTask{}, notFound
	}
	t, err := s.Store.GetTask(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return t, notFound
	}
	if err != nil {
		s.log(r).Error("get task", "task", id, "error", err)
		return t, errInternal()
	}
	if e := PrincipalFrom(r.Context()).CanAccess(t.Tenant, scope); e != nil {
		if e.Status == http.StatusNotFound {
			return t, notFound
		}
		return t, e
	}
	return t, nil
}

func (s *Server) listActions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, scaffold.ListActions())
}

// TaskRequest is the body of POST /v2/tasks (Backstage's
// ScaffolderScaffoldOptions). CreatedBy is Rigger's addition: the user
// entity ref the caller (e.g. the tenant's Backstage) acts for.
type TaskRequest struct {
	TemplateRef string            `json:"templateRef"`
	Values      map[string]any    `json:"values"`
	Secrets     map[string]string `json:"secrets,omitempty"`
	CreatedBy   string            `json:"createdBy,omitempty"`
}

// TaskResponse is a task in Backstage's SerializedTask shape; State is
// Rigger's live progress (stage, steps, queue position, pending approval).
type TaskResponse struct {
	ID              string          `json:"id"`
	Spec            json.RawMessage `json:"spec"`
	Status          string          `json:"status"`
	CreatedAt       time.Time       `json:"createdAt"`
	LastHeartbeatAt *time.Time      `json:"lastHeartbeatAt,omitempty"`
	CreatedBy       string          `json:"createdBy,omitempty"`
	State           *TaskState      `json:"state,omitempty"`
}

// TaskState is a run's live progress.
type TaskState struct {
	Stage         string                     `json:"stage"`
	QueuePosition int                        `json:"queuePosition,omitempty"`
	Steps         []workflows.ScaffoldStep   `json:"steps"`
	Output        map[string]any             `json:"output,omitempty"`
	Error         string                     `json:"error,omitempty"`
	Approval      *workflows.PendingApproval `json:"approval,omitempty"`
	Attempts      int                        `json:"attempts"`
}

// parseTemplateRef reads template:namespace/name (kind and namespace
// optional, as parseEntityRef with defaultKind template).
func parseTemplateRef(ref string) (namespace, name string, ok bool) {
	kind, rest, hasKind := strings.Cut(ref, ":")
	if !hasKind {
		kind, rest = "template", ref
	}
	namespace, name, hasNS := strings.Cut(rest, "/")
	if !hasNS {
		namespace, name = "default", rest
	}
	if !strings.EqualFold(kind, "template") || name == "" || namespace == "" || len(ref) > 253 ||
		strings.ContainsAny(name+namespace, "/: ") {
		return "", "", false
	}
	return namespace, name, true
}

func validateSecrets(secrets map[string]string) *apiError {
	if len(secrets) > 50 {
		return errInvalid("secrets", "at most 50 secrets")
	}
	for k, v := range secrets {
		if k == "" || len(k) > 100 || len(v) > 16<<10 {
			return errInvalid("secrets", "secret names have 1 to 100 characters and values at most 16 KiB")
		}
	}
	return nil
}

// findTemplate resolves a templateRef in the tenant's locations.
func (s *Server) findTemplate(r *http.Request, slug, ref string) (*scaffolder.Template, scaffold.Source, *apiError) {
	ns, name, ok := parseTemplateRef(ref)
	if !ok {
		return nil, scaffold.Source{}, errInvalid("templateRef", "templateRef must look like template:default/<name>")
	}
	locs, err := s.Store.TemplateLocations(r.Context(), slug)
	if err != nil {
		s.log(r).Error("template locations", "tenant", slug, "error", err)
		return nil, scaffold.Source{}, errInternal()
	}
	t, src, _, err := s.templates().Find(r.Context(), slug, locs, ns, name)
	switch {
	case errors.Is(err, scaffold.ErrTemplateNotFound):
		return nil, src, errNotFound(fmt.Sprintf("no template %s:%s/%s in the tenant's template locations", "template", ns, name))
	case err != nil:
		var pe *scaffolder.ParseError
		if errors.As(err, &pe) {
			return nil, src, errInvalid("templateRef", err.Error())
		}
		s.log(r).Error("find template", "tenant", slug, "template", ref, "error", err)
		return nil, src, &apiError{Status: http.StatusBadGateway, Code: "template_location_unavailable", Message: "could not read the tenant's template locations: " + err.Error()}
	}
	return t, src, nil
}

// checkValues validates values against the template's parameter pages, as
// Backstage's router does before creating a task.
func checkValues(t *scaffolder.Template, values map[string]any) *apiError {
	params, err := scaffolder.CompileParameters(t)
	if err != nil {
		return errInvalid("templateRef", "the template's parameters are not valid JSON Schema: "+err.Error())
	}
	if err := params.Validate(values); err != nil {
		var ve *scaffolder.ValuesError
		field := "values"
		if errors.As(err, &ve) && len(ve.Errors) > 0 {
			field = "values" + ve.Errors[0].Field
		}
		return errInvalid(field, err.Error())
	}
	return nil
}

// taskSpec is the task's spec in Backstage's TaskSpecV1beta3 shape.
func taskSpec(t *scaffolder.Template, ref string, values map[string]any, user string) json.RawMessage {
	if values == nil {
		values = map[string]any{}
	}
	ns, name, _ := parseTemplateRef(ref)
	spec := map[string]any{
		"apiVersion": t.APIVersion,
		"steps":      scaffold.TaskSteps(t.Spec.Steps),
		"output":     orEmpty(t.Spec.Output),
		"parameters": values,
		"user":       map[string]any{"ref": user},
		"templateInfo": map[string]any{
			"entityRef": "template:" + ns + "/" + name,
			"entity":    map[string]any{"metadata": t.Metadata},
		},
	}
	raw, _ := json.Marshal(spec)
	return raw
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func (s *Server) createTask(w http.ResponseWriter, r *http.Request) {
	slug, e := s.scaffoldTenant(r, store.ScopeRun)
	if e != nil {
		writeError(w, e)
		return
	}
	var req TaskRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if e := validateSecrets(req.Secrets); e != nil {
		writeError(w, e)
		return
	}
	user, e := createdBy(r, req.CreatedBy)
	if e != nil {
		writeError(w, e)
		return
	}
	t, src, e := s.findTemplate(r, slug, req.TemplateRef)
	if e != nil {
		writeError(w, e)
		return
	}
	if e := checkValues(t, req.Values); e != nil {
		writeError(w, e)
		return
	}
	task, err := s.Store.CreateTask(r.Context(), store.ScaffolderTask{
		ID: store.NewTaskID(), Tenant: slug, TemplateRef: req.TemplateRef, CreatedBy: user, Spec: taskSpec(t, req.TemplateRef, req.Values, user),
	})
	if err != nil {
		s.log(r).Error("create task", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	in := workflows.ScaffoldInput{Tenant: slug, TaskID: task.ID, TemplateRef: req.TemplateRef, Source: src, TemplatePath: t.Path,
		Values: req.Values, Secrets: req.Secrets, User: user}
	if e := s.startRun(r, in, t.Metadata.Name); e != nil {
		_ = s.Store.SetTaskStatus(context.WithoutCancel(r.Context()), task.ID, "", store.TaskFailed, time.Now().UTC())
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": task.ID})
}

func (s *Server) startRun(r *http.Request, in workflows.ScaffoldInput, name string) *apiError {
	run, err := s.Temporal.ExecuteWorkflow(r.Context(), client.StartWorkflowOptions{
		ID:                                       workflows.ScaffoldWorkflowID(in.Tenant, in.TaskID),
		TaskQueue:                                workflows.TaskQueueScaffolder,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SearchTenant.ValueSet(in.Tenant), workflows.SearchKind.ValueSet(workflows.KindScaffolder),
			workflows.SearchStage.ValueSet("validating")),
		StaticSummary: fmt.Sprintf("Scaffold %s for tenant %s", name, in.Tenant),
	}, workflows.ScaffolderRunWorkflow, in)
	if err != nil {
		s.log(r).Error("start scaffolder run", "tenant", in.Tenant, "task", in.TaskID, "error", err)
		return &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "could not start the scaffolder run; retry the request"}
	}
	s.log(r).Info("scaffolder run started", "tenant", in.Tenant, "task", in.TaskID, "workflow_id", run.GetID(), "run_id", run.GetRunID())
	return nil
}

// createdBy is the user a task runs for: the request's createdBy (an
// entity ref), else the caller.
func createdBy(r *http.Request, given string) (string, *apiError) {
	if given != "" {
		if len(given) > 253 || !strings.Contains(given, "/") || strings.ContainsAny(given, " \t\n") {
			return "", errInvalid("createdBy", "createdBy must be an entity ref like user:default/jdoe")
		}
		return given, nil
	}
	p := PrincipalFrom(r.Context())
	if p.Admin {
		return "rigger:admin", nil
	}
	return "rigger:" + p.ID(), nil
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) {
	slug, e := s.scaffoldTenant(r, store.ScopeRead)
	if e != nil {
		writeError(w, e)
		return
	}
	q := r.URL.Query()
	f := store.TaskFilter{Tenant: slug, CreatedBy: q.Get("createdBy"), Status: q.Get("status")}
	switch f.Status {
	case "", store.TaskOpen, store.TaskProcessing, store.TaskCompleted, store.TaskFailed, store.TaskCancelled:
	default:
		writeError(w, errInvalid("status", "status must be one of open, processing, completed, failed, cancelled"))
		return
	}
	for name, dst := range map[string]*int{"limit": &f.Limit, "offset": &f.Offset} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (name == "limit" && (n < 1 || n > 1000)) {
				writeError(w, errInvalid(name, name+" must be a whole number (limit 1 to 1000)"))
				return
			}
			*dst = n
		}
	}
	tasks, total, err := s.Store.ListTasks(r.Context(), f)
	if err != nil {
		s.log(r).Error("list tasks", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	out := make([]TaskResponse, 0, len(tasks))
	for _, t := range tasks {
		out = append(out, taskResponse(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": out, "totalTasks": total})
}

func taskResponse(t store.ScaffolderTask) TaskResponse {
	return TaskResponse{ID: t.ID, Spec: t.Spec, Status: t.Status, CreatedAt: t.CreatedAt, LastHeartbeatAt: t.LastHeartbeatAt, CreatedBy: t.CreatedBy}
}

// progress asks the task's run for its live state.
func (s *Server) progress(ctx context.Context, t store.ScaffolderTask) (workflows.ScaffoldProgress, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var p workflows.ScaffoldProgress
	v, err := s.Temporal.QueryWorkflow(ctx, workflows.ScaffoldWorkflowID(t.Tenant, t.ID), "", workflows.QueryProgress)
	if err != nil {
		return p, err
	}
	return p, v.Get(&p)
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request) {
	t, e := s.task(r, store.ScopeRead)
	if e != nil {
		writeError(w, e)
		return
	}
	resp := taskResponse(t)
	p, err := s.progress(r.Context(), t)
	if err == nil {
		// The run is the truth; the row can lag a moment behind it.
		if p.Status != "" && (!store.TaskTerminal(t.Status) || store.TaskTerminal(p.Status)) {
			resp.Status = p.Status
		}
		last := p.LastEventAt
		resp.LastHeartbeatAt = &last
		resp.State = &TaskState{Stage: p.Stage, Steps: p.Steps, Output: p.Output, Error: p.Error, Approval: p.Approval, Attempts: t.Attempts}
		if p.Stage == "queued" {
			resp.State.QueuePosition = s.queuePosition(r.Context(), t)
		}
	} else if !isNotFound(err) {
		s.log(r).Warn("task progress unavailable", "task", t.ID, "error", err)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) queuePosition(ctx context.Context, t store.ScaffolderTask) int {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := s.Temporal.QueryWorkflow(ctx, workflows.ScaffoldSlotsWorkflowID(t.Tenant), "", workflows.QuerySlots)
	if err != nil {
		return 0
	}
	var st workflows.SlotsState
	if v.Get(&st) != nil {
		return 0
	}
	return st.Position(workflows.ScaffoldWorkflowID(t.Tenant, t.ID))
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

// events returns the run's events after the given ID.
func (s *Server) events(ctx context.Context, t store.ScaffolderTask, after int) ([]workflows.TaskEvent, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := s.Temporal.QueryWorkflow(ctx, workflows.ScaffoldWorkflowID(t.Tenant, t.ID), "", workflows.QueryScaffoldEvents, after)
	if err != nil {
		return nil, err
	}
	var events []workflows.TaskEvent
	err = v.Get(&events)
	return events, err
}

func parseAfter(r *http.Request) (int, *apiError) {
	v := r.URL.Query().Get("after")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errInvalid("after", "after must be an event ID (a whole number)")
	}
	return n, nil
}

// taskEvents is Backstage's long-polling event read: it answers as soon as
// there are events after ?after=, or with [] after 25 seconds.
func (s *Server) taskEvents(w http.ResponseWriter, r *http.Request) {
	t, e := s.task(r, store.ScopeRead)
	if e != nil {
		writeError(w, e)
		return
	}
	after, e := parseAfter(r)
	if e != nil {
		writeError(w, e)
		return
	}
	deadline := time.Now().Add(25 * time.Second)
	for {
		events, err := s.events(r.Context(), t, after)
		if err != nil {
			if isNotFound(err) {
				writeJSON(w, http.StatusOK, []workflows.TaskEvent{})
				return
			}
			s.log(r).Error("task events", "task", t.ID, "error", err)
			writeError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "the task's events are unavailable; retry"})
			return
		}
		if len(events) > 0 || time.Now().After(deadline) || completed(r.Context(), s, t) {
			writeJSON(w, http.StatusOK, events)
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// completed reports whether the task has finished (so a poll for later
// events would wait for nothing).
func completed(ctx context.Context, s *Server, t store.ScaffolderTask) bool {
	cur, err := s.Store.GetTask(ctx, t.ID)
	return err == nil && store.TaskTerminal(cur.Status)
}

// taskEventStream sends the events as server-sent events (event: log,
// completion, cancelled, recovered), ending after the completion event.
func (s *Server) taskEventStream(w http.ResponseWriter, r *http.Request) {
	t, e := s.task(r, store.ScopeRead)
	if e != nil {
		writeError(w, e)
		return
	}
	after, e := parseAfter(r)
	if e != nil {
		writeError(w, e)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	flush()
	lastWrite := time.Now()
	for {
		events, err := s.events(r.Context(), t, after)
		if err != nil && !isNotFound(err) && r.Context().Err() == nil {
			s.log(r).Warn("event stream", "task", t.ID, "error", err)
		}
		for _, ev := range events {
			data, _ := json.Marshal(ev)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, data)
			after = ev.ID
			lastWrite = time.Now()
			if ev.Type == "completion" {
				flush()
				return
			}
		}
		if isNotFound(err) {
			return // no run (history gone): nothing more will come
		}
		if time.Since(lastWrite) > 15*time.Second {
			fmt.Fprint(w, ": keep-alive\n\n")
			lastWrite = time.Now()
		}
		flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (s *Server) cancelTask(w http.ResponseWriter, r *http.Request) {
	t, e := s.task(r, store.ScopeRun)
	if e != nil {
		writeError(w, e)
		return
	}
	if store.TaskTerminal(t.Status) {
		writeJSON(w, http.StatusOK, map[string]string{"status": t.Status})
		return
	}
	err := s.Temporal.CancelWorkflow(r.Context(), workflows.ScaffoldWorkflowID(t.Tenant, t.ID), "")
	if err != nil && !isNotFound(err) {
		s.log(r).Error("cancel task", "task", t.ID, "error", err)
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "could not cancel the run; retry"})
		return
	}
	s.log(r).Info("scaffolder run cancel requested", "tenant", t.Tenant, "task", t.ID)
	writeJSON(w, http.StatusOK, map[string]string{"status": store.TaskCancelled})
}

// RetryRequest is the body of POST /v2/tasks/{id}/retry.
type RetryRequest struct {
	Secrets map[string]string `json:"secrets,omitempty"`
}

// retryTask runs a failed or cancelled task again, from the start (a failed
// run undid its steps), with the same template and values; its events
// continue the numbering of the earlier run's.
func (s *Server) retryTask(w http.ResponseWriter, r *http.Request) {
	t, e := s.task(r, store.ScopeRun)
	if e != nil {
		writeError(w, e)
		return
	}
	var req RetryRequest
	if r.ContentLength != 0 {
		if e := decodeJSON(w, r, &req); e != nil {
			writeError(w, e)
			return
		}
	}
	if e := validateSecrets(req.Secrets); e != nil {
		writeError(w, e)
		return
	}
	status := t.Status
	if p, err := s.progress(r.Context(), t); err == nil && store.TaskTerminal(p.Status) {
		status = p.Status // the row may lag a moment behind the run
	}
	if status != store.TaskFailed && status != store.TaskCancelled {
		writeError(w, errConflict(fmt.Sprintf("task %s is %s; only failed or cancelled tasks can be retried", t.ID, status)))
		return
	}
	var spec struct {
		Parameters map[string]any `json:"parameters"`
		User       struct {
			Ref string `json:"ref"`
		} `json:"user"`
	}
	_ = json.Unmarshal(t.Spec, &spec)
	tmpl, src, e := s.findTemplate(r, t.Tenant, t.TemplateRef)
	if e != nil {
		writeError(w, e)
		return
	}
	base := 0
	if events, err := s.events(r.Context(), t, 0); err == nil && len(events) > 0 {
		base = events[len(events)-1].ID
	}
	if e := s.awaitClosed(r, t); e != nil {
		writeError(w, e)
		return
	}
	if _, err := s.Store.RetryTask(r.Context(), t.ID, true); err != nil {
		if errors.Is(err, store.ErrConflict) {
			writeError(w, errConflict(err.Error()))
			return
		}
		s.log(r).Error("retry task", "task", t.ID, "error", err)
		writeError(w, errInternal())
		return
	}
	in := workflows.ScaffoldInput{Tenant: t.Tenant, TaskID: t.ID, TemplateRef: t.TemplateRef, Source: src, TemplatePath: tmpl.Path,
		Values: spec.Parameters, Secrets: req.Secrets, User: spec.User.Ref, EventBase: base}
	if e := s.startRun(r, in, tmpl.Metadata.Name); e != nil {
		_ = s.Store.SetTaskStatus(context.WithoutCancel(r.Context()), t.ID, "", store.TaskFailed, time.Now().UTC())
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": t.ID})
}

// awaitClosed waits (briefly) until the task's last run has closed: it
// reports its final status a moment before its workflow ends.
func (s *Server) awaitClosed(r *http.Request, t store.ScaffolderTask) *apiError {
	deadline := time.Now().Add(15 * time.Second)
	for {
		d, err := s.Temporal.DescribeWorkflowExecution(r.Context(), workflows.ScaffoldWorkflowID(t.Tenant, t.ID), "")
		if isNotFound(err) || err == nil && d.WorkflowExecutionInfo.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return nil
		}
		if err != nil {
			s.log(r).Error("describe scaffolder run", "task", t.ID, "error", err)
			return &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "could not reach the task's run; retry"}
		}
		if time.Now().After(deadline) {
			return errConflict(fmt.Sprintf("task %s is still finishing; retry in a moment", t.ID))
		}
		select {
		case <-r.Context().Done():
			return errConflict("request cancelled")
		case <-time.After(100 * time.Millisecond):
		}
	}
}
