package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// tracker keeps the step states a workflow exposes through QueryProgress and
// mirrors the current step into the RiggerStage search attribute.
type tracker struct {
	p Progress
}

func newTracker(tenant, kind string, steps []string) *tracker {
	t := &tracker{p: Progress{Tenant: tenant, Kind: kind, Status: "running"}}
	for _, s := range steps {
		t.p.Steps = append(t.p.Steps, StepState{Name: s, State: StepPending})
	}
	return t
}

func (t *tracker) register(ctx workflow.Context) error {
	return workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return t.snapshot(), nil })
}

func (t *tracker) snapshot() Progress {
	p := t.p
	p.Steps = append([]StepState(nil), t.p.Steps...)
	return p
}

func (t *tracker) step(name string) *StepState {
	for i := range t.p.Steps {
		if t.p.Steps[i].Name == name {
			return &t.p.Steps[i]
		}
	}
	panic("workflows: unknown step " + name) // a programming error, caught by tests
}

func (t *tracker) set(ctx workflow.Context, name, state, detail string, err error) {
	s := t.step(name)
	now := workflow.Now(ctx)
	switch state {
	case StepRunning:
		s.StartedAt, s.EndedAt, s.Error = &now, nil, ""
		t.stage(ctx, name)
	case StepCompensating:
		t.stage(ctx, "undo:"+name)
	default:
		s.EndedAt = &now
	}
	s.State = state
	if detail != "" {
		s.Detail = detail
	}
	if err != nil {
		s.Error = err.Error()
	}
}

// stage records where the run is, for the Web UI's RiggerStage filter. A
// failed upsert only costs visibility, so it does not fail the run.
func (t *tracker) stage(ctx workflow.Context, stage string) {
	t.p.Stage = stage
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStage.ValueSet(stage)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert RiggerStage failed", "stage", stage, "error", err)
	}
}

func (t *tracker) finish(ctx workflow.Context, status string, err error) {
	t.p.Status = status
	if err != nil {
		t.p.Error = err.Error()
	}
	t.stage(ctx, status)
}
