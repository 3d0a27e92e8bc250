package scaffolder

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Parameters are a template's compiled parameter pages. Backstage's task
// router validates the submitted values against every page in turn (each page
// sees all values), with a draft-07 style validator; we do the same with a
// real JSON Schema implementation.
type Parameters struct {
	pages  []*jsonschema.Schema
	titles []string
}

// FieldError is one problem with the submitted values. Field is a JSON
// pointer to the value ("/repoUrl", "/railsArguments/database"); for a
// missing required property it points at the missing property itself.
type FieldError struct {
	Page    int    `json:"page"`
	Title   string `json:"pageTitle,omitempty"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValuesError lists everything wrong with submitted values, for a 400.
type ValuesError struct{ Errors []FieldError }

func (e *ValuesError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		parts[i] = fe.Field + ": " + fe.Message
	}
	return "invalid values: " + strings.Join(parts, "; ")
}

// StripUI returns a copy of a schema without the ui:* keys that Backstage's
// form (react-jsonschema-form) reads; they are not JSON Schema and a strict
// compiler should not see them.
func StripUI(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if strings.HasPrefix(k, "ui:") {
				continue
			}
			out[k] = StripUI(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = StripUI(e)
		}
		return out
	}
	return v
}

// toSchemaJSON round-trips a value through JSON into the form the validator
// wants (numbers as json.Number).
func toSchemaJSON(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(raw))
}

// CompileParameters compiles every parameter page. The error names the page.
func CompileParameters(t *Template) (*Parameters, error) {
	p := &Parameters{}
	for i, page := range t.Spec.Parameters {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft7)
		doc, err := toSchemaJSON(StripUI(page))
		if err != nil {
			return nil, fmt.Errorf("spec.parameters[%d]: %w", i, err)
		}
		url := fmt.Sprintf("rigger:///%s/parameters/%d.json", t.Metadata.Name, i)
		if err := c.AddResource(url, doc); err != nil {
			return nil, fmt.Errorf("spec.parameters[%d]: %w", i, err)
		}
		s, err := c.Compile(url)
		if err != nil {
			return nil, fmt.Errorf("spec.parameters[%d] is not a valid JSON Schema: %w", i, err)
		}
		title, _ := page["title"].(string)
		p.pages = append(p.pages, s)
		p.titles = append(p.titles, title)
	}
	return p, nil
}

var printer = message.NewPrinter(language.English)

// Validate checks values against every page and returns a *ValuesError
// listing each failing field, or nil.
func (p *Parameters) Validate(values map[string]any) error {
	if values == nil {
		values = map[string]any{}
	}
	inst, err := toSchemaJSON(values)
	if err != nil {
		return &ValuesError{Errors: []FieldError{{Field: "/", Message: err.Error()}}}
	}
	var out []FieldError
	seen := map[string]bool{}
	for i, s := range p.pages {
		err := s.Validate(inst)
		if err == nil {
			continue
		}
		ve, ok := err.(*jsonschema.ValidationError)
		if !ok {
			out = append(out, FieldError{Page: i, Title: p.titles[i], Field: "/", Message: err.Error()})
			continue
		}
		for _, fe := range leafErrors(ve) {
			fe.Page, fe.Title = i, p.titles[i]
			key := fmt.Sprint(fe.Page, fe.Field, fe.Message)
			if !seen[key] {
				seen[key] = true
				out = append(out, fe)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Page != out[b].Page {
			return out[a].Page < out[b].Page
		}
		return out[a].Field < out[b].Field
	})
	return &ValuesError{Errors: out}
}

// leafErrors flattens the validator's error tree to the errors that say what
// is wrong, each with the path of the offending value.
func leafErrors(e *jsonschema.ValidationError) []FieldError {
	if len(e.Causes) > 0 {
		var out []FieldError
		for _, c := range e.Causes {
			out = append(out, leafErrors(c)...)
		}
		return out
	}
	path := "/" + strings.Join(escapePointer(e.InstanceLocation), "/")
	if path == "/" {
		path = ""
	}
	if req, ok := e.ErrorKind.(*kind.Required); ok {
		out := make([]FieldError, len(req.Missing))
		for i, m := range req.Missing {
			out[i] = FieldError{Field: path + "/" + escapePointer([]string{m})[0], Message: "is required"}
		}
		return out
	}
	if path == "" {
		path = "/"
	}
	return []FieldError{{Field: path, Message: e.ErrorKind.LocalizedString(printer)}}
}

func escapePointer(parts []string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1")
	}
	return out
}
