package scaffolder

import (
	"errors"
	"strings"
	"testing"
)

const paramsTemplate = `
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: params}
spec:
  parameters:
    - title: Basics
      required: [name, kind]
      properties:
        name:
          type: string
          pattern: '^[a-z0-9-]+$'
          ui:autofocus: true
          ui:help: lowercase
        kind:
          type: string
          enum: [service, website]
        ci:
          type: string
          default: actions
          enum: [actions, tekton]
        db:
          type: object
          properties:
            engine: {type: string, enum: [postgres, mysql]}
      dependencies:
        ci:
          oneOf:
            - properties: {ci: {const: actions}}
            - required: [namespace]
              properties:
                ci: {const: tekton}
                namespace: {type: string}
    - title: Where
      properties:
        location:
          type: string
          enum: [new, pr]
      dependencies:
        location:
          allOf:
            - if: {properties: {location: {const: pr}}}
              then: {required: [branch]}
`

func compileParams(t *testing.T) *Parameters {
	tpl, err := Parse([]byte(paramsTemplate), "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := CompileParameters(tpl)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParametersValid(t *testing.T) {
	p := compileParams(t)
	for _, v := range []map[string]any{
		{"name": "shop", "kind": "service"},
		{"name": "shop", "kind": "service", "ci": "tekton", "namespace": "ci"},
		{"name": "shop", "kind": "website", "location": "pr", "branch": "b", "db": map[string]any{"engine": "mysql"}},
	} {
		if err := p.Validate(v); err != nil {
			t.Errorf("%v: %v", v, err)
		}
	}
}

func TestParametersInvalidNameTheField(t *testing.T) {
	p := compileParams(t)
	cases := []struct {
		values map[string]any
		field  string
		msg    string
	}{
		{map[string]any{"kind": "service"}, "/name", "is required"},
		{map[string]any{"name": "Bad Name", "kind": "service"}, "/name", "does not match pattern"},
		{map[string]any{"name": "ok", "kind": "lambda"}, "/kind", "must be one of"},
		{map[string]any{"name": "ok", "kind": "service", "ci": "tekton"}, "/namespace", "is required"},
		{map[string]any{"name": "ok", "kind": "service", "location": "pr"}, "/branch", "is required"},
		{map[string]any{"name": "ok", "kind": "service", "db": map[string]any{"engine": "oracle"}}, "/db/engine", "must be one of"},
		{map[string]any{"name": 5, "kind": "service"}, "/name", "want string"},
	}
	for _, c := range cases {
		err := p.Validate(c.values)
		var ve *ValuesError
		if !errors.As(err, &ve) {
			t.Errorf("%v: want ValuesError, got %v", c.values, err)
			continue
		}
		found := false
		for _, fe := range ve.Errors {
			if fe.Field == c.field && strings.Contains(fe.Message, c.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("%v: want %s %q in %v", c.values, c.field, c.msg, ve.Errors)
		}
	}
}

func TestStripUIAndBadSchema(t *testing.T) {
	s := StripUI(map[string]any{"ui:field": "x", "properties": map[string]any{"a": map[string]any{"ui:widget": "y", "type": "string"}}})
	if _, ok := s.(map[string]any)["ui:field"]; ok {
		t.Fatal("ui: key kept")
	}
	tpl, _ := Parse([]byte("apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: x}\nspec:\n  parameters:\n    - properties: {a: {type: nonsense}}\n"), "")
	if _, err := CompileParameters(tpl); err == nil || !strings.Contains(err.Error(), "spec.parameters[0]") {
		t.Fatalf("bad schema: %v", err)
	}
}
