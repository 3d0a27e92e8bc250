package scaffold

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Action is one scaffolder action: what GET /v2/actions shows (ID,
// description, input and output JSON Schemas), how it runs, and how a
// completed run of it is undone when a later step fails.
type Action struct {
	ID          string
	Description string
	Input       map[string]any // JSON Schema of the rendered input
	Output      map[string]any // JSON Schema of the output
	// Run does the work. It reads and writes x.WS, sets x.Output and, when
	// it changed something outside the workspace, x.Undo (the data Undo
	// needs). In a dry run only actions without side effects run.
	Run func(ctx context.Context, a *Activities, x *Exec) error
	// DryRun, for actions with side effects, produces the output a dry run
	// shows instead of running; nil means the action runs in a dry run too.
	DryRun func(x *Exec)
	// Undo reverses a completed Run from the data it recorded. It must be
	// idempotent: missing is success.
	Undo func(ctx context.Context, a *Activities, u UndoInput) error
	// Workflow marks actions the workflow itself performs (rigger:approval).
	Workflow bool
}

// Exec is one execution of an action: its rendered input, the workspace,
// the template's files, and what it reports back.
type Exec struct {
	Tenant, TaskID, StepID string
	Input                  map[string]any
	WS                     *Workspace
	// Src is the template's location and TemplatePath the template file
	// inside it; fetch actions resolve relative urls against it.
	Src          fs.FS
	TemplatePath string
	DryRun       bool
	User         string // the initiator's entity ref
	// Secrets are the task's secrets, for actions that take credentials
	// from them (never logged).
	Secrets map[string]string

	Output  map[string]any
	Undo    map[string]any
	Changed bool // the workspace was modified
	Logs    []string
}

// Logf adds a line to the step's log.
func (x *Exec) Logf(format string, args ...any) {
	if len(x.Logs) < maxStepLogs {
		x.Logs = append(x.Logs, fmt.Sprintf(format, args...))
	}
}

const maxStepLogs = 500

// Str returns a string input, "" when absent or not a string.
func (x *Exec) Str(key string) string {
	s, _ := x.Input[key].(string)
	return s
}

// Bool returns a boolean input.
func (x *Exec) Bool(key string) bool {
	b, _ := x.Input[key].(bool)
	return b
}

// Strings returns a list-of-strings input.
func (x *Exec) Strings(key string) []string {
	l, _ := x.Input[key].([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// UndoInput is what an undo activity gets: the step and the data its Run
// recorded.
type UndoInput struct {
	Tenant string `json:"tenant"`
	TaskID string `json:"taskId"`
	StepID string `json:"stepId"`
	Action string `json:"action"`
	// Data is what the step's Run recorded; nil when the step failed (it
	// may still have done part of its work).
	Data map[string]any `json:"data,omitempty"`
	// StepInput is the step's rendered input, so an undo can find what a
	// failed step may have created.
	StepInput map[string]any `json:"input,omitempty"`
}

// Input returns the step's rendered input (never nil).
func (u UndoInput) Input() map[string]any {
	if u.StepInput == nil {
		return map[string]any{}
	}
	return u.StepInput
}

var printer = message.NewPrinter(language.English)

var (
	registryOnce sync.Once
	registry     map[string]*Action
	compiled     map[string]*jsonschema.Schema
)

func actionList() []*Action {
	return []*Action{
		fetchTemplate(), fetchTemplateFile(), fetchPlain(), fetchPlainFile(),
		fsRename(), fsDelete(), fsReaddir(), debugLog(), debugWait(),
		publishGitHub(), publishGitHubPullRequest(), publishGitLab(), publishGitLabMergeRequest(),
		catalogRegister(), catalogWrite(), argocdCreateResources(), riggerApproval(),
	}
}

func actions() map[string]*Action {
	registryOnce.Do(func() {
		registry, compiled = map[string]*Action{}, map[string]*jsonschema.Schema{}
		for _, a := range actionList() {
			registry[a.ID] = a
			c := jsonschema.NewCompiler()
			c.DefaultDraft(jsonschema.Draft7)
			raw, _ := json.Marshal(a.Input)
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err == nil {
				err = c.AddResource("rigger:///actions/"+a.ID+".json", doc)
			}
			s, err2 := c.Compile("rigger:///actions/" + a.ID + ".json")
			if err != nil || err2 != nil {
				panic(fmt.Sprintf("scaffold: schema of %s: %v %v", a.ID, err, err2)) // a programming error, caught by tests
			}
			compiled[a.ID] = s
		}
	})
	return registry
}

// Lookup returns the action with id.
func Lookup(id string) (*Action, bool) {
	a, ok := actions()[id]
	return a, ok
}

// ActionIDs lists every action, sorted.
func ActionIDs() []string {
	var ids []string
	for id := range actions() {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ActionInfo is an action as GET /v2/actions lists it (Backstage's shape).
type ActionInfo struct {
	ID          string       `json:"id"`
	Description string       `json:"description,omitempty"`
	Schema      ActionSchema `json:"schema"`
}

// ActionSchema holds an action's input and output JSON Schemas.
type ActionSchema struct {
	Input  map[string]any `json:"input,omitempty"`
	Output map[string]any `json:"output,omitempty"`
}

// ListActions describes every action, sorted by ID.
func ListActions() []ActionInfo {
	var out []ActionInfo
	for _, id := range ActionIDs() {
		a := actions()[id]
		out = append(out, ActionInfo{ID: a.ID, Description: a.Description, Schema: ActionSchema{Input: a.Input, Output: a.Output}})
	}
	return out
}

// validateInput checks rendered input against the action's schema.
func validateInput(action string, input map[string]any) error {
	actions()
	s := compiled[action]
	if s == nil {
		return nil
	}
	raw, err := json.Marshal(input)
	if err != nil {
		return invalidf("input: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return invalidf("input: %v", err)
	}
	if err := s.Validate(inst); err != nil {
		var parts []string
		if ve, ok := err.(*jsonschema.ValidationError); ok {
			for _, fe := range leaves(ve) {
				parts = append(parts, fe)
			}
		} else {
			parts = append(parts, err.Error())
		}
		return invalidf("input does not match the schema of %s: %s", action, strings.Join(parts, "; "))
	}
	return nil
}

func leaves(e *jsonschema.ValidationError) []string {
	if len(e.Causes) == 0 {
		loc := "/" + strings.Join(e.InstanceLocation, "/")
		return []string{loc + ": " + e.ErrorKind.LocalizedString(printer)}
	}
	var out []string
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// Schema helpers, to keep the action definitions readable.

func obj(required []string, props map[string]any) map[string]any {
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		r := make([]any, len(required))
		for i, p := range required {
			r[i] = p
		}
		s["required"] = r
	}
	return s
}

func str(title string) map[string]any     { return map[string]any{"type": "string", "title": title} }
func boolean(title string) map[string]any { return map[string]any{"type": "boolean", "title": title} }
func num(title string) map[string]any     { return map[string]any{"type": "number", "title": title} }
func strList(title string) map[string]any {
	return map[string]any{"type": "array", "title": title, "items": map[string]any{"type": "string"}}
}
func anyObj(title string) map[string]any { return map[string]any{"type": "object", "title": title} }
func enum(title string, values ...string) map[string]any {
	e := make([]any, len(values))
	for i, v := range values {
		e[i] = v
	}
	return map[string]any{"type": "string", "title": title, "enum": e}
}
