package scaffolder

import (
	"github.com/rigger-platform/rigger/internal/scaffolder/nunjucks"
)

// Context is what ${{ }} expressions in a template.yaml can see, the same
// names Backstage's NunjucksWorkflowRunner provides.
type Context struct {
	// Parameters are the submitted (and validated) values.
	Parameters map[string]any
	// Steps maps a step id to its output, read as steps.id.output.x or
	// steps['id'].output.x.
	Steps map[string]map[string]any
	// Secrets are the task secrets (e.g. USER_OAUTH_TOKEN). Backstage only
	// exposes them when rendering step inputs, never if/each or output; the
	// caller decides by what it passes here.
	Secrets map[string]string
	// User is the initiator (user.entity, user.ref).
	User *User
	// Each is the current iteration of a step with `each`.
	Each *EachItem
	// Environment is Backstage's environment.parameters / environment.secrets.
	Environment map[string]any
	// TaskID is context.task.id.
	TaskID string
}

// User is the task initiator as templates see it.
type User struct {
	Entity map[string]any `json:"entity,omitempty"`
	Ref    string         `json:"ref,omitempty"`
}

// EachItem is one iteration of `each`: each.key and each.value.
type EachItem struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// vars builds the nunjucks variables, normalized once per render call.
func (c *Context) vars() (map[string]any, error) {
	if c == nil {
		c = &Context{}
	}
	steps := make(map[string]any, len(c.Steps))
	for id, out := range c.Steps {
		steps[id] = map[string]any{"output": map[string]any(out)}
	}
	secrets := make(map[string]any, len(c.Secrets))
	for k, v := range c.Secrets {
		secrets[k] = v
	}
	params := c.Parameters
	if params == nil {
		params = map[string]any{}
	}
	env := c.Environment
	if env == nil {
		env = map[string]any{"parameters": map[string]any{}, "secrets": map[string]any{}}
	}
	raw := map[string]any{
		"parameters":  params,
		"steps":       steps,
		"secrets":     secrets,
		"environment": env,
		"context":     map[string]any{"task": map[string]any{"id": c.TaskID}},
	}
	if c.User != nil {
		u := map[string]any{}
		if c.User.Entity != nil {
			u["entity"] = c.User.Entity
		}
		if c.User.Ref != "" {
			u["ref"] = c.User.Ref
		}
		raw["user"] = u
	}
	if c.Each != nil {
		raw["each"] = map[string]any{"key": c.Each.Key, "value": c.Each.Value}
	}
	n, err := nunjucks.Normalize(raw)
	if err != nil {
		return nil, err
	}
	return n.(map[string]any), nil
}
