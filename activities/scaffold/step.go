package scaffold

import (
	"context"
	"errors"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// StepInput is one execution of a step (one iteration of `each`), with its
// input already rendered by the workflow.
type StepInput struct {
	Tenant string `json:"tenant"`
	TaskID string `json:"taskId"`
	StepID string `json:"stepId"`
	Action string `json:"action"`
	// Input is the rendered input.
	Input map[string]any `json:"input"`
	// Workspace is the snapshot key to start from; "" is an empty workspace.
	Workspace string `json:"workspace,omitempty"`
	// SaveAs is where the workspace goes if the step changes it.
	SaveAs string `json:"saveAs"`
	// Source and TemplatePath locate the template's files for fetch actions.
	Source       Source            `json:"source"`
	TemplatePath string            `json:"templatePath"`
	User         string            `json:"user,omitempty"`
	Secrets      map[string]string `json:"secrets,omitempty"`
}

// StepResult is what a step reports.
type StepResult struct {
	Output map[string]any `json:"output"`
	// Workspace is the snapshot key after the step (SaveAs when it changed
	// the workspace, else the key it started from).
	Workspace string   `json:"workspace,omitempty"`
	Logs      []string `json:"logs,omitempty"`
	// Undo is the data the action's undo needs; nil when there is nothing
	// to undo.
	Undo map[string]any `json:"undo,omitempty"`
	// Attempt is the activity attempt that succeeded (>1 after a retry, e.g.
	// when the first worker died).
	Attempt int32 `json:"attempt"`
}

// StepActivityName is the activity type of an action's step: every action
// is its own activity, so the Web UI and metrics show which ran.
func StepActivityName(action string) string { return "Scaffolder:" + action }

// Activity type names of the run's bookkeeping activities.
const (
	PrepareActivity   = "ScaffolderPrepare"
	UndoActivity      = "ScaffolderUndo"
	DryRunActivity    = "ScaffolderDryRun"
	SetStatusActivity = "ScaffolderSetStatus"
	UsageActivity     = "ScaffolderRecordUsage"
	CleanupActivity   = "ScaffolderCleanup"
)

// Registrar is the part of worker.Worker that registers activities.
type Registrar interface {
	RegisterActivityWithOptions(a interface{}, options activity.RegisterOptions)
}

// Register registers the step activity of every action (except those the
// workflow performs) and the bookkeeping activities, under fixed names.
func (a *Activities) Register(r Registrar) {
	for _, id := range ActionIDs() {
		act, _ := Lookup(id)
		if act.Workflow {
			continue
		}
		r.RegisterActivityWithOptions(a.RunStep, activity.RegisterOptions{Name: StepActivityName(id)})
	}
	r.RegisterActivityWithOptions(a.ScaffolderPrepare, activity.RegisterOptions{Name: PrepareActivity})
	r.RegisterActivityWithOptions(a.ScaffolderUndo, activity.RegisterOptions{Name: UndoActivity})
	r.RegisterActivityWithOptions(a.ScaffolderDryRun, activity.RegisterOptions{Name: DryRunActivity})
	r.RegisterActivityWithOptions(a.ScaffolderSetStatus, activity.RegisterOptions{Name: SetStatusActivity})
	r.RegisterActivityWithOptions(a.ScaffolderRecordUsage, activity.RegisterOptions{Name: UsageActivity})
	r.RegisterActivityWithOptions(a.ScaffolderCleanup, activity.RegisterOptions{Name: CleanupActivity})
}

// RunStep runs one step: it restores the workspace the step starts from,
// runs the action, and stores the workspace again if the action changed it.
func (a *Activities) RunStep(ctx context.Context, in StepInput) (StepResult, error) {
	act, ok := Lookup(in.Action)
	if !ok || act.Workflow {
		return StepResult{}, invalidf("action %q is not run as an activity", in.Action)
	}
	if err := validateInput(in.Action, in.Input); err != nil {
		return StepResult{}, err
	}
	ws, err := a.loadWorkspace(ctx, in.Tenant, in.Workspace)
	if err != nil {
		return StepResult{}, err
	}
	x := &Exec{Tenant: in.Tenant, TaskID: in.TaskID, StepID: in.StepID, Input: in.Input, WS: ws,
		TemplatePath: in.TemplatePath, User: in.User, Secrets: in.Secrets}
	if strings.HasPrefix(in.Action, "fetch:") {
		if x.Src, err = a.templates().Open(ctx, in.Tenant, in.Source); err != nil {
			return StepResult{}, retryable(err)
		}
	}
	if err := act.Run(ctx, a, x); err != nil {
		return StepResult{}, redactErr(err, in.Secrets)
	}
	for i, l := range x.Logs {
		x.Logs[i] = redact(l, in.Secrets)
	}
	res := StepResult{Output: x.Output, Workspace: in.Workspace, Logs: x.Logs, Undo: x.Undo, Attempt: attempt(ctx)}
	if res.Output == nil {
		res.Output = map[string]any{}
	}
	if x.Changed {
		if err := a.saveWorkspace(ctx, in.Tenant, in.SaveAs, ws); err != nil {
			return StepResult{}, err
		}
		res.Workspace = in.SaveAs
	}
	return res, nil
}

// ScaffolderUndo reverses a completed step (see Action.Undo).
func (a *Activities) ScaffolderUndo(ctx context.Context, in UndoInput) error {
	act, ok := Lookup(in.Action)
	if !ok || act.Undo == nil {
		return nil
	}
	return act.Undo(ctx, a, in)
}

// redact hides secret values in text that leaves the activity (logs and
// errors end up in events and histories), as Backstage masks them in logs.
func redact(s string, secrets map[string]string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return s
}

func redactErr(err error, secrets map[string]string) error {
	msg := err.Error()
	if red := redact(msg, secrets); red != msg {
		var app *temporal.ApplicationError
		if errors.As(err, &app) {
			return temporal.NewApplicationErrorWithOptions(redact(app.Message(), secrets), app.Type(), temporal.ApplicationErrorOptions{
				NonRetryable: app.NonRetryable(), NextRetryDelay: app.NextRetryDelay()})
		}
		return errors.New(red)
	}
	return err
}
