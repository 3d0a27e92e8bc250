package nunjucks

import (
	"context"
	"testing"
	"time"
)

// FuzzTemplate compiles and renders arbitrary templates: nothing may panic
// and every render must end within the limits.
func FuzzTemplate(f *testing.F) {
	for _, c := range renderCases {
		f.Add(c.src)
	}
	for _, s := range []string{
		"{% for x in y %}{% else %}{% endfor %}", "${{", "{%", "{#", "#}", "${{ a[ }}", "${{ {a: {b: 1}} }}",
		"{% set %}", "{% raw %}", "${{ r/[/ }}", "${{ 'a' | replace(r/(a)/g, '$1$1$2$') }}", "${{ x.y.z() }}",
		"{%- if -%}", "${{ 1 if }}", "${{ a is }}", "${{ not }}", "${{ (1, 2) }}", "${{ () }}", "${{ [1,] }}",
		"${{ '\\u0000' }}", "${{ \"\xff\xfe\" | length }}", "{% filter %}x{% endfilter %}",
	} {
		f.Add(s)
	}
	lim := Limits{MaxSteps: 100_000, MaxBytes: 1 << 20, MaxDepth: 64, Timeout: time.Second}
	envs := []*Env{
		NewEnv(Options{Limits: lim}),
		NewEnv(Options{Limits: lim, Tags: JinjaTags, JinjaCompat: true, TrimBlocks: true, LStripBlocks: true}),
	}
	vars := caseVars
	f.Fuzz(func(t *testing.T, src string) {
		for _, env := range envs {
			tpl, err := env.Compile("fuzz", src)
			if err != nil {
				continue
			}
			start := time.Now()
			_, _ = tpl.Render(context.Background(), vars)
			_, _ = tpl.Eval(context.Background(), vars)
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("render took %v", d)
			}
		}
	})
}
