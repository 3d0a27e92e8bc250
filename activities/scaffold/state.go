package scaffold

import (
	"sort"

	"github.com/rigger-platform/rigger/internal/scaffolder"
)

// RunState is what ${{ }} expressions see as a run goes on: the values, the
// outputs of the steps so far, the secrets and the initiator. The workflow
// and the dry run share it, so both render exactly alike.
type RunState struct {
	Parameters map[string]any
	Steps      map[string]map[string]any
	Secrets    map[string]string
	User       *scaffolder.User
	TaskID     string
}

// NewRunState starts a run's state.
func NewRunState(taskID string, values map[string]any, secrets map[string]string, user string) *RunState {
	s := &RunState{Parameters: values, Steps: map[string]map[string]any{}, Secrets: secrets, TaskID: taskID}
	if user != "" {
		s.User = &scaffolder.User{Ref: user}
	}
	return s
}

// Context is the template context: secrets are visible to step inputs only,
// as in Backstage (never to if, each or the output).
func (s *RunState) Context(each *scaffolder.EachItem, withSecrets bool) *scaffolder.Context {
	c := &scaffolder.Context{Parameters: s.Parameters, Steps: s.Steps, User: s.User, Each: each, TaskID: s.TaskID}
	if withSecrets {
		c.Secrets = s.Secrets
	}
	return c
}

// StepOutputs collects one step's outputs: a step with `each` gets every
// output key as a list of the iterations' values, as Backstage does.
type StepOutputs struct {
	each bool
	out  map[string]any
}

// NewStepOutputs starts collecting for a step.
func NewStepOutputs(each bool) *StepOutputs {
	return &StepOutputs{each: each, out: map[string]any{}}
}

// Add records one execution's output, keys in sorted order.
func (o *StepOutputs) Add(out map[string]any) {
	for _, k := range sortedKeys(out) {
		if o.each {
			list, _ := o.out[k].([]any)
			o.out[k] = append(list, out[k])
		} else {
			o.out[k] = out[k]
		}
	}
}

// Map is the step's output.
func (o *StepOutputs) Map() map[string]any { return o.out }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TaskStep is a step as Backstage's task spec lists it.
type TaskStep struct {
	ID     string         `json:"id"`
	Name   string         `json:"name"`
	Action string         `json:"action"`
	Input  map[string]any `json:"input,omitempty"`
	If     any            `json:"if,omitempty"`
	Each   any            `json:"each,omitempty"`
}

// TaskSteps lists a template's steps in Backstage's spec shape.
func TaskSteps(steps []scaffolder.Step) []TaskStep {
	out := make([]TaskStep, 0, len(steps))
	for _, s := range steps {
		out = append(out, TaskStep{ID: s.ID, Name: s.Name, Action: s.Action, Input: s.Input, If: s.If, Each: s.Each})
	}
	return out
}

// Event messages, worded as Backstage's runner words them.
func MsgBeginning(name string) string { return "Beginning step " + name }
func MsgFinished(name string) string  { return "Finished step " + name }
func MsgSkipped(id string) string {
	return "Skipping step " + id + " because its if condition was false"
}
