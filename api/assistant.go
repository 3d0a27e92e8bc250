package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/llm"
	"github.com/rigger-platform/rigger/internal/assistant"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
	"github.com/rigger-platform/rigger/workflows"
)

// AssistantTaskRequest is the body of POST /v1/assistant/tasks.
type AssistantTaskRequest struct {
	Tenant string                       `json:"tenant"`
	Type   string                       `json:"type"`
	Input  workflows.AssistantTaskInput `json:"input"`
}

// AssistantDecisionRequest is the optional body of approve and reject.
type AssistantDecisionRequest struct {
	Reason string `json:"reason,omitempty"`
}

// AssistantTaskResponse is a task as the API shows it.
type AssistantTaskResponse struct {
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
	Type   string `json:"type"`
	// Status: running, awaiting-approval, completed, rejected, expired,
	// failed, cancelled.
	Status    string `json:"status"`
	Stage     string `json:"stage,omitempty"`
	Round     int    `json:"round,omitempty"`
	MaxRounds int    `json:"maxRounds,omitempty"`
	LLMCalls  int    `json:"llmCalls"`
	Tokens    int    `json:"tokens"`
	// PartialText is the model's answer so far, while a call streams.
	PartialText      string                      `json:"partialText,omitempty"`
	Proposal         *workflows.TemplateProposal `json:"proposal,omitempty"`
	ApprovalDeadline *time.Time                  `json:"approvalDeadline,omitempty"`
	Result           *workflows.AssistantResult  `json:"result,omitempty"`
	Error            string                      `json:"error,omitempty"`
	ErrorType        string                      `json:"errorType,omitempty"`
	WorkflowID       string                      `json:"workflowId"`
	RunID            string                      `json:"runId,omitempty"`
	CreatedAt        *time.Time                  `json:"createdAt,omitempty"`
	ClosedAt         *time.Time                  `json:"closedAt,omitempty"`
}

// AssistantDecisionResponse acknowledges an approve or reject.
type AssistantDecisionResponse struct {
	ID         string `json:"id"`
	Decision   string `json:"decision"` // approve | reject
	ProposalID string `json:"proposalId"`
}

// Input limits, checked before a workflow starts.
const (
	maxAssistantWorkflowID = 1000
	maxDecisionReason      = 1000
)

// assistantStreamEnds reports whether a stream ends at a status: any but
// running (awaiting-approval too, as nothing streams until a human
// decides).
func assistantStreamEnds(status string) bool {
	switch status {
	case workflows.AssistStatusRunning:
		return false
	}
	return true
}

func newTaskID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

func validateAssistantRequest(req *AssistantTaskRequest) *apiError {
	in := req.Input
	type field struct {
		name, value string
		max         int
	}
	fields := []field{
		{"input.question", in.Question, assistant.MaxQuestionBytes},
		{"input.description", in.Description, assistant.MaxDescriptionBytes},
		{"input.workflowId", in.WorkflowID, maxAssistantWorkflowID},
	}
	want := map[string]string{workflows.AssistAsk: "input.question", workflows.AssistDraft: "input.description", workflows.AssistExplain: "input.workflowId"}[req.Type]
	if want == "" {
		return errInvalid("type", fmt.Sprintf("type must be %s, %s or %s", workflows.AssistAsk, workflows.AssistDraft, workflows.AssistExplain))
	}
	for _, f := range fields {
		switch {
		case f.name == want && strings.TrimSpace(f.value) == "":
			return errInvalid(f.name, fmt.Sprintf("a %s task needs %s", req.Type, f.name))
		case f.name != want && f.value != "":
			return errInvalid(f.name, fmt.Sprintf("%s is not used by a %s task (it takes %s)", f.name, req.Type, want))
		case len(f.value) > f.max:
			return errInvalid(f.name, fmt.Sprintf("%s may have at most %d bytes", f.name, f.max))
		}
	}
	return nil
}

