package workflows

import (
	"context"

	"github.com/rigger-platform/rigger/activities/scaffold"
	"github.com/rigger-platform/rigger/internal/scaffolder"
)

// templating is the template engine as the scaffolder workflow uses it.
// The engine is pure: the same template, values and step outputs render the
// same result on every replay (the corpus golden tests pin that). It ranges
// over maps only to build other maps or to sort keys, which workflowcheck
// cannot tell from order-dependent iteration, hence the ignore markers on
// exactly these calls and nowhere else.
type templating struct{ eng *scaffolder.Engine }

func newTemplating(integrations map[string]string) templating {
	return templating{scaffolder.NewEngine(scaffolder.EngineOptions{Integrations: func(h string) string { return integrations[h] }})}
}

// bg: rendering never blocks; cancellation reaches the activities through
// the workflow context instead.
var bg = context.Background()

//workflowcheck:ignore
func (t templating) shouldRun(cond any, c *scaffolder.Context) (bool, error) {
	return t.eng.ShouldRun(bg, cond, c)
}

//workflowcheck:ignore
func (t templating) iterations(each any, c *scaffolder.Context) ([]scaffolder.EachItem, error) {
	return t.eng.Iterations(bg, each, c)
}

//workflowcheck:ignore
func (t templating) input(in map[string]any, c *scaffolder.Context) (map[string]any, error) {
	return t.eng.RenderInput(bg, in, c)
}

//workflowcheck:ignore
func (t templating) output(out map[string]any, c *scaffolder.Context) (map[string]any, error) {
	return t.eng.RenderOutput(bg, out, c)
}

//workflowcheck:ignore
func addOutputs(o *scaffold.StepOutputs, out map[string]any) { o.Add(out) }
