package nunjucks

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func (c renderCase) env() *Env {
	opts := Options{TrimBlocks: c.trimBlocks, LStripBlocks: c.lstripBlocks}
	if c.cookiecutter {
		opts.Tags, opts.JinjaCompat = JinjaTags, true
	}
	env := NewEnv(opts)
	if c.cookiecutter {
		dump, _ := env.Filter("dump")
		env.AddFilter("jsonify", dump)
	}
	return env
}

func (c renderCase) vars() map[string]any {
	if c.cookiecutter {
		return map[string]any{"cookiecutter": caseVars}
	}
	return caseVars
}

func renderOne(c renderCase) (string, error) {
	t, err := c.env().Compile(c.name, c.src)
	if err != nil {
		return "", err
	}
	return t.Render(context.Background(), c.vars())
}

func TestRenderCases(t *testing.T) {
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := renderOne(c)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("want error containing %q, got %q, %v", c.wantErr, got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

// TestCasesMatchNunjucks renders every case with real nunjucks and checks
// that it agrees with the expectation above.
func TestCasesMatchNunjucks(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	if _, err := os.Stat("../bench/node_modules/nunjucks"); err != nil {
		t.Skip("npm nunjucks not installed: cd internal/scaffolder/bench && npm ci")
	}
	type nodeCase struct {
		Src          string         `json:"src"`
		Vars         map[string]any `json:"vars"`
		Cookiecutter bool           `json:"cookiecutter"`
		TrimBlocks   bool           `json:"trimBlocks"`
		LStripBlocks bool           `json:"lstripBlocks"`
	}
	var in []nodeCase
	for _, c := range renderCases {
		in = append(in, nodeCase{c.src, c.vars(), c.cookiecutter, c.trimBlocks, c.lstripBlocks})
	}
	raw, _ := json.Marshal(in)
	f := filepath.Join(t.TempDir(), "cases.json")
	if err := os.WriteFile(f, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "../bench/render.js", "cases", f).Output()
	if err != nil {
		t.Fatalf("render.js: %v", err)
	}
	var res []struct {
		Out   *string `json:"out"`
		Error string  `json:"error"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	for i, c := range renderCases {
		if c.noNode {
			continue
		}
		r := res[i]
		if c.wantErr != "" {
			if r.Error == "" {
				t.Errorf("%s: nunjucks rendered %q, the table expects an error", c.name, *r.Out)
			}
			continue
		}
		if r.Out == nil {
			t.Errorf("%s: nunjucks failed: %s", c.name, r.Error)
			continue
		}
		if *r.Out != c.want {
			t.Errorf("%s: nunjucks gives %q, the table expects %q", c.name, *r.Out, c.want)
		}
	}
}
