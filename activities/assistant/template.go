package assistant

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing/fstest"

	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/assistant"
	"github.com/rigger-platform/rigger/internal/scaffolder"
	"github.com/rigger-platform/rigger/internal/tenant"
)

// TemplatesPrefix is where a tenant's own templates live in its storage
// scope: templates/<name>/template.yaml (so
// tenants/<slug>/templates/<name>/template.yaml in the bucket), the
// location an approved draft is committed to.
const TemplatesPrefix = "templates/"

// TemplateKey is the key of a template, relative to the tenant's scope.
func TemplateKey(name string) string { return TemplatesPrefix + name + "/template.yaml" }

// maxProblems bounds the problems fed back to the model in one round.
const maxProblems = 20

// ValidateInput is one model reply of the draft loop.
type ValidateInput struct {
	Tenant string
	Reply  string
	Round  int
}

// ValidateResult is the template found in the reply and what is wrong
// with it. ProposalID identifies exactly this YAML.
type ValidateResult struct {
	Name       string
	YAML       string
	Valid      bool
	Problems   []string
	ProposalID string
	Location   string
}

// AssistantValidateTemplate checks a drafted template the way the
// scaffolder would before running it: it parses as a v1beta3 Template,
// validates (actions, expressions, parameter schemas, fetch paths against a
// location holding only template.yaml), renders in a dry run with sample
// parameter values, has a usable name, and does not clash with another
// template of the tenant. Problems are returned, not raised: they are the
// feedback for the next round.
func (a *Activities) AssistantValidateTemplate(ctx context.Context, in ValidateInput) (ValidateResult, error) {
	if err := tenant.ValidateSlug(in.Tenant); err != nil {
		return ValidateResult{}, invalid("tenant: %v", err)
	}
	yaml := assistant.ExtractYAML(in.Reply)
	sum := sha256.Sum256([]byte(yaml))
	res := ValidateResult{YAML: yaml, ProposalID: fmt.Sprintf("%d-%s", in.Round, hex.EncodeToString(sum[:6]))}
	t, probs := CheckTemplate(ctx, a.engine(), a.actions(), a.DryRunner, yaml)
	if t != nil {
		res.Name = t.Metadata.Name
	}
	if t != nil && assistant.TemplateNameRE.MatchString(t.Metadata.Name) {
		res.Location = TemplateKey(t.Metadata.Name)
		if a.Objects != nil {
			existing, err := readSmall(ctx, storage.Scoped(a.Objects, in.Tenant), res.Location)
			switch {
			case errors.Is(err, storage.ErrNotFound):
			case err != nil:
				return ValidateResult{}, err
			case !bytes.Equal(existing, []byte(yaml)):
				probs = append(probs, fmt.Sprintf("metadata.name: the tenant already has a template named %q; choose another name", t.Metadata.Name))
			}
		}
	}
	if len(probs) > maxProblems {
		probs = append(probs[:maxProblems], fmt.Sprintf("(%d more problems)", len(probs)-maxProblems))
	}
	res.Problems, res.Valid = probs, len(probs) == 0
	return res, nil
}

// CheckTemplate parses, validates and dry-runs a template that is to be
// stored alone (no skeleton files beside it). It returns the parsed
// template (nil when it does not parse) and every problem found.
func CheckTemplate(ctx context.Context, e *scaffolder.Engine, actions []string, dry *DryRunner, yaml string) (*scaffolder.Template, []string) {
	if strings.TrimSpace(yaml) == "" {
		return nil, []string{"the reply holds no template"}
	}
	t, err := scaffolder.Parse([]byte(yaml), "template.yaml")
	if err != nil {
		return nil, []string{err.Error()}
	}
	var probs []string
	if !assistant.TemplateNameRE.MatchString(t.Metadata.Name) {
		probs = append(probs, fmt.Sprintf("metadata.name %q: use lowercase letters, digits and dashes, at most 63 characters", t.Metadata.Name))
	}
	if len(t.Spec.Steps) == 0 {
		probs = append(probs, "spec.steps: a template needs at least one step")
	}
	src := fstest.MapFS{"template.yaml": &fstest.MapFile{Data: []byte(yaml), Mode: 0o644}}
	var pe *scaffolder.ProblemsError
	if err := e.Validate(t, actions, src); errors.As(err, &pe) {
		for _, p := range pe.Problems {
			probs = append(probs, p.String())
		}
	} else if err != nil {
		probs = append(probs, err.Error())
	}
	if len(probs) == 0 {
		probs = append(probs, dry.Run(ctx, t)...)
	}
	return t, probs
}

