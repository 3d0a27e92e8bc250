package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rigger-platform/rigger/activities/scaffold"
	"github.com/rigger-platform/rigger/internal/scaffolder"
)

// ScaffolderRun runs one software template as a saga:
//
//  1. ScaffolderPrepare loads the pinned template and validates it (unknown
//     actions, missing fetch paths, rigger settings, values) before any side
//     effect; a template that cannot run fails here, naming step and action.
//  2. A dry run is one ScaffolderDryRun activity, and ends there.
//  3. A real run takes a slot of the tenant's semaphore (status open, stage
//     "queued" while it waits), then runs the steps in order: the workflow
//     renders `if`, `each` and each input (the template engine is pure), and
//     each step is its action's activity, with the step's retry policy and
//     timeout. The workspace passes between steps as snapshots in the
//     tenant's object storage (see package scaffold), so any worker can run
//     any step. rigger:approval waits here for an approve/reject update.
//  4. On failure or cancellation the undo of every step that has one runs in
//     reverse, on a disconnected context, unless the template opted out
//     (spec.rigger.rollback: false, or rigger: {undo: false} on a step).
//  5. A completed run renders the output and is metered (scaffold/<task>).
//
// Progress (QueryProgress) and the event log (QueryScaffoldEvents) are
// queries, so the API reads them from any process.
func ScaffolderRun(ctx workflow.Context, in ScaffoldInput) (ScaffoldProgress, error) {
	r := newScaffoldRun(ctx, in)
	if err := r.setup(ctx); err != nil {
		return r.p, endRun(ctx, KindScaffolder, err)
	}
	p, err := r.run(ctx)
	return p, endSaga(ctx, KindScaffolder, err, r.rolledBack)
}

// maxEvents bounds the event log kept in the workflow.
const maxEvents = 5000

type scaffoldRun struct {
	in       ScaffoldInput
	p        ScaffoldProgress
	events   []TaskEvent
	plan     scaffold.Plan
	state    *scaffold.RunState
	tpl      templating
	ws       string // current workspace snapshot key
	undo     []scaffoldUndo
	decision *ApprovalDecision
	runID    string
	holding  bool // holds a slot of the tenant's semaphore
	// rolledBack: rollback undid at least one step and every undo
	// succeeded (counted as RunCompensated).
	rolledBack bool
}

type scaffoldUndo struct {
	index int // step index, for its state
	name  string
	in    scaffold.UndoInput
}

func newScaffoldRun(ctx workflow.Context, in ScaffoldInput) *scaffoldRun {
	r := &scaffoldRun{in: in, runID: workflow.GetInfo(ctx).WorkflowExecution.RunID}
	r.p = ScaffoldProgress{TaskID: in.TaskID, Tenant: in.Tenant, Status: TaskOpen, Stage: "validating", Steps: []ScaffoldStep{},
		LastEventAt: workflow.Now(ctx)}
	return r
}

func (r *scaffoldRun) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (ScaffoldProgress, error) { return r.snapshot(), nil }); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, QueryScaffoldEvents, func(after int) ([]TaskEvent, error) { return r.eventsAfter(after), nil }); err != nil {
		return err
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateApproval,
		func(ctx workflow.Context, d ApprovalDecision) (ApprovalResult, error) {
			step := r.p.Approval.StepID
			r.decision = &d
			if d.Approve {
				return ApprovalResult{StepID: step, Decision: "approved"}, nil
			}
			return ApprovalResult{StepID: step, Decision: "rejected"}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, d ApprovalDecision) error {
			if r.p.Approval == nil || r.decision != nil {
				return errors.New("no approval is pending for this run")
			}
			return nil
		}})
	if err != nil {
		return err
	}
	// Pings from the semaphore only test that the run is alive.
	ping := workflow.GetSignalChannel(ctx, SignalSlotPing)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for ping.Receive(ctx, nil) {
		}
	})
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchTenant.ValueSet(r.in.Tenant), SearchKind.ValueSet(KindScaffolder),
		SearchStage.ValueSet(r.p.Stage)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes failed", "error", err)
	}
	return nil
}

func (r *scaffoldRun) snapshot() ScaffoldProgress {
	p := r.p
	p.Steps = append([]ScaffoldStep{}, r.p.Steps...)
	p.Events = len(r.events)
	return p
}

