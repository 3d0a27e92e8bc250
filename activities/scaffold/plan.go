package scaffold

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/internal/scaffolder"
)

// PrepareInput names the template of a run and the submitted values.
type PrepareInput struct {
	Tenant string `json:"tenant"`
	TaskID string `json:"taskId"`
	Source Source `json:"source"`
	// TemplatePath is the template file inside Source.
	TemplatePath string         `json:"templatePath"`
	Values       map[string]any `json:"values"`
}

// Plan is what the workflow runs: the template's steps and output as
// written (rendered by the workflow, step by step), and the settings that
// shape the run.
type Plan struct {
	Name        string            `json:"name"`
	Title       string            `json:"title,omitempty"`
	Steps       []scaffolder.Step `json:"steps"`
	Output      map[string]any    `json:"output,omitempty"`
	Source      Source            `json:"source"`
	Path        string            `json:"path"`
	Rollback    bool              `json:"rollback"`
	Concurrency int               `json:"concurrency"`
	// Integrations maps git hosts to their type, for parseRepoUrl.
	Integrations map[string]string `json:"integrations"`
	// Options are each step's retry policy, timeout and undo setting.
	Options map[string]StepOptions `json:"options"`
	// Undoable lists the actions that have an undo.
	Undoable map[string]bool `json:"undoable"`
}

// StepOptions are a step's Temporal settings: defaults, overridden by the
// step's `rigger` key, e.g.
//
//	rigger: {retry: {maximumAttempts: 5, initialInterval: 2s}, timeout: 2m, undo: false}
type StepOptions struct {
	Timeout            time.Duration `json:"timeout"`
	MaximumAttempts    int32         `json:"maximumAttempts"`
	InitialInterval    time.Duration `json:"initialInterval"`
	MaximumInterval    time.Duration `json:"maximumInterval"`
	BackoffCoefficient float64       `json:"backoffCoefficient"`
	// Undo is false when the step opted out of being undone.
	Undo bool `json:"undo"`
}

// Defaults for every step.
var DefaultStepOptions = StepOptions{
	Timeout: 10 * time.Minute, MaximumAttempts: 5, InitialInterval: time.Second,
	MaximumInterval: time.Minute, BackoffCoefficient: 2, Undo: true,
}

// RetryPolicy is the step's Temporal retry policy. Errors no retry can fix
// are non-retryable application errors, whatever the policy.
func (o StepOptions) RetryPolicy() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval: o.InitialInterval, BackoffCoefficient: o.BackoffCoefficient,
		MaximumInterval: o.MaximumInterval, MaximumAttempts: o.MaximumAttempts,
	}
}

// ScaffolderPrepare loads the template of a run and checks, before any side
// effect, that it can run: known actions, fetch paths that exist, valid
// expressions and rigger settings, values that match the parameters. A
// template that cannot run fails with a non-retryable ScaffoldValidation
// error naming each problem's step and action.
func (a *Activities) ScaffolderPrepare(ctx context.Context, in PrepareInput) (Plan, error) {
	fsys, err := a.templates().Open(ctx, in.Tenant, in.Source)
	if err != nil {
		return Plan{}, retryable(err)
	}
	return a.prepare(fsys, in)
}

func (a *Activities) prepare(fsys fs.FS, in PrepareInput) (Plan, error) {
	data, err := fs.ReadFile(fsys, in.TemplatePath)
	if err != nil {
		return Plan{}, validation(fmt.Sprintf("template file %s: %v", in.TemplatePath, err))
	}
	t, err := scaffolder.Parse(data, in.TemplatePath)
	if err != nil {
		return Plan{}, validation(err.Error())
	}
	return a.plan(t, fsys, in.Source, in.Values)
}

