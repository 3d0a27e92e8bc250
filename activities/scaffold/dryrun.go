package scaffold

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/rigger-platform/rigger/internal/scaffolder"
)

// DryRunInput is a dry run: the template (as ScaffolderPrepare takes it),
// the secrets and initiator, and where to leave the resulting workspace for
// the API to return. Plan is filled in by ScaffolderDryRun itself (callers
// of DryRun pass it).
type DryRunInput struct {
	Tenant  string            `json:"tenant"`
	TaskID  string            `json:"taskId"`
	Prepare PrepareInput      `json:"prepare"`
	Plan    Plan              `json:"-"`
	Values  map[string]any    `json:"values"`
	Secrets map[string]string `json:"secrets,omitempty"`
	User    string            `json:"user,omitempty"`
	SaveAs  string            `json:"saveAs"`
}

// LogEntry is one line of a dry run's log (Backstage's {body}).
type LogEntry struct {
	Body LogBody `json:"body"`
}

// LogBody is the body of a log event.
type LogBody struct {
	Message string `json:"message"`
	StepID  string `json:"stepId,omitempty"`
	Status  string `json:"status,omitempty"`
}

// DryRunResult is the log, the steps as written, the rendered output, and
// the snapshot key holding the produced files.
type DryRunResult struct {
	Log       []LogEntry     `json:"log"`
	Steps     []TaskStep     `json:"steps"`
	Output    map[string]any `json:"output"`
	Workspace string         `json:"workspace"`
}

// ScaffolderDryRun validates and runs a whole template in memory, in one
// activity: steps without side effects (fetch, fs, debug, catalog:write)
// run for real on the workspace, the others report the output they would
// have. Nothing leaves the workspace, so a retry simply runs it again.
func (a *Activities) ScaffolderDryRun(ctx context.Context, in DryRunInput) (DryRunResult, error) {
	src, err := a.templates().Open(ctx, in.Tenant, in.Prepare.Source)
	if err != nil {
		return DryRunResult{}, retryable(err)
	}
	if in.Plan, err = a.prepare(src, in.Prepare); err != nil {
		return DryRunResult{}, err
	}
	res, ws, err := a.DryRun(ctx, in, src)
	if err != nil {
		return res, err
	}
	if err := a.saveWorkspace(ctx, in.Tenant, in.SaveAs, ws); err != nil {
		return res, err
	}
	res.Workspace = in.SaveAs
	return res, nil
}

// DryRun executes the plan against an in-memory workspace and returns the
// result and the workspace; it stores nothing (the benchmark calls it
// directly, without Temporal).
func (a *Activities) DryRun(ctx context.Context, in DryRunInput, src fs.FS) (DryRunResult, *Workspace, error) {
	eng := a.Engine()
	ws := NewWorkspace()
	st := NewRunState(in.TaskID, in.Values, in.Secrets, in.User)
	res := DryRunResult{Steps: TaskSteps(in.Plan.Steps)}
	log := func(step, status, format string, args ...any) {
		res.Log = append(res.Log, LogEntry{Body: LogBody{Message: fmt.Sprintf(format, args...), StepID: step, Status: status}})
	}
	log("", "", "Starting up task with %d steps", len(in.Plan.Steps))
	for _, s := range in.Plan.Steps {
		run, err := eng.ShouldRun(ctx, s.If, st.Context(nil, false))
		if err != nil {
			return res, ws, stepFailed(s, err)
		}
		if !run {
			log(s.ID, "skipped", "%s", MsgSkipped(s.ID))
			continue
		}
		log(s.ID, "processing", "%s", MsgBeginning(s.Name))
		iterations := []*scaffolder.EachItem{nil}
		if s.Each != nil {
			items, err := eng.Iterations(ctx, s.Each, st.Context(nil, false))
			if err != nil {
				return res, ws, stepFailed(s, err)
			}
			iterations = iterations[:0]
			for i := range items {
				iterations = append(iterations, &items[i])
			}
		}
		outs := NewStepOutputs(s.Each != nil)
		for _, it := range iterations {
			input, err := eng.RenderInput(ctx, s.Input, st.Context(it, true))
			if err != nil {
				return res, ws, stepFailed(s, err)
			}
			if err := validateInput(s.Action, input); err != nil {
				return res, ws, stepFailed(s, err)
			}
			act, _ := Lookup(s.Action)
			x := &Exec{Tenant: in.Tenant, TaskID: in.TaskID, StepID: s.ID, Input: input, WS: ws, Src: src,
				TemplatePath: in.Plan.Path, DryRun: true, User: in.User, Secrets: in.Secrets}
			if act.DryRun != nil {
				act.DryRun(x)
			} else if err := act.Run(ctx, a, x); err != nil {
				return res, ws, stepFailed(s, err)
			}
			for _, l := range x.Logs {
				log(s.ID, "", "%s", redact(l, in.Secrets))
			}
			outs.Add(x.Output)
		}
		st.Steps[s.ID] = outs.Map()
		log(s.ID, "completed", "%s", MsgFinished(s.Name))
	}
	out, err := eng.RenderOutput(ctx, in.Plan.Output, st.Context(nil, false))
	if err != nil {
		return res, ws, invalidf("%v", err)
	}
	res.Output = out
	return res, ws, nil
}

func stepFailed(s scaffolder.Step, err error) error {
	return invalidf("step %q (%s) failed: %v", s.ID, s.Action, err)
}
