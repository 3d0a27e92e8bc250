package nunjucks

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Templates that would run forever or explode must stop with ErrLimit.
func TestLimits(t *testing.T) {
	env := NewEnv(Options{Limits: Limits{MaxSteps: 200_000, MaxBytes: 1 << 20, MaxDepth: 64, Timeout: 2 * time.Second}})
	cases := map[string]string{
		"nested loops":      "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}x{% endfor %}{% endfor %}{% endfor %}",
		"string doubling":   "{% set s = 'xxxxxxxx' %}{% for i in range(64) %}{% set s = s ~ s %}{% endfor %}${{ s | length }}",
		"output flood":      "{% for i in range(100000) %}0123456789abcdef{% endfor %}",
		"repeat":            "${{ 'x'.repeat(100000000) }}",
		"padStart":          "${{ 'x'.padStart(2000000000) }}",
		"huge range":        "${{ range(100000000) | length }}",
		"concat growth":     "{% set a = [1,2,3,4,5,6,7,8] %}{% for i in range(40) %}{% set a = a.concat(a) %}{% endfor %}${{ a | length }}",
		"replace explosion": "{% set s = 'aa' %}{% for i in range(40) %}{% set s = s | replace('a', 'aa') %}{% endfor %}",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			tpl, err := env.Compile(name, src)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = tpl.Render(context.Background(), nil)
			if err == nil || !strings.Contains(err.Error(), ErrLimit.Error()) {
				t.Fatalf("want limit error, got %v", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}

func TestDeepNestingIsAParseError(t *testing.T) {
	env := NewEnv(Options{})
	for _, src := range []string{
		"${{ " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + " }}",
		"${{ " + strings.Repeat("not ", 100000) + "x }}",
		"${{ " + strings.Repeat("-", 100000) + "1 }}",
		"${{ " + strings.Repeat("[", 100000) + " }}",
		strings.Repeat("{% if x %}", 100000),
	} {
		if _, err := env.Compile("deep", src); err == nil || !strings.Contains(err.Error(), "nested deeper") {
			t.Errorf("want depth error, got %v", err)
		}
	}
}

func TestCancelledContextStopsRender(t *testing.T) {
	env := NewEnv(Options{Limits: Limits{MaxSteps: 1 << 40, Timeout: time.Minute}})
	tpl, err := env.Compile("spin", "{% for i in range(1000000) %}{% for j in range(1000000) %}{% endfor %}{% endfor %}")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = tpl.Render(ctx, nil)
	if err == nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("render was not stopped: %v after %v", err, time.Since(start))
	}
}

func TestSingleExpressionAndEval(t *testing.T) {
	env := NewEnv(Options{})
	for src, single := range map[string]bool{
		"${{ a }}": true, "${{ a | dump }}": true, "{# c #}${{ a }}": true,
		" ${{ a }}": false, "${{ a }}\n": false, "${{ a }}${{ b }}": false, "{% if a %}1{% endif %}": false, "text": false,
		"  ${{- a }}": false, // the trimmed data node still counts, as in nunjucks
	} {
		tpl, err := env.Compile("", src)
		if err != nil {
			t.Fatal(err)
		}
		if tpl.IsSingleExpression() != single {
			t.Errorf("%q: single=%v", src, !single)
		}
	}
	tpl, _ := env.Compile("", "${{ obj }}")
	v, err := tpl.Eval(context.Background(), map[string]any{"obj": map[string]any{"n": 1.0}})
	if err != nil || v.(map[string]any)["n"] != 1.0 {
		t.Fatalf("Eval keeps the type: %#v %v", v, err)
	}
}

func TestErrorPositions(t *testing.T) {
	_, err := NewEnv(Options{}).Compile("file.yaml", "line one\nline ${{ a | }}")
	var e *Error
	if !errors.As(err, &e) || e.Line != 2 || e.Name != "file.yaml" || !strings.HasPrefix(err.Error(), "file.yaml: line 2, column") {
		t.Fatalf("got %v", err)
	}
}