func (r *scaffoldRun) eventsAfter(after int) []TaskEvent {
	out := []TaskEvent{}
	for _, e := range r.events {
		if e.ID > after {
			out = append(out, e)
		}
	}
	return out
}

// event appends to the log; once it is full only completion events are kept.
func (r *scaffoldRun) event(ctx workflow.Context, typ string, body map[string]any) {
	now := workflow.Now(ctx)
	r.p.LastEventAt = now
	if len(r.events) >= maxEvents && typ == "log" {
		return
	}
	r.events = append(r.events, TaskEvent{ID: r.in.EventBase + len(r.events) + 1, TaskID: r.in.TaskID, Type: typ, Body: body, CreatedAt: now})
}

func (r *scaffoldRun) log(ctx workflow.Context, stepID, status, msg string) {
	body := map[string]any{"message": msg}
	if stepID != "" {
		body["stepId"] = stepID
	}
	if status != "" {
		body["status"] = status
	}
	r.event(ctx, "log", body)
	if i := r.stepIndex(stepID); i >= 0 && len(r.p.Steps[i].Logs) < 200 {
		r.p.Steps[i].Logs = append(r.p.Steps[i].Logs, msg)
	}
}

func (r *scaffoldRun) stage(ctx workflow.Context, stage string) {
	r.p.Stage = stage
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStage.ValueSet(stage)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert RiggerStage failed", "stage", stage, "error", err)
	}
}

func (r *scaffoldRun) stepIndex(id string) int {
	for i, s := range r.p.Steps {
		if s.ID == id {
			return i
		}
	}
	return -1
}

func (r *scaffoldRun) setStep(ctx workflow.Context, i int, status string, err error) {
	now := workflow.Now(ctx)
	s := &r.p.Steps[i]
	switch status {
	case TaskProcessing:
		s.StartedAt = &now
	default:
		s.EndedAt = &now
	}
	s.Status = status
	if err != nil {
		s.Error = err.Error()
	}
}

// bookkeeping options: short local work that must not give up quickly.
func bookkeeping(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 10},
	})
}

func (r *scaffoldRun) run(ctx workflow.Context) (ScaffoldProgress, error) {
	prepare := scaffold.PrepareInput{
		Tenant: r.in.Tenant, TaskID: r.in.TaskID, Source: r.in.Source, TemplatePath: r.in.TemplatePath, Values: r.in.Values,
	}
	if r.in.DryRun {
		return r.dryRun(ctx, prepare)
	}
	if err := workflow.ExecuteActivity(bookkeeping(ctx), scaffold.PrepareActivity, prepare).Get(ctx, &r.plan); err != nil {
		return r.finish(ctx, err)
	}
	for _, s := range r.plan.Steps {
		r.p.Steps = append(r.p.Steps, ScaffoldStep{ID: s.ID, Name: s.Name, Action: s.Action, Status: TaskOpen})
	}
	if err := r.acquire(ctx); err != nil {
		return r.finish(ctx, err)
	}
	r.p.Status = TaskProcessing
	r.setStatus(ctx, TaskProcessing)
	r.log(ctx, "", "", fmt.Sprintf("Starting up task with %d steps", len(r.plan.Steps)))
	r.tpl = newTemplating(r.plan.Integrations)
	r.state = scaffold.NewRunState(r.in.TaskID, r.in.Values, r.in.Secrets, r.in.User)
	err := r.steps(ctx)
	if err == nil {
		out, oerr := r.tpl.output(r.plan.Output, r.state.Context(nil, false))
		if oerr != nil {
			err = oerr
		} else {
			r.p.Output = out
		}
	}
	return r.finish(ctx, err)
}

// dryRun validates and renders in one activity: nothing to undo, nothing to
// queue for.
func (r *scaffoldRun) dryRun(ctx workflow.Context, prepare scaffold.PrepareInput) (ScaffoldProgress, error) {
	r.stage(ctx, "dry-run")
	var res scaffold.DryRunResult
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute, HeartbeatTimeout: heartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumAttempts: 3},
	}), scaffold.DryRunActivity, scaffold.DryRunInput{
		Tenant: r.in.Tenant, TaskID: r.in.TaskID, Prepare: prepare, Values: r.in.Values, Secrets: r.in.Secrets, User: r.in.User,
		SaveAs: scaffold.SnapshotKey(r.in.TaskID, r.runID, 0, 0),
	}).Get(ctx, &res)
	if err != nil {
		return r.finish(ctx, err)
	}
	r.p.DryRun, r.p.Output = &res, res.Output
	return r.finish(ctx, nil)
}

