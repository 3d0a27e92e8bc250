package assistant

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/rigger-platform/rigger/internal/scaffolder"
)

// ActionSchema is an action's input and output JSON Schemas, as the
// scaffolder's action registry describes them (GET /v2/actions).
type ActionSchema struct {
	Input  map[string]any
	Output map[string]any
}

// DryRunner dry-runs drafted templates; see DryRun.
type DryRunner struct {
	// Schemas by action ID; nil means inputs are not checked.
	Schemas map[string]ActionSchema

	once     sync.Once
	compiled map[string]*jsonschema.Schema
}

// NewDryRunner returns a runner checking inputs against schemas.
func NewDryRunner(schemas map[string]ActionSchema) *DryRunner { return &DryRunner{Schemas: schemas} }

func (d *DryRunner) compile() {
	d.once.Do(func() {
		d.compiled = map[string]*jsonschema.Schema{}
		ids := make([]string, 0, len(d.Schemas))
		for id := range d.Schemas {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			in := d.Schemas[id].Input
			if len(in) == 0 {
				continue
			}
			doc, err := jsonValue(in)
			if err != nil {
				continue
			}
			c := jsonschema.NewCompiler()
			c.DefaultDraft(jsonschema.Draft7)
			url := "rigger:///actions/" + strings.ReplaceAll(id, ":", "_") + "/input.json"
			if c.AddResource(url, doc) != nil {
				continue
			}
			if s, err := c.Compile(url); err == nil {
				d.compiled[id] = s
			}
		}
	})
}

var printer = message.NewPrinter(language.English)

// checkInput validates a rendered input against its action's schema.
func (d *DryRunner) checkInput(action string, input map[string]any) error {
	if d == nil || d.Schemas == nil {
		return nil
	}
	d.compile()
	s := d.compiled[action]
	if s == nil {
		return nil
	}
	inst, err := jsonValue(input)
	if err != nil {
		return err
	}
	err = s.Validate(inst)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return err
	}
	return fmt.Errorf("does not match the input schema of %s: %s", action, strings.Join(leafErrors(ve), "; "))
}

func leafErrors(e *jsonschema.ValidationError) []string {
	if len(e.Causes) == 0 {
		return []string{"/" + strings.Join(e.InstanceLocation, "/") + ": " + e.ErrorKind.LocalizedString(printer)}
	}
	var out []string
	for _, c := range e.Causes {
		out = append(out, leafErrors(c)...)
	}
	return out
}

// exampleOutput is the output a dry run reports for an action: the example
// its output schema describes, or nothing known.
func (d *DryRunner) exampleOutput(action string) map[string]any {
	if d == nil || d.Schemas == nil {
		return map[string]any{}
	}
	if out, ok := scaffolder.ExampleOutput(d.Schemas[action].Output).(map[string]any); ok {
		return out
	}
	return map[string]any{}
}

// jsonValue round-trips v through JSON into the validator's form.
func jsonValue(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(raw))
}
