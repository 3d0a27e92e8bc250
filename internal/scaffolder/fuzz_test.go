package scaffolder

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/internal/scaffolder/nunjucks"
)

// FuzzParse feeds arbitrary bytes to the template parser, and whatever
// parses through parameter compilation, validation and input rendering: no
// panic, bounded time.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimalTemplate))
	f.Add([]byte(paramsTemplate))
	f.Add([]byte("apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: x}\nspec: {steps: [{action: a, input: {x: '${{ parameters.y | dump }}'}}]}"))
	if dir := os.Getenv("RIGGER_CORPUS_DIR"); dir != "" {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Name() == "template.yaml" {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
			return nil
		})
	}
	e := NewEngine(EngineOptions{Limits: nunjucks.Limits{MaxSteps: 100_000, MaxBytes: 1 << 20, Timeout: time.Second}})
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := Parse(data, "t/template.yaml")
		if err != nil {
			return
		}
		start := time.Now()
		if p, err := CompileParameters(tpl); err == nil {
			_ = p.Validate(map[string]any{"name": "x"})
		}
		_ = e.Validate(tpl, RiggerActions, nil)
		c := &Context{Parameters: map[string]any{"name": "x", "list": []any{1, 2}}}
		for _, s := range tpl.Spec.Steps {
			_, _ = e.ShouldRun(context.Background(), s.If, c)
			_, _ = e.RenderInput(context.Background(), s.Input, c)
			if s.Each != nil {
				_, _ = e.Iterations(context.Background(), s.Each, c)
			}
		}
		_, _ = e.RenderOutput(context.Background(), tpl.Spec.Output, c)
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("took %v", d)
		}
	})
}

// FuzzRenderValue renders arbitrary expression strings as step inputs.
func FuzzRenderValue(f *testing.F) {
	for _, s := range []string{"${{ parameters.x }}", "${{ parameters.x | parseRepoUrl }}", "${{ x | parseEntityRef({defaultKind: 'g'}) }}", "${{ a | pick('b[0].c') }}", "a ${{ b }} c", "${{ '' | projectSlug }}"} {
		f.Add(s)
	}
	e := NewEngine(EngineOptions{Limits: nunjucks.Limits{MaxSteps: 100_000, MaxBytes: 1 << 20, Timeout: time.Second}})
	c := testContext()
	f.Fuzz(func(t *testing.T, s string) {
		_, _, _ = e.RenderValue(context.Background(), map[string]any{"v": s, "l": []any{s}}, c)
	})
}