// createAssistantTask starts an AssistantTask for the tenant in the body,
// which the caller must be allowed to run work for.
func (s *Server) createAssistantTask(w http.ResponseWriter, r *http.Request) {
	var req AssistantTaskRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	if tenant.ValidateSlug(req.Tenant) != nil {
		writeError(w, errNoTenant(req.Tenant))
		return
	}
	if e := p.CanAccess(req.Tenant, store.ScopeRun); e != nil {
		if e.Status == http.StatusNotFound {
			e = errNoTenant(req.Tenant)
		}
		writeError(w, e)
		return
	}
	if e := validateAssistantRequest(&req); e != nil {
		writeError(w, e)
		return
	}
	t, err := s.Store.GetTenant(ctx, req.Tenant)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && t.Status == store.StatusDeleted):
		writeError(w, errNoTenant(req.Tenant))
		return
	case err != nil:
		s.log(r).Error("get tenant", "tenant", req.Tenant, "error", err)
		writeError(w, errInternal())
		return
	case t.Status != store.StatusActive:
		writeError(w, errConflict(fmt.Sprintf("tenant %q is %s; the assistant serves active tenants", req.Tenant, t.Status)))
		return
	}
	id := newTaskID()
	wid := workflows.AssistantWorkflowID(req.Tenant, id)
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    wid,
		TaskQueue:             workflows.TaskQueueAssistant,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SearchTenant.ValueSet(req.Tenant), workflows.SearchKind.ValueSet(workflows.KindAssistant),
			workflows.SearchStage.ValueSet("queued")),
	}, workflows.AssistantTaskWorkflow, workflows.AssistantInput{Tenant: req.Tenant, Type: req.Type, Input: req.Input, RequestedBy: p.ID()})
	if err != nil {
		s.log(r).Error("start assistant task", "tenant", req.Tenant, "error", err)
		writeError(w, errInternal())
		return
	}
	now := time.Now().UTC()
	writeJSON(w, http.StatusAccepted, AssistantTaskResponse{
		ID: workflows.AssistantTaskID(req.Tenant, id), Tenant: req.Tenant, Type: req.Type, Status: workflows.AssistStatusRunning,
		Stage: "queued", WorkflowID: wid, RunID: run.GetRunID(), CreatedAt: &now,
	})
}

// assistantTarget resolves the {id} of a task route: the tenant it names
// must be one the caller may access with scope, or the task does not exist
// as far as the caller can tell.
func (s *Server) assistantTarget(r *http.Request, scope string) (slug, wid string, e *apiError) {
	taskID := r.PathValue("id")
	notFound := errNotFound("no assistant task " + strconv.Quote(taskID))
	slug, id, ok := workflows.ParseAssistantTaskID(taskID)
	if !ok || tenant.ValidateSlug(slug) != nil {
		return "", "", notFound
	}
	p := PrincipalFrom(r.Context())
	if e := p.CanAccess(slug, scope); e != nil {
		switch {
		case e.Status == http.StatusNotFound:
			return "", "", notFound
		case scope == store.ScopeRead && p.Has(store.ScopeRun):
			// Whoever may start tasks may follow them.
		default:
			return "", "", e
		}
	}
	return slug, workflows.AssistantWorkflowID(slug, id), nil
}

// taskReader builds task views for one request, querying the workflow's
// progress only when its history grew (a stream polls often).
type taskReader struct {
	s          *Server
	slug, wid  string
	historyLen int64
	progress   *workflows.AssistantProgress
	failure    string
	failType   string
}

func (s *Server) dataConverter() converter.DataConverter {
	if s.Codec != nil {
		return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), s.Codec)
	}
	return converter.GetDefaultDataConverter()
}

// view reads the task: its execution (status, pending LLM call with the
// streamed text) and, when anything happened, its progress query.
func (tr *taskReader) view(ctx context.Context) (AssistantTaskResponse, *apiError) {
	s := tr.s
	notFound := errNotFound("no assistant task " + strconv.Quote(taskIDOf(tr.wid)))
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d, err := s.Temporal.DescribeWorkflowExecution(dctx, tr.wid, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return AssistantTaskResponse{}, notFound
	}
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.Error("describe assistant task", "workflow_id", tr.wid, "error", err, "request_id", RequestID(ctx))
		}
		return AssistantTaskResponse{}, errInternal()
	}
	info := d.GetWorkflowExecutionInfo()
	// The ID is built from the tenant, so this holds by construction;
	// checked anyway, as a run of any other shape must never be shown.
	if info.GetType().GetName() != workflows.AssistantTaskWorkflow || searchKeyword(info.GetSearchAttributes().GetIndexedFields()["RiggerTenant"]) != tr.slug {
		return AssistantTaskResponse{}, notFound
	}
	out := AssistantTaskResponse{ID: taskIDOf(tr.wid), Tenant: tr.slug, WorkflowID: tr.wid, RunID: info.GetExecution().GetRunId()}
	if t := info.GetStartTime(); t != nil {
		v := t.AsTime().UTC()
		out.CreatedAt = &v
	}
	if t := info.GetCloseTime(); t != nil {
		v := t.AsTime().UTC()
		out.ClosedAt = &v
	}
	if tr.progress == nil || info.GetHistoryLength() != tr.historyLen {
		qctx, qcancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := s.Temporal.QueryWorkflow(qctx, tr.wid, "", workflows.QueryProgress)
		qcancel()
		var p workflows.AssistantProgress
		if err == nil && v.Get(&p) == nil {
			tr.progress, tr.historyLen = &p, info.GetHistoryLength()
		}
	}
	if p := tr.progress; p != nil {
		out.Type, out.Status, out.Stage, out.Round, out.MaxRounds = p.Type, p.Status, p.Stage, p.Round, p.MaxRounds
		out.LLMCalls, out.Tokens, out.Proposal, out.ApprovalDeadline, out.Result = p.LLMCalls, p.Tokens, p.Proposal, p.ApprovalDeadline, p.Result
		out.Error, out.ErrorType = p.Error, p.ErrorType
	}
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		if out.Status != workflows.AssistStatusAwaiting { // a run finishing reads as running until it closes
			out.Status = workflows.AssistStatusRunning
		}
		out.PartialText = tr.partialText(d)
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		if out.Status == "" || out.Status == workflows.AssistStatusRunning {
			out.Status = workflows.AssistStatusDone
		}
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		out.Status = workflows.AssistStatusCanceled
	default: // failed, terminated, timed out
		out.Status = workflows.AssistStatusFailed
		if out.Error == "" {
			out.Error, out.ErrorType = tr.failureOf(ctx, info.GetStatus())
		}
	}
	return out, nil
}

