package scaffolder

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestValidate(t *testing.T) {
	src := fstest.MapFS{
		"templates/a/template.yaml":  {Data: []byte("")},
		"templates/a/skeleton/f.txt": {Data: []byte("x")},
		"templates/a/file.txt":       {Data: []byte("x")},
		"skeletons/shared/x.txt":     {Data: []byte("x")},
		"skeletons/other/x.txt":      {Data: []byte("x")},
	}
	tpl, err := Parse([]byte(`
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: v}
spec:
  parameters:
    - properties:
        ci: {type: string, enum: ["../../skeletons/shared", "../../skeletons/missing"]}
  steps:
    - {id: ok, action: fetch:template, input: {url: ./skeleton}}
    - {id: sibling, action: fetch:template, input: {url: ../../skeletons/other}}
    - {id: missing, name: Missing dir, action: fetch:template, input: {url: ./nope}}
    - {id: escape, action: fetch:plain, input: {url: ../../../outside}}
    - {id: file-as-dir, action: fetch:template, input: {url: ./file.txt}}
    - {id: dir-as-file, action: fetch:template:file, input: {url: ./skeleton, targetPath: x}}
    - {id: remote, action: fetch:plain, input: {url: "https://github.com/o/r"}}
    - {id: choice, action: fetch:template, input: {url: "${{ parameters.ci }}"}}
    - {id: custom, name: Merge, action: roadiehq:utils:merge}
    - {id: syntax, action: debug:log, input: {message: "${{ parameters.x | nosuch }}", other: "${{ (unclosed }}"}}
    - {id: target, action: fetch:template, input: {url: ./skeleton, targetPath: ../../up}}
  output:
    text: ["${{ steps.ok.output.x | alsomissing }}"]
`), "templates/a/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = NewEngine(EngineOptions{}).Validate(tpl, RiggerActions, src)
	var pe *ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("want ProblemsError, got %v", err)
	}
	text := err.Error()
	for _, want := range []string{
		`step "missing" (Missing dir) action "fetch:template": input.url: ./nope (resolved to templates/a/nope) does not exist`,
		`step "escape" action "fetch:plain": input.url: path "../../../outside": escapes the template's location`,
		`step "file-as-dir" action "fetch:template": input.url: ./file.txt (resolved to templates/a/file.txt) is not a directory`,
		`step "dir-as-file" action "fetch:template:file": input.url: ./skeleton (resolved to templates/a/skeleton) is a directory, expected a file`,
		`step "choice" action "fetch:template": input.url: ../../skeletons/missing (resolved to skeletons/missing) does not exist`,
		`step "custom" (Merge) action "roadiehq:utils:merge": action "roadiehq:utils:merge" is not a built-in or registered action`,
		`step "syntax" action "debug:log": input.message: unknown filter "nosuch"`,
		`step "syntax" action "debug:log": input.other: line 1`,
		`step "target" action "fetch:template": input.targetPath`,
		`output.text[0]: unknown filter "alsomissing"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing problem %q", want)
		}
	}
	for _, ok := range []string{`"ok"`, `"sibling"`, `"remote"`, "skeletons/shared"} {
		if strings.Contains(text, ok) {
			t.Errorf("unexpected problem mentioning %s in %s", ok, text)
		}
	}
	if len(pe.Problems) != 10 {
		t.Errorf("got %d problems: %s", len(pe.Problems), text)
	}
}