// steps runs the steps in order; the error names the failing step.
func (r *scaffoldRun) steps(ctx workflow.Context) error {
	for i, s := range r.plan.Steps {
		if err := ctx.Err(); err != nil {
			return temporal.NewCanceledError("cancelled before step " + s.ID)
		}
		run, err := r.tpl.shouldRun(s.If, r.state.Context(nil, false))
		if err != nil {
			return r.stepFailed(ctx, i, err)
		}
		if !run {
			r.setStep(ctx, i, TaskSkipped, nil)
			r.log(ctx, s.ID, TaskSkipped, scaffold.MsgSkipped(s.ID))
			continue
		}
		r.setStep(ctx, i, TaskProcessing, nil)
		r.stage(ctx, "step:"+s.ID)
		r.log(ctx, s.ID, TaskProcessing, scaffold.MsgBeginning(s.Name))
		iterations := []*scaffolder.EachItem{nil}
		if s.Each != nil {
			items, err := r.tpl.iterations(s.Each, r.state.Context(nil, false))
			if err != nil {
				return r.stepFailed(ctx, i, err)
			}
			iterations = iterations[:0]
			for j := range items {
				iterations = append(iterations, &items[j])
			}
		}
		outs := scaffold.NewStepOutputs(s.Each != nil)
		for j, it := range iterations {
			input, err := r.tpl.input(s.Input, r.state.Context(it, true))
			if err != nil {
				return r.stepFailed(ctx, i, err)
			}
			var out map[string]any
			if s.Action == "rigger:approval" {
				out, err = r.approval(ctx, s, input)
			} else {
				out, err = r.execute(ctx, i, j, s, input)
			}
			if err != nil {
				return r.stepFailed(ctx, i, err)
			}
			addOutputs(outs, out)
		}
		r.state.Steps[s.ID] = outs.Map()
		r.setStep(ctx, i, TaskCompleted, nil)
		r.log(ctx, s.ID, TaskCompleted, scaffold.MsgFinished(s.Name))
	}
	return nil
}

// execute runs one step execution as its action's activity.
func (r *scaffoldRun) execute(ctx workflow.Context, i, j int, s scaffolder.Step, input map[string]any) (map[string]any, error) {
	o := r.plan.Options[s.ID]
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: o.Timeout, HeartbeatTimeout: heartbeatTimeout, RetryPolicy: o.RetryPolicy(),
	})
	var res scaffold.StepResult
	err := workflow.ExecuteActivity(actx, scaffold.StepActivityName(s.Action), scaffold.StepInput{
		Tenant: r.in.Tenant, TaskID: r.in.TaskID, StepID: s.ID, Action: s.Action, Input: input,
		Workspace: r.ws, SaveAs: scaffold.SnapshotKey(r.in.TaskID, r.runID, i, j),
		Source: r.plan.Source, TemplatePath: r.plan.Path, User: r.in.User, Secrets: r.in.Secrets,
	}).Get(ctx, &res)
	// The undo is pushed even when the step failed: it may have done part
	// of its work (a repository created before a push failed), and every
	// undo checks what it owns and accepts nothing to do.
	if r.plan.Rollback && o.Undo && r.plan.Undoable[s.Action] {
		r.undo = append(r.undo, scaffoldUndo{index: i, name: s.Name, in: scaffold.UndoInput{
			Tenant: r.in.Tenant, TaskID: r.in.TaskID, StepID: s.ID, Action: s.Action, Data: res.Undo, StepInput: input,
		}})
	}
	if err != nil {
		return nil, err
	}
	if res.Workspace != "" {
		r.ws = res.Workspace
	}
	for _, l := range res.Logs {
		r.log(ctx, s.ID, "", l)
	}
	if res.Attempt > 1 {
		r.event(ctx, "recovered", map[string]any{"message": fmt.Sprintf("Step %s recovered: attempt %d completed it after an earlier attempt failed or its worker stopped", s.ID, res.Attempt), "stepId": s.ID})
	}
	return res.Output, nil
}

