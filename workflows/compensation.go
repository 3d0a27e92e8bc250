package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// undo is one compensation, pushed after its step succeeded.
type undo struct {
	step string
	run  func(ctx workflow.Context) error
}

// compensations is a stack of undo steps run in reverse order.
type compensations struct {
	stack []undo
	// rolledBack: run undid at least one step and every undo succeeded,
	// so the saga left nothing behind (counted as RunCompensated).
	rolledBack bool
}

func (c *compensations) push(step string, run func(ctx workflow.Context) error) {
	c.stack = append(c.stack, undo{step: step, run: run})
}

// run executes every undo in reverse on a disconnected context, so it still
// runs when the workflow was cancelled. An undo that fails is recorded and
// the others still run: one stuck resource must not strand the rest.
func (c *compensations) run(ctx workflow.Context, t *tracker) {
	ctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	ctx = undoOptions(ctx)
	c.rolledBack = len(c.stack) > 0
	for i := len(c.stack) - 1; i >= 0; i-- {
		u := c.stack[i]
		t.set(ctx, u.step, StepCompensating, "", nil)
		if err := u.run(ctx); err != nil {
			workflow.GetLogger(ctx).Error("compensation failed", "step", u.step, "error", err)
			t.set(ctx, u.step, StepCompensationFailed, "", err)
			c.rolledBack = false
			continue
		}
		t.set(ctx, u.step, StepCompensated, "", nil)
	}
	c.stack = nil
}
