package scaffolder

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"testing"
)

// These tests run real nunjucks (npm, in bench/node_modules) on the same
// skeletons with the same values and compare every rendered path and file
// with the Go engine. They are skipped when node or the npm package is
// missing; `make bench` installs it (cd internal/scaffolder/bench && npm ci).

type nodeEntry struct {
	Rel            string `json:"rel"`
	Dir            bool   `json:"dir"`
	RenderPath     bool   `json:"renderPath"`
	RenderContents bool   `json:"renderContents"`
}

type nodeJob struct {
	ID           string         `json:"id"`
	Root         string         `json:"root"`
	Values       map[string]any `json:"values"`
	Cookiecutter bool           `json:"cookiecutter"`
	TrimBlocks   bool           `json:"trimBlocks"`
	LStripBlocks bool           `json:"lstripBlocks"`
	Entries      []nodeEntry    `json:"entries"`
}

func nodeAvailable(tb testing.TB) string {
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Skip("node not installed")
	}
	if _, err := os.Stat("bench/node_modules/nunjucks"); err != nil {
		tb.Skip("npm nunjucks not installed: cd internal/scaffolder/bench && npm ci")
	}
	return node
}

// toNodeJob plans a skeleton render and describes it for render.js.
func toNodeJob(tb testing.TB, j skeletonJob) nodeJob {
	plan, err := planDir(j.ct.fsys, j.dir, j.opts, SkeletonLimits{}.withDefaults())
	if err != nil {
		tb.Fatal(err)
	}
	nj := nodeJob{ID: j.id, Root: filepath.Join(j.ct.root, filepath.FromSlash(j.dir)), Values: j.opts.Values,
		Cookiecutter: j.opts.CookiecutterCompat, TrimBlocks: j.opts.TrimBlocks, LStripBlocks: j.opts.LStripBlocks}
	if nj.Values == nil {
		nj.Values = map[string]any{}
	}
	for _, pe := range plan {
		nj.Entries = append(nj.Entries, nodeEntry{Rel: pe.rel, Dir: pe.dir, RenderPath: pe.renderPath, RenderContents: pe.renderContents})
	}
	return nj
}

func corpusSkeletonJobs(tb testing.TB) []skeletonJob {
	e := NewEngine(EngineOptions{})
	var jobs []skeletonJob
	for _, ct := range loadCorpus(tb) {
		_, _, js := dryRun(context.Background(), e, ct)
		for _, j := range js {
			if _, err := planDir(j.ct.fsys, j.dir, j.opts, SkeletonLimits{}.withDefaults()); err == nil {
				jobs = append(jobs, j)
			}
		}
	}
	return jobs
}

func writeJobs(tb testing.TB, jobs []nodeJob) string {
	raw, err := json.Marshal(jobs)
	if err != nil {
		tb.Fatal(err)
	}
	f := filepath.Join(tb.TempDir(), "jobs.json")
	if err := os.WriteFile(f, raw, 0o644); err != nil {
		tb.Fatal(err)
	}
	return f
}