// approval waits for an approve/reject decision until the deadline.
func (r *scaffoldRun) approval(ctx workflow.Context, s scaffolder.Step, input map[string]any) (map[string]any, error) {
	timeout := 72 * time.Hour
	if t, ok := input["timeout"].(string); ok && t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 {
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("timeout %q is not a duration like 24h", t), scaffold.ErrTypeInvalidInput, nil)
		}
		timeout = d
	}
	msg, _ := input["message"].(string)
	r.decision = nil
	r.p.Approval = &PendingApproval{StepID: s.ID, Message: msg, Deadline: workflow.Now(ctx).Add(timeout)}
	r.stage(ctx, "approval:"+s.ID)
	r.log(ctx, s.ID, "", fmt.Sprintf("Waiting for approval until %s: %s", r.p.Approval.Deadline.UTC().Format(time.RFC3339), msg))
	defer func() { r.p.Approval = nil }()
	decided, err := workflow.AwaitWithTimeout(ctx, timeout, func() bool { return r.decision != nil })
	if err != nil {
		return nil, err
	}
	if !decided {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("approval timed out after %s", timeout), scaffold.ErrTypeRejected, nil)
	}
	d := *r.decision
	if !d.Approve {
		reason := fmt.Sprintf("rejected by %s", orUnknown(d.By))
		if d.Comment != "" {
			reason += ": " + d.Comment
		}
		return nil, temporal.NewNonRetryableApplicationError(reason, scaffold.ErrTypeRejected, nil)
	}
	r.log(ctx, s.ID, "", "Approved by "+orUnknown(d.By))
	return map[string]any{"approved": true, "by": d.By, "comment": d.Comment}, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func (r *scaffoldRun) stepFailed(ctx workflow.Context, i int, err error) error {
	s := r.plan.Steps[i]
	if cancelled(ctx, err) {
		r.setStep(ctx, i, TaskCancelled, nil)
		r.event(ctx, "cancelled", map[string]any{"message": fmt.Sprintf("Step %s has been cancelled.", s.Name), "stepId": s.ID, "status": TaskCancelled})
		return err
	}
	msg := errorMessage(err)
	r.setStep(ctx, i, TaskFailed, errors.New(msg))
	r.log(ctx, s.ID, TaskFailed, msg)
	return fmt.Errorf("step %q (%s) failed: %s", s.ID, s.Action, msg)
}

// errorMessage is an error without the SDK's activity wrapping.
func errorMessage(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Error()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "timed out (" + timeout.TimeoutType().String() + ")"
	}
	return err.Error()
}

func cancelled(ctx workflow.Context, err error) bool {
	return temporal.IsCanceledError(err) || errors.Is(ctx.Err(), workflow.ErrCanceled)
}

// finish settles the run: undo on failure, the final status everywhere, the
// slot back, snapshots deleted, usage metered.
func (r *scaffoldRun) finish(ctx workflow.Context, err error) (ScaffoldProgress, error) {
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	status := TaskCompleted
	switch {
	case err != nil && cancelled(ctx, err):
		status = TaskCancelled
	case err != nil:
		status = TaskFailed
	}
	if err != nil {
		r.rollback(dctx)
		r.p.Error = errorMessage(err)
	}
	if !r.in.DryRun {
		if status == TaskCompleted {
			if uerr := workflow.ExecuteActivity(bookkeeping(dctx), scaffold.UsageActivity, scaffold.UsageInput{Tenant: r.in.Tenant, TaskID: r.in.TaskID}).Get(dctx, nil); uerr != nil {
				workflow.GetLogger(ctx).Error("could not record usage", "error", uerr)
			}
		}
		r.release(dctx)
		if cerr := workflow.ExecuteActivity(bookkeeping(dctx), scaffold.CleanupActivity, scaffold.CleanupInput{Tenant: r.in.Tenant, TaskID: r.in.TaskID, RunID: r.runID}).Get(dctx, nil); cerr != nil {
			workflow.GetLogger(ctx).Warn("could not delete workspace snapshots", "error", cerr)
		}
	}
	// The final status and the completion event go out together, after
	// everything else the run does and before the store is told, so no
	// reader sees "completed" without the event, or the event early.
	r.p.Status = status
	r.stage(dctx, status)
	body := map[string]any{"message": "Run completed with status: " + status, "status": status}
	if status == TaskCompleted {
		body["output"] = r.p.Output
	} else {
		body["error"] = map[string]any{"name": "Error", "message": r.p.Error}
	}
	if status == TaskCancelled {
		r.event(dctx, "cancelled", map[string]any{"message": "Run cancelled", "status": TaskCancelled})
	}
	r.event(dctx, "completion", body)
	if !r.in.DryRun {
		r.setStatus(dctx, status)
	}
	switch status {
	case TaskCancelled:
		return r.snapshot(), temporal.NewCanceledError(r.p.Error)
	case TaskFailed:
		return r.snapshot(), temporal.NewNonRetryableApplicationError("scaffolder run failed: "+r.p.Error, "ScaffolderRunFailed", err)
	}
	return r.snapshot(), nil
}