// partialText is the text the pending LLM call has streamed so far, from
// its last heartbeat (llm.Progress).
func (tr *taskReader) partialText(d *workflowservice.DescribeWorkflowExecutionResponse) string {
	for _, pa := range d.GetPendingActivities() {
		if pa.GetActivityType().GetName() != "LLMComplete" || pa.GetHeartbeatDetails() == nil {
			continue
		}
		var p llm.Progress
		if err := tr.s.dataConverter().FromPayloads(pa.GetHeartbeatDetails(), &p); err == nil {
			return p.Text
		}
	}
	return ""
}

// failureOf reads a closed run's failure when its progress query could not
// answer (no assistant worker to replay it, for one).
func (tr *taskReader) failureOf(ctx context.Context, st enumspb.WorkflowExecutionStatus) (string, string) {
	if tr.failure != "" {
		return tr.failure, tr.failType
	}
	gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := tr.s.Temporal.GetWorkflow(gctx, tr.wid, "").Get(gctx, nil)
	var ae *temporal.ApplicationError
	switch {
	case errors.As(err, &ae):
		tr.failure, tr.failType = ae.Message(), ae.Type()
	case err != nil:
		tr.failure = err.Error()
	default:
		tr.failure = strings.ToLower(strings.TrimPrefix(st.String(), "WORKFLOW_EXECUTION_STATUS_"))
	}
	return tr.failure, tr.failType
}

func searchKeyword(p interface{ GetData() []byte }) string {
	if p == nil {
		return ""
	}
	var s string
	if err := json.Unmarshal(p.GetData(), &s); err != nil {
		return ""
	}
	return s
}

func taskIDOf(wid string) string {
	parts := strings.SplitN(wid, "/", 3)
	if len(parts) != 3 {
		return wid
	}
	return workflows.AssistantTaskID(parts[1], parts[2])
}

// readAssistantTask finds the caller's task (404 for another tenant's) and
// reads it as GET returns it.
func (s *Server) readAssistantTask(r *http.Request, scope string) (*taskReader, AssistantTaskResponse, *apiError) {
	slug, wid, e := s.assistantTarget(r, scope)
	if e != nil {
		return nil, AssistantTaskResponse{}, e
	}
	tr := &taskReader{s: s, slug: slug, wid: wid}
	v, e := tr.view(r.Context())
	return tr, v, e
}