func TestSkeletonsMatchNunjucks(t *testing.T) {
	node := nodeAvailable(t)
	jobs := corpusSkeletonJobs(t)
	var nj []nodeJob
	for _, j := range jobs {
		nj = append(nj, toNodeJob(t, j))
	}
	out, err := exec.Command(node, "bench/render.js", "check", writeJobs(t, nj)).Output()
	if err != nil {
		t.Fatalf("render.js: %v", err)
	}
	var results []struct {
		ID      string `json:"id"`
		Entries []struct {
			Rel     string  `json:"rel"`
			Path    string  `json:"path"`
			Content *string `json:"content"`
			Error   string  `json:"error"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatal(err)
	}
	e := NewEngine(EngineOptions{})
	compared := 0
	for i, j := range jobs {
		r, err := e.newRenderer(j.opts)
		if err != nil {
			t.Fatal(err)
		}
		for k, pe := range toNodeJob(t, j).Entries {
			want := results[i].Entries[k]
			if want.Error != "" {
				t.Errorf("%s %s: nunjucks failed: %s", j.id, pe.Rel, want.Error)
				continue
			}
			loc := pe.Rel
			if pe.Dir {
				loc += "/"
			}
			gotPath := loc
			if pe.RenderPath {
				if gotPath, err = r.render(context.Background(), loc, loc); err != nil {
					t.Errorf("%s %s: %v", j.id, pe.Rel, err)
					continue
				}
			}
			if gotPath != want.Path {
				t.Errorf("%s %s: path %q, nunjucks %q", j.id, pe.Rel, gotPath, want.Path)
			}
			if want.Content == nil {
				continue
			}
			data, err := os.ReadFile(filepath.Join(j.ct.root, filepath.FromSlash(path.Join(j.dir, pe.Rel))))
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.render(context.Background(), pe.Rel, string(data))
			if err != nil {
				t.Errorf("%s %s: %v", j.id, pe.Rel, err)
				continue
			}
			compared++
			if got != *want.Content {
				t.Errorf("%s %s differs from nunjucks:\n%s", j.id, pe.Rel, firstDiff(*want.Content, got))
			}
		}
	}
	t.Logf("compared %d rendered files from %d skeleton renders with nunjucks", compared, len(jobs))
}

// TestStepInputsMatchBackstageRender renders step inputs (the value table
// and every step of every corpus template) with Backstage's render logic on
// real nunjucks and compares values and types with Engine.RenderValue.
func TestStepInputsMatchBackstageRender(t *testing.T) {
	node := nodeAvailable(t)
	type job struct {
		Input   any            `json:"input"`
		Context map[string]any `json:"context"`
	}
	type goResult struct {
		name  string
		value any
		ok    bool
		err   error
	}
	e := NewEngine(EngineOptions{})
	ctx := context.Background()
	var jobs []job
	var want []goResult
	add := func(name string, input any, c *Context) {
		vars, err := c.vars()
		if err != nil {
			t.Fatal(err)
		}
		v, ok, err := e.RenderValue(ctx, input, c)
		jobs = append(jobs, job{input, vars})
		want = append(want, goResult{name, v, ok, err})
	}
	for i, c := range valueCases {
		add(fmt.Sprintf("valueCases[%d] %v", i, c.in), c.in, testContext())
	}
	for _, ct := range loadCorpus(t) {
		c := &Context{Parameters: ct.values, Steps: map[string]map[string]any{}, Secrets: map[string]string{"USER_OAUTH_TOKEN": "t"}, TaskID: "task"}
		for _, s := range ct.tmpl.Spec.Steps {
			if s.If != nil {
				add(ct.name+"/"+s.ID+" if", s.If, c)
			}
			add(ct.name+"/"+s.ID+" input", s.Input, c)
			in, _ := e.RenderInput(ctx, s.Input, c)
			c.Steps[s.ID] = fakeOutputs(s.Action, in)
		}
		if ct.tmpl.Spec.Output != nil {
			add(ct.name+" output", ct.tmpl.Spec.Output, c)
		}
	}
	raw, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "inputs.json")
	if err := os.WriteFile(f, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "bench/render.js", "inputs", f).Output()
	if err != nil {
		t.Fatalf("render.js: %v", err)
	}
	var got []struct {
		Value     any    `json:"value"`
		Undefined bool   `json:"undefined"`
		Error     string `json:"error"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		g := got[i]
		switch {
		case w.err != nil || g.Error != "":
			if (w.err == nil) != (g.Error == "") {
				t.Errorf("%s: go error %v, nunjucks error %q", w.name, w.err, g.Error)
			}
		case !w.ok || g.Undefined:
			if w.ok != !g.Undefined {
				t.Errorf("%s: go ok=%v %#v, nunjucks undefined=%v", w.name, w.ok, w.value, g.Undefined)
			}
		case !reflect.DeepEqual(w.value, g.Value):
			t.Errorf("%s:\n go       %#v\n nunjucks %#v", w.name, w.value, g.Value)
		}
	}
	t.Logf("compared %d rendered values with Backstage's render on nunjucks", len(want))
}