// rollback runs the undos in reverse; one that fails is logged and the
// others still run.
func (r *scaffoldRun) rollback(ctx workflow.Context) {
	if len(r.undo) == 0 {
		return
	}
	if !r.plan.Rollback {
		r.log(ctx, "", "", "Rollback is turned off for this template (spec.rigger.rollback: false); completed steps are kept")
		return
	}
	uctx := undoOptions(ctx)
	r.rolledBack = true
	for k := len(r.undo) - 1; k >= 0; k-- {
		u := r.undo[k]
		r.stage(ctx, "undo:"+u.in.StepID)
		r.log(ctx, u.in.StepID, "", "Undoing step "+u.name)
		if err := workflow.ExecuteActivity(uctx, scaffold.UndoActivity, u.in).Get(ctx, nil); err != nil {
			r.log(ctx, u.in.StepID, "", "Could not undo step "+u.name+": "+errorMessage(err))
			r.rolledBack = false
			continue
		}
		if st := &r.p.Steps[u.index]; st.Status == TaskCompleted {
			st.Status = TaskUndone
		}
		r.log(ctx, u.in.StepID, "", "Undid step "+u.name)
	}
	r.undo = nil
}

func (r *scaffoldRun) setStatus(ctx workflow.Context, status string) {
	err := workflow.ExecuteActivity(bookkeeping(ctx), scaffold.SetStatusActivity, scaffold.SetStatusInput{
		TaskID: r.in.TaskID, RunID: r.runID, Status: status,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("could not record task status", "status", status, "error", err)
	}
}

// acquire takes a slot of the tenant's semaphore, starting the semaphore
// when it is not running; while it waits the run is open, stage "queued".
func (r *scaffoldRun) acquire(ctx workflow.Context) error {
	id := ScaffoldSlotsWorkflowID(r.in.Tenant)
	req := SlotRequest{WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Limit: r.plan.Concurrency}
	for attempt := 0; ; attempt++ {
		err := workflow.SignalExternalWorkflow(ctx, id, "", SignalSlotAcquire, req).Get(ctx, nil)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return temporal.NewCanceledError("cancelled while queued")
		}
		if attempt >= 5 {
			return fmt.Errorf("could not reach the tenant's run queue: %w", err)
		}
		// Not running: start it, as a child that outlives this run. Another
		// run may win the race; then its semaphore takes our signal.
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID: id, TaskQueue: TaskQueueScaffolder,
			ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		})
		_ = workflow.ExecuteChildWorkflow(cctx, ScaffolderSlotsWorkflow, SlotsState{Tenant: r.in.Tenant, Limit: r.plan.Concurrency}).
			GetChildWorkflowExecution().Get(ctx, nil)
	}
	r.stage(ctx, "queued")
	r.log(ctx, "", "", "Waiting for one of the tenant's scaffolder slots")
	granted := workflow.GetSignalChannel(ctx, SignalSlotGranted)
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(granted, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); r.holding = true })
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
	sel.Select(ctx)
	if !r.holding {
		// Cancelled while queued: leave the queue.
		dctx, cancel := workflow.NewDisconnectedContext(ctx)
		defer cancel()
		_ = workflow.SignalExternalWorkflow(dctx, id, "", SignalSlotRelease, req).Get(dctx, nil)
		return temporal.NewCanceledError("cancelled while queued")
	}
	return nil
}

func (r *scaffoldRun) release(ctx workflow.Context) {
	if !r.holding {
		return
	}
	r.holding = false
	id := ScaffoldSlotsWorkflowID(r.in.Tenant)
	req := SlotRequest{WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID}
	if err := workflow.SignalExternalWorkflow(ctx, id, "", SignalSlotRelease, req).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("could not release the scaffolder slot", "error", err)
	}
}