// DryRun renders every step's if/each/input and the output with sample
// parameter values, failing on any expression that does not render (the
// engine in strict mode), as the scaffolder's dry run would before any
// action runs. With the action registry's schemas (NewDryRunner), each
// rendered input is validated against its action's input schema, and each
// step's output is the example its output schema describes (what the
// scaffolder's dry run reports for actions it does not run); without them
// inputs are unchecked and outputs read as undefined.
func DryRun(ctx context.Context, t *scaffolder.Template) []string {
	return (&DryRunner{}).Run(ctx, t)
}

// Run is DryRun with the runner's action schemas.
func (d *DryRunner) Run(ctx context.Context, t *scaffolder.Template) []string {
	if d == nil {
		d = &DryRunner{}
	}
	e := scaffolder.NewEngine(scaffolder.EngineOptions{Strict: true})
	c := &scaffolder.Context{
		Parameters: SampleValues(t), Steps: map[string]map[string]any{},
		User: &scaffolder.User{Ref: "user:default/dry-run"}, TaskID: "dry-run",
	}
	var probs []string
	for _, s := range t.Spec.Steps {
		at := func(field string, err error) {
			probs = append(probs, fmt.Sprintf("dry run: step %q %s: %v", s.ID, field, err))
		}
		c.Each = nil
		if s.If != nil {
			if _, err := e.ShouldRun(ctx, s.If, c); err != nil {
				at("if", err)
				continue
			}
		}
		items := []*scaffolder.EachItem{nil}
		if s.Each != nil {
			its, err := e.Iterations(ctx, s.Each, c)
			if err != nil {
				at("each", err)
				continue
			}
			items = items[:0]
			for i := range its {
				items = append(items, &its[i])
			}
		}
		for _, it := range items {
			c.Each = it
			in, err := e.RenderInput(ctx, s.Input, c)
			if err != nil {
				at("input", err)
				break
			}
			if err := d.checkInput(s.Action, in); err != nil {
				at("input", err)
				break
			}
		}
		c.Steps[s.ID] = d.exampleOutput(s.Action)
	}
	c.Each = nil
	if t.Spec.Output != nil {
		if _, err := e.RenderOutput(ctx, t.Spec.Output, c); err != nil {
			probs = append(probs, fmt.Sprintf("dry run: output: %v", err))
		}
	}
	return probs
}

// SampleValues makes parameter values a user could have submitted: each
// property's default, const, first enum value or example, else a value of
// its type.
func SampleValues(t *scaffolder.Template) map[string]any {
	out := map[string]any{}
	for _, page := range t.Spec.Parameters {
		if m, ok := sample(page, "", 0).(map[string]any); ok {
			for k, v := range m {
				out[k] = v
			}
		}
	}
	return out
}

