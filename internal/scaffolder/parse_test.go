package scaffolder

import (
	"errors"
	"strings"
	"testing"
)

const minimalTemplate = `
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: demo
  tags: [a, b]
spec:
  owner: team
  type: service
  parameters:
    title: One page as an object
    properties:
      name: {type: string}
  steps:
    - action: debug:log
      input: {message: hi}
    - id: fetch
      name: Fetch
      action: fetch:template
      if: ${{ parameters.name }}
      each: ${{ parameters.list }}
      rigger: {timeout: 5m, retry: {maximumAttempts: 3}}
      backstage:permissions: {tags: [x]}
  output:
    links: [{title: Repo, url: "${{ steps.fetch.output.url }}"}]
    custom: value
`

func TestParse(t *testing.T) {
	tpl, err := Parse([]byte(minimalTemplate), "templates/demo/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Metadata.Name != "demo" || len(tpl.Metadata.Tags) != 2 || tpl.Spec.Owner != "team" {
		t.Fatalf("metadata/spec: %+v", tpl)
	}
	if len(tpl.Spec.Parameters) != 1 || tpl.Spec.Parameters[0]["title"] != "One page as an object" {
		t.Fatalf("parameters: %+v", tpl.Spec.Parameters)
	}
	s0, s1 := tpl.Spec.Steps[0], tpl.Spec.Steps[1]
	if s0.ID != "step-1" || s0.Name != "debug:log" {
		t.Fatalf("defaults: %+v", s0)
	}
	if s1.If != "${{ parameters.name }}" || s1.Each != "${{ parameters.list }}" || s1.Rigger["timeout"] != "5m" || s1.Extra["backstage:permissions"] == nil {
		t.Fatalf("step: %+v", s1)
	}
	if tpl.Spec.Output["custom"] != "value" {
		t.Fatalf("output: %+v", tpl.Spec.Output)
	}
}

func TestParseRejects(t *testing.T) {
	cases := map[string]string{
		"apiVersion: backstage.io/v1beta2\nkind: Template\nmetadata: {name: x}\nspec: {}":                                                           `unsupported apiVersion "backstage.io/v1beta2"`,
		"apiVersion: scaffolder.backstage.io/v1beta3\nkind: Component\nmetadata: {name: x}\nspec: {}":                                               "expected kind Template, got Component",
		"kind: Template\nmetadata: {name: x}":                                                                                                       `unsupported apiVersion ""`,
		"apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nspec: {}":                                                                     "metadata: missing",
		"apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: x}\nspec: {steps: [{}]}":                                     "spec.steps[0].action: missing",
		"apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: x}\nspec: {steps: [{id: a, action: x}, {id: a, action: y}]}": `duplicate step id "a"`,
		"apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: x}\nspec: {parameters: 3}":                                   "spec.parameters",
		"a: [unclosed": "malformed YAML",
		"":             "empty document",
		"- a\n- b":     "not a mapping",
	}
	for src, want := range cases {
		_, err := Parse([]byte(src), "")
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want %q, got %v", src, want, err)
		}
	}
}

func TestParseBillionLaughs(t *testing.T) {
	src := "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	if _, err := Parse([]byte(src), ""); err == nil {
		t.Fatal("alias bomb accepted")
	}
}
