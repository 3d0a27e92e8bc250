package scaffolder

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rigger-platform/rigger/internal/scaffolder/nunjucks"
	"gopkg.in/yaml.v3"
)

// ParseError is returned for documents that are not a runnable v1beta3
// template; Field names the offending key when there is one.
type ParseError struct {
	Field string
	Msg   string
}

func (e *ParseError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("template: %s: %s", e.Field, e.Msg)
	}
	return "template: " + e.Msg
}

// maxTemplateBytes bounds what Parse reads; real templates are a few KB.
const maxTemplateBytes = 4 << 20

// Parse reads a template from YAML (or JSON, which is YAML). path is the
// template's slash-separated location inside its source (used to resolve
// skeleton urls); it may be empty. A multi-document file is accepted if
// exactly one document is a Template.
func Parse(data []byte, path string) (t *Template, err error) {
	defer func() {
		if r := recover(); r != nil { // yaml.v3 is fuzzed upstream; belt and braces
			t, err = nil, &ParseError{Msg: fmt.Sprintf("malformed YAML: %v", r)}
		}
	}()
	if len(data) > maxTemplateBytes {
		return nil, &ParseError{Msg: fmt.Sprintf("file larger than %d bytes", maxTemplateBytes)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var found []map[string]any
	var firstKind string
	for {
		var doc any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &ParseError{Msg: "malformed YAML: " + err.Error()}
		}
		if doc == nil {
			continue
		}
		norm, err := nunjucks.Normalize(doc)
		if err != nil {
			return nil, &ParseError{Msg: err.Error()}
		}
		m, ok := norm.(map[string]any)
		if !ok {
			return nil, &ParseError{Msg: "document is not a mapping"}
		}
		if k, _ := m["kind"].(string); k == "Template" {
			found = append(found, m)
		} else if firstKind == "" {
			firstKind, _ = m["kind"].(string)
			if firstKind == "" {
				firstKind = "(none)"
			}
		}
	}
	switch {
	case len(found) == 0 && firstKind != "":
		return nil, &ParseError{Field: "kind", Msg: fmt.Sprintf("expected kind Template, got %s", firstKind)}
	case len(found) == 0:
		return nil, &ParseError{Msg: "empty document"}
	case len(found) > 1:
		return nil, &ParseError{Msg: fmt.Sprintf("%d Template documents in one file; expected one", len(found))}
	}
	return fromMap(found[0], path)
}

func fromMap(m map[string]any, path string) (*Template, error) {
	t := &Template{Path: path}
	t.APIVersion, _ = m["apiVersion"].(string)
	t.Kind, _ = m["kind"].(string)
	if t.APIVersion != APIVersion {
		msg := fmt.Sprintf("unsupported apiVersion %q: Rigger runs %s templates only", t.APIVersion, APIVersion)
		if strings.HasPrefix(t.APIVersion, "backstage.io/") {
			msg += " (v1beta2 and older templates must be migrated to v1beta3)"
		}
		return nil, &ParseError{Field: "apiVersion", Msg: msg}
	}
	md, ok := m["metadata"].(map[string]any)
	if !ok {
		return nil, &ParseError{Field: "metadata", Msg: "missing or not a mapping"}
	}
	t.Metadata.Name, _ = md["name"].(string)
	if t.Metadata.Name == "" {
		return nil, &ParseError{Field: "metadata.name", Msg: "missing"}
	}
	t.Metadata.Namespace, _ = md["namespace"].(string)
	t.Metadata.Title, _ = md["title"].(string)
	t.Metadata.Description, _ = md["description"].(string)
	t.Metadata.Tags = stringList(md["tags"])
	t.Metadata.Labels = stringMap(md["labels"])
	t.Metadata.Annotations = stringMap(md["annotations"])

	spec, ok := m["spec"].(map[string]any)
	if !ok {
		return nil, &ParseError{Field: "spec", Msg: "missing or not a mapping"}
	}
	t.Spec.Extra = map[string]any{}
	for k, v := range spec {
		switch k {
		case "owner":
			t.Spec.Owner = scalarString(v)
		case "type":
			t.Spec.Type = scalarString(v)
		case "parameters":
			pages, err := parameterPages(v)
			if err != nil {
				return nil, err
			}
			t.Spec.Parameters = pages
		case "steps":
			steps, err := parseSteps(v)
			if err != nil {
				return nil, err
			}
			t.Spec.Steps = steps
		case "output":
			if v == nil {
				continue
			}
			out, ok := v.(map[string]any)
			if !ok {
				return nil, &ParseError{Field: "spec.output", Msg: "must be a mapping"}
			}
			t.Spec.Output = out
		default:
			t.Spec.Extra[k] = v
		}
	}
	return t, nil
}

// parameterPages accepts one schema object or a list of them.
func parameterPages(v any) ([]map[string]any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return []map[string]any{x}, nil
	case []any:
		pages := make([]map[string]any, 0, len(x))
		for i, p := range x {
			m, ok := p.(map[string]any)
			if !ok {
				return nil, &ParseError{Field: fmt.Sprintf("spec.parameters[%d]", i), Msg: "must be a JSON Schema object"}
			}
			pages = append(pages, m)
		}
		return pages, nil
	}
	return nil, &ParseError{Field: "spec.parameters", Msg: "must be an object or a list of objects"}
}

func parseSteps(v any) ([]Step, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, &ParseError{Field: "spec.steps", Msg: "must be a list"}
	}
	steps := make([]Step, 0, len(list))
	seen := map[string]int{}
	for i, raw := range list {
		field := fmt.Sprintf("spec.steps[%d]", i)
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, &ParseError{Field: field, Msg: "must be a mapping"}
		}
		s := Step{Extra: map[string]any{}}
		for k, val := range m {
			switch k {
			case "id":
				s.ID = scalarString(val)
			case "name":
				s.Name = scalarString(val)
			case "action":
				s.Action, _ = val.(string)
			case "input":
				if val == nil {
					continue
				}
				in, ok := val.(map[string]any)
				if !ok {
					return nil, &ParseError{Field: field + ".input", Msg: "must be a mapping"}
				}
				s.Input = in
			case "if":
				s.If = val
			case "each":
				s.Each = val
			case "rigger":
				r, ok := val.(map[string]any)
				if !ok && val != nil {
					return nil, &ParseError{Field: field + ".rigger", Msg: "must be a mapping"}
				}
				s.Rigger = r
			default:
				s.Extra[k] = val
			}
		}
		if s.Action == "" {
			return nil, &ParseError{Field: field + ".action", Msg: "missing"}
		}
		if s.ID == "" {
			s.ID = fmt.Sprintf("step-%d", i+1)
		}
		if s.Name == "" {
			s.Name = s.Action
		}
		if j, dup := seen[s.ID]; dup {
			return nil, &ParseError{Field: field + ".id", Msg: fmt.Sprintf("duplicate step id %q (also spec.steps[%d])", s.ID, j)}
		}
		seen[s.ID] = i
		steps = append(steps, s)
	}
	return steps, nil
}

func scalarString(v any) string {
	switch v.(type) {
	case nil, map[string]any, []any:
		return ""
	}
	return nunjucks.ToString(v)
}

func stringList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		out = append(out, scalarString(e))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, e := range m {
		out[k] = scalarString(e)
	}
	return out
}