func (a *Activities) plan(t *scaffolder.Template, fsys fs.FS, src Source, values map[string]any) (Plan, error) {
	var problems []string
	if err := a.Engine().Validate(t, ActionIDs(), fsys); err != nil {
		var pe *scaffolder.ProblemsError
		if !errors.As(err, &pe) {
			return Plan{}, validation(err.Error())
		}
		for _, p := range pe.Problems {
			problems = append(problems, p.String())
		}
	}
	p := Plan{
		Name: t.Metadata.Name, Title: t.Metadata.Title, Steps: t.Spec.Steps, Output: t.Spec.Output,
		Source: src, Path: t.Path, Rollback: true, Concurrency: a.concurrency(),
		Integrations: IntegrationTypes(a.Integrations), Options: map[string]StepOptions{}, Undoable: map[string]bool{},
	}
	if r, ok := t.Spec.Extra["rigger"]; ok {
		m, _ := r.(map[string]any)
		for k, v := range m {
			switch k {
			case "rollback":
				b, ok := v.(bool)
				if !ok {
					problems = append(problems, "spec.rigger.rollback must be true or false")
				}
				p.Rollback = b
			default:
				problems = append(problems, fmt.Sprintf("spec.rigger.%s is not a Rigger setting (known: rollback)", k))
			}
		}
		if m == nil && r != nil {
			problems = append(problems, "spec.rigger must be a mapping")
		}
	}
	for _, s := range t.Spec.Steps {
		o, errs := parseStepOptions(s)
		for _, e := range errs {
			problems = append(problems, scaffolder.Problem{Step: s.ID, Name: s.Name, Action: s.Action, Field: "rigger", Msg: e}.String())
		}
		p.Options[s.ID] = o
		if act, ok := Lookup(s.Action); ok && act.Undo != nil {
			p.Undoable[s.Action] = true
		}
	}
	if params, err := scaffolder.CompileParameters(t); err == nil {
		if err := params.Validate(values); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return Plan{}, validation("template cannot run: " + strings.Join(problems, "; "))
	}
	return p, nil
}

func validation(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeValidation, errors.New(msg))
}

// parseStepOptions reads a step's `rigger` key over the defaults.
func parseStepOptions(s scaffolder.Step) (StepOptions, []string) {
	o := DefaultStepOptions
	if s.Action == "debug:wait" {
		if d, err := waitDuration(s.Input); err == nil {
			o.Timeout = d + time.Minute
		}
	}
	var errs []string
	dur := func(field string, v any, max time.Duration) time.Duration {
		str, ok := v.(string)
		d, err := time.ParseDuration(str)
		if !ok || err != nil || d <= 0 || d > max {
			errs = append(errs, fmt.Sprintf("%s must be a duration like 30s or 2m, at most %s", field, max))
		}
		return d
	}
	keys := make([]string, 0, len(s.Rigger))
	for k := range s.Rigger {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := s.Rigger[k]
		switch k {
		case "timeout":
			o.Timeout = dur("timeout", v, 24*time.Hour)
		case "undo":
			b, ok := v.(bool)
			if !ok {
				errs = append(errs, "undo must be true or false")
			}
			o.Undo = b
		case "retry":
			m, ok := v.(map[string]any)
			if !ok {
				errs = append(errs, "retry must be a mapping")
				continue
			}
			rkeys := make([]string, 0, len(m))
			for rk := range m {
				rkeys = append(rkeys, rk)
			}
			sort.Strings(rkeys)
			for _, rk := range rkeys {
				rv := m[rk]
				switch rk {
				case "maximumAttempts":
					n, ok := rv.(float64)
					if !ok || n < 1 || n > 100 || n != float64(int32(n)) {
						errs = append(errs, "retry.maximumAttempts must be a whole number from 1 to 100")
					}
					o.MaximumAttempts = int32(n)
				case "initialInterval":
					o.InitialInterval = dur("retry.initialInterval", rv, time.Hour)
				case "maximumInterval":
					o.MaximumInterval = dur("retry.maximumInterval", rv, 24*time.Hour)
				case "backoffCoefficient":
					n, ok := rv.(float64)
					if !ok || n < 1 || n > 10 {
						errs = append(errs, "retry.backoffCoefficient must be a number from 1 to 10")
					}
					o.BackoffCoefficient = n
				default:
					errs = append(errs, fmt.Sprintf("retry.%s is not a retry setting (known: maximumAttempts, initialInterval, maximumInterval, backoffCoefficient)", rk))
				}
			}
		default:
			errs = append(errs, fmt.Sprintf("%s is not a Rigger step setting (known: retry, timeout, undo)", k))
		}
	}
	if o.MaximumInterval < o.InitialInterval {
		o.MaximumInterval = o.InitialInterval
	}
	return o, errs
}