func sample(schema map[string]any, name string, depth int) any {
	if depth > 16 {
		return nil
	}
	for _, k := range []string{"default", "const"} {
		if v, ok := schema[k]; ok {
			return v
		}
	}
	if l, ok := schema["enum"].([]any); ok && len(l) > 0 {
		return l[0]
	}
	if l, ok := schema["examples"].([]any); ok && len(l) > 0 {
		return l[0]
	}
	typ, _ := schema["type"].(string)
	props, _ := schema["properties"].(map[string]any)
	if typ == "" && props != nil {
		typ = "object"
	}
	switch typ {
	case "object":
		m := map[string]any{}
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, ok := props[k].(map[string]any); ok {
				if v := sample(p, k, depth+1); v != nil {
					m[k] = v
				}
			}
		}
		// Conditional pages (dependencies, allOf) add fields the sample
		// may lack; expressions reading them render as undefined, which a
		// dry run accepts.
		return m
	case "array":
		if items, ok := schema["items"].(map[string]any); ok {
			if v := sample(items, name, depth+1); v != nil {
				return []any{v}
			}
		}
		return []any{}
	case "integer", "number":
		if v, ok := schema["minimum"]; ok {
			return v
		}
		return 1
	case "boolean":
		return false
	default:
		return sampleString(schema, name)
	}
}

func sampleString(schema map[string]any, name string) string {
	field, _ := schema["ui:field"].(string)
	switch {
	case field == "RepoUrlPicker" || strings.Contains(strings.ToLower(name), "repourl"):
		return "github.com?owner=example-org&repo=example-repo"
	case field == "OwnerPicker" || field == "EntityPicker" || strings.EqualFold(name, "owner"):
		return "group:default/example-team"
	}
	return "example"
}

// CommitInput is an approved proposal.
type CommitInput struct {
	Tenant string
	Name   string
	YAML   string
	// TaskID is the assistant workflow that drafted it, for the log.
	TaskID string
}

// CommitResult says where the template went; Created is false when the
// same content was already there (a retry).
type CommitResult struct {
	Location string
	Created  bool
}

// AssistantCommitTemplate writes an approved template to the tenant's
// template location. It re-checks the template first (it is about to become
// something the scaffolder runs), and never overwrites a different template
// of the same name that appeared since validation.
func (a *Activities) AssistantCommitTemplate(ctx context.Context, in CommitInput) (CommitResult, error) {
	if err := tenant.ValidateSlug(in.Tenant); err != nil {
		return CommitResult{}, invalid("tenant: %v", err)
	}
	if !assistant.TemplateNameRE.MatchString(in.Name) {
		return CommitResult{}, invalid("template name %q", in.Name)
	}
	if a.Objects == nil {
		return CommitResult{}, notConfigured("no object storage to commit templates to")
	}
	t, probs := CheckTemplate(ctx, a.engine(), a.actions(), a.DryRunner, in.YAML)
	if len(probs) > 0 || t.Metadata.Name != in.Name {
		return CommitResult{}, invalid("approved template no longer validates: %s", strings.Join(probs, "; "))
	}
	scoped := storage.Scoped(a.Objects, in.Tenant)
	key := TemplateKey(in.Name)
	existing, err := readSmall(ctx, scoped, key)
	switch {
	case err == nil && bytes.Equal(existing, []byte(in.YAML)):
		return CommitResult{Location: key}, nil
	case err == nil:
		return CommitResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("tenant %s already has a different template at %s; not overwriting it", in.Tenant, key), ErrTypeTemplateExists, nil)
	case !errors.Is(err, storage.ErrNotFound):
		return CommitResult{}, err
	}
	if err := scoped.Put(ctx, key, strings.NewReader(in.YAML), int64(len(in.YAML)), "application/yaml"); err != nil {
		if errors.Is(err, storage.ErrInvalidKey) {
			return CommitResult{}, invalid("%v", err)
		}
		return CommitResult{}, err
	}
	return CommitResult{Location: key, Created: true}, nil
}

// readSmall reads an object of at most 4 MiB (a template's limit).
func readSmall(ctx context.Context, s storage.Store, key string) ([]byte, error) {
	r, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, 4<<20+1))
	if err != nil {
		return nil, err
	}
	if len(data) > 4<<20 {
		return nil, fmt.Errorf("%s: larger than 4 MiB", key)
	}
	return data, nil
}