func (s *Server) getAssistantTask(w http.ResponseWriter, r *http.Request) {
	_, v, e := s.readAssistantTask(r, store.ScopeRead)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// Stream tuning.
const (
	streamPoll      = 250 * time.Millisecond
	streamKeepAlive = 15 * time.Second
	streamMaxLength = 30 * time.Minute
)

// streamAssistantTask is a server-sent event stream of the task:
//
//	event: status  {"status","stage","round"}  when any of them changes
//	event: delta   {"text"}                    text the model added
//	event: reset   {}                          a new model call started over
//	event: done    <the task, as GET returns it> then the stream ends
//
// It ends when the task finishes or awaits approval. A client that drops
// reconnects, or reads the task with GET.
func (s *Server) streamAssistantTask(w http.ResponseWriter, r *http.Request) {
	tr, v, e := s.readAssistantTask(r, store.ScopeRead)
	if e != nil {
		writeError(w, e)
		return
	}
	ctx := r.Context()
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	send := func(event string, data any) bool {
		b, _ := json.Marshal(data)
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	type status struct {
		Status string `json:"status"`
		Stage  string `json:"stage,omitempty"`
		Round  int    `json:"round,omitempty"`
	}
	var lastStatus status
	sent := ""
	deadline := time.Now().Add(streamMaxLength)
	lastWrite := time.Now()
	tick := time.NewTicker(streamPoll)
	defer tick.Stop()
	for {
		if st := (status{v.Status, v.Stage, v.Round}); st != lastStatus {
			if !send("status", st) {
				return
			}
			lastStatus, lastWrite = st, time.Now()
		}
		if text := v.PartialText; text != "" && text != sent {
			if strings.HasPrefix(text, sent) {
				if !send("delta", map[string]string{"text": text[len(sent):]}) {
					return
				}
			} else if !send("reset", struct{}{}) || !send("delta", map[string]string{"text": text}) {
				return
			}
			sent, lastWrite = text, time.Now()
		}
		if assistantStreamEnds(v.Status) {
			send("done", v)
			return
		}
		if time.Since(lastWrite) > streamKeepAlive {
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
			lastWrite = time.Now()
		}
		if time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if v, e = tr.view(ctx); e != nil {
			return
		}
	}
}

func (s *Server) approveAssistantTask(w http.ResponseWriter, r *http.Request) {
	s.decideAssistantTask(w, r, true)
}

func (s *Server) rejectAssistantTask(w http.ResponseWriter, r *http.Request) {
	s.decideAssistantTask(w, r, false)
}

// decideAssistantTask signals a human decision on the proposal that awaits
// approval; tenant admins only. The signal names the proposal read here, so
// it cannot approve one the caller has not seen.
func (s *Server) decideAssistantTask(w http.ResponseWriter, r *http.Request, approve bool) {
	slug, wid, e := s.assistantTarget(r, store.ScopeAdmin)
	if e != nil {
		writeError(w, e)
		return
	}
	// The body is optional: read it, and decode it only when there is one.
	var req AssistantDecisionRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		writeError(w, jsonError(err))
		return
	}
	if len(bytes.TrimSpace(body)) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(body))
		if e := decodeJSON(w, r, &req); e != nil {
			writeError(w, e)
			return
		}
	}
	if len(req.Reason) > maxDecisionReason {
		writeError(w, errInvalid("reason", fmt.Sprintf("reason may have at most %d bytes", maxDecisionReason)))
		return
	}
	ctx := r.Context()
	tr := &taskReader{s: s, slug: slug, wid: wid}
	v, e := tr.view(ctx)
	if e != nil {
		writeError(w, e)
		return
	}
	if v.Status != workflows.AssistStatusAwaiting || v.Proposal == nil {
		writeError(w, errConflict(fmt.Sprintf("assistant task %s is %s, not awaiting approval", v.ID, v.Status)))
		return
	}
	d := workflows.AssistantDecision{ProposalID: v.Proposal.ID, Approve: approve, By: PrincipalFrom(ctx).ID(), Reason: req.Reason}
	if err := s.Temporal.SignalWorkflow(ctx, wid, v.RunID, workflows.SignalAssistantDecision, d); err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			writeError(w, errConflict(fmt.Sprintf("assistant task %s is no longer awaiting approval", v.ID)))
			return
		}
		s.log(r).Error("signal assistant decision", "workflow_id", wid, "error", err)
		writeError(w, errInternal())
		return
	}
	decision := "reject"
	if approve {
		decision = "approve"
	}
	writeJSON(w, http.StatusAccepted, AssistantDecisionResponse{ID: v.ID, Decision: decision, ProposalID: v.Proposal.ID})
}

// cancelAssistantTask requests cancellation; the model call in flight is
// cancelled and nothing further is spent.
func (s *Server) cancelAssistantTask(w http.ResponseWriter, r *http.Request) {
	tr, v, e := s.readAssistantTask(r, store.ScopeRun)
	if e != nil {
		writeError(w, e)
		return
	}
	ctx, wid := r.Context(), tr.wid
	if v.ClosedAt != nil {
		writeError(w, errConflict(fmt.Sprintf("assistant task %s already ended (%s)", v.ID, v.Status)))
		return
	}
	if err := s.Temporal.CancelWorkflow(ctx, wid, v.RunID); err != nil {
		s.log(r).Error("cancel assistant task", "workflow_id", wid, "error", err)
		writeError(w, errInternal())
		return
	}
	v.Status = "cancelling"
	writeJSON(w, http.StatusAccepted, v)
}
