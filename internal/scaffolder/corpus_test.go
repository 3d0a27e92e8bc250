package scaffolder

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The corpus tests run every real template in shared/corpus/templates the
// way a dry run would: validate the example values, render each step's
// input, render fetch:template skeletons into a memory workspace, render the
// output, and compare the whole transcript with a golden file.

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

type corpusTemplate struct {
	name   string
	root   string // the location root (an upstream repository)
	rel    string // template.yaml path inside root
	fsys   fs.FS
	tmpl   *Template
	values map[string]any
}

// corpusDir finds shared/corpus/templates next to the repository (locally
// /work/shared, in CI a copy beside the clone), or $RIGGER_CORPUS_DIR.
func corpusDir(tb testing.TB) string {
	if d := os.Getenv("RIGGER_CORPUS_DIR"); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	for dir := wd; ; dir = filepath.Dir(dir) {
		for _, c := range []string{"shared/corpus/templates", "../shared/corpus/templates"} {
			p := filepath.Join(dir, c)
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				return p
			}
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	tb.Skip("shared/corpus/templates not found (set RIGGER_CORPUS_DIR)")
	return ""
}

func loadCorpus(tb testing.TB) []corpusTemplate {
	dir := corpusDir(tb)
	raw, err := os.ReadFile("testdata/corpus-values.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	var values map[string]map[string]any
	if err := yaml.Unmarshal(raw, &values); err != nil {
		tb.Fatal(err)
	}
	var out []corpusTemplate
	locations, _ := os.ReadDir(dir)
	for _, loc := range locations {
		if !loc.IsDir() {
			continue
		}
		root := filepath.Join(dir, loc.Name())
		fsys := os.DirFS(root)
		_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "template.yaml" {
				return err
			}
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				tb.Fatal(err)
			}
			t, err := Parse(data, p)
			if err != nil {
				tb.Fatalf("%s/%s: %v", loc.Name(), p, err)
			}
			out = append(out, corpusTemplate{name: t.Metadata.Name, root: root, rel: p, fsys: fsys, tmpl: t, values: values[t.Metadata.Name]})
			return nil
		})
	}
	if len(out) < 26 {
		tb.Fatalf("found %d templates in %s, want 26", len(out), dir)
	}
	return out
}

func TestCorpusParsesAndSchemasCompile(t *testing.T) {
	for _, ct := range loadCorpus(t) {
		t.Run(ct.name, func(t *testing.T) {
			p, err := CompileParameters(ct.tmpl)
			if err != nil {
				t.Fatal(err)
			}
			if ct.values == nil {
				t.Fatal("no example values in testdata/corpus-values.yaml")
			}
			if err := p.Validate(ct.values); err != nil {
				t.Fatalf("example values rejected: %v", err)
			}
		})
	}
}

// expectedProblems are the corpus templates that cannot run on Rigger, and
// why. Every other template must validate cleanly.
var expectedProblems = map[string][]string{
	"docs-template-cookiecutter": {`step "fetch" (Template Docs Skeleton) action "fetch:cookiecutter": action "fetch:cookiecutter" is not a built-in or registered action`},
	"rails-demo":                 {`step "fetch-base" (Fetch Base) action "fetch:rails": action "fetch:rails" is not a built-in or registered action`},
	"dotnet-frontend-template":   {`step "publish" (Publishing to the Source Code Repository) action "publish:azure": action "publish:azure" is not a built-in or registered action`},
	"tekton-template":            {`step "merge" (Merge YAML) action "roadiehq:utils:merge": action "roadiehq:utils:merge" is not a built-in or registered action`},
	"obc-template":               {`step "manifestsTemplate" (Generating the Manifests Component) action "fetch:template": input.url: ./template (resolved to templates/github/obc/template) does not exist in the template's location`},
	"sdlc-app-template":          {`step "template-gitops" (Fetch Skeleton + Template) action "fetch:template": input.url: ./app-gitops (resolved to templates/github/sdlc-app/app-gitops) does not exist in the template's location`},
}

func TestCorpusValidate(t *testing.T) {
	e := NewEngine(EngineOptions{})
	for _, ct := range loadCorpus(t) {
		t.Run(ct.name, func(t *testing.T) {
			err := e.Validate(ct.tmpl, RiggerActions, ct.fsys)
			want := expectedProblems[ct.name]
			if want == nil {
				if err != nil {
					t.Fatalf("unexpected problems: %v", err)
				}
				return
			}
			var pe *ProblemsError
			if !errors.As(err, &pe) {
				t.Fatalf("want problems %q, got %v", want, err)
			}
			var got []string
			for _, p := range pe.Problems {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("problems:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// fakeOutputs stands in for actions with side effects, like Backstage's
// dry run does with example outputs.
func fakeOutputs(action string, input map[string]any) map[string]any {
	repo := map[string]any{"host": "example.test", "owner": "owner", "repo": "repo"}
	if u, ok := input["repoUrl"].(string); ok {
		if r, err := ParseRepoURL(u, DefaultIntegrations); err == nil {
			repo = r
		}
	}
	base := fmt.Sprintf("https://%v/%v/%v", repo["host"], repo["owner"], repo["repo"])
	switch action {
	case "publish:github", "publish:gitlab", "publish:azure":
		return map[string]any{"remoteUrl": base, "repoContentsUrl": base + "/blob/main", "commitHash": "0000000"}
	case "publish:github:pull-request":
		return map[string]any{"remoteUrl": base + "/pull/1", "pullRequestNumber": 1, "targetBranchName": input["branchName"]}
	case "publish:gitlab:merge-request":
		return map[string]any{"mergeRequestUrl": base + "/-/merge_requests/1", "projectid": "1"}
	case "catalog:register":
		return map[string]any{"entityRef": "component:default/example", "catalogInfoUrl": "https://example.test/catalog-info.yaml"}
	}
	return map[string]any{}
}

// dryRun renders a template end to end and returns a readable transcript
// and the in-memory workspace.
func dryRun(ctx context.Context, e *Engine, ct corpusTemplate) (string, *MemWorkspace, []skeletonJob) {
	var jobs []skeletonJob
	var b strings.Builder
	ws := NewMemWorkspace()
	c := &Context{
		Parameters: ct.values,
		Steps:      map[string]map[string]any{},
		Secrets:    map[string]string{"USER_OAUTH_TOKEN": "secret-token"},
		User:       &User{Ref: "user:default/jdoe", Entity: map[string]any{"metadata": map[string]any{"name": "jdoe"}}},
		TaskID:     "task-0001",
	}
	for _, s := range ct.tmpl.Spec.Steps {
		fmt.Fprintf(&b, "## step %s (%s)\n", s.ID, s.Action)
		run, err := e.ShouldRun(ctx, s.If, c)
		if err != nil {
			fmt.Fprintf(&b, "if error: %v\n", err)
			continue
		}
		if !run {
			b.WriteString("skipped: if is falsy\n")
			continue
		}
		input, err := e.RenderInput(ctx, s.Input, c)
		if err != nil {
			fmt.Fprintf(&b, "input error: %v\n", err)
			continue
		}
		fmt.Fprintf(&b, "input: %s\n", jsonText2(input))
		c.Steps[s.ID] = fakeOutputs(s.Action, input)
		if s.Action != "fetch:template" && !(s.Action == "fetch:cookiecutter") {
			continue
		}
		url, opts, err := DecodeTemplateOptions(input)
		if err == nil && s.Action == "fetch:cookiecutter" {
			opts.CookiecutterCompat = true // render its skeleton as fetch:template would in compat mode
		}
		if err != nil {
			fmt.Fprintf(&b, "options error: %v\n", err)
			continue
		}
		dir, err := ResolveLocal(ct.rel, url)
		if err != nil {
			fmt.Fprintf(&b, "url error: %v\n", err)
			continue
		}
		jobs = append(jobs, skeletonJob{id: ct.name + "/" + s.ID, ct: ct, dir: dir, opts: opts})
		files, err := e.RenderDir(ctx, ct.fsys, dir, opts)
		if err != nil {
			fmt.Fprintf(&b, "render error: %v\n", err)
			continue
		}
		written, err := WriteFiles(ws, files, opts.Replace)
		if err != nil {
			fmt.Fprintf(&b, "write error: %v\n", err)
			continue
		}
		fmt.Fprintf(&b, "wrote %d files\n", len(written))
	}
	out, err := e.RenderOutput(ctx, ct.tmpl.Spec.Output, c)
	if err != nil {
		fmt.Fprintf(&b, "## output error: %v\n", err)
	} else {
		fmt.Fprintf(&b, "## output\n%s\n", jsonText2(out))
	}
	return b.String(), ws, jobs
}

// skeletonJob is one fetch:template render of the corpus, replayable by the
// nunjucks comparison and the benchmark.
type skeletonJob struct {
	id   string
	ct   corpusTemplate
	dir  string
	opts TemplateOptions
}

// jsonText2 prints JSON the way a person reads it (no \u0026 escapes).
func jsonText2(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

// goldenInlineLimit: text files up to this size are stored whole in the
// golden file; larger ones (vendored CSS/JS, never templated) by hash.
const goldenInlineLimit = 16 << 10

func workspaceListing(ws *MemWorkspace) string {
	var b strings.Builder
	files := ws.Files()
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	for _, f := range files {
		// Only the executable bit is recorded: the rest of the mode depends on
		// how the corpus was checked out (CI's copy is read-only).
		exec := ""
		if f.Mode&0o111 != 0 {
			exec = " executable"
		}
		fmt.Fprintf(&b, "== %s%s size=%d sha256=%x\n", f.Path, exec, len(f.Data), sha256.Sum256(f.Data))
		if len(f.Data) <= goldenInlineLimit && !isBinary(f.Data) {
			b.Write(f.Data)
			if len(f.Data) > 0 && f.Data[len(f.Data)-1] != '\n' {
				b.WriteString("\n<no newline at end of file>\n")
			}
		}
	}
	return b.String()
}

func TestCorpusGolden(t *testing.T) {
	e := NewEngine(EngineOptions{})
	for _, ct := range loadCorpus(t) {
		t.Run(ct.name, func(t *testing.T) {
			transcript, ws, _ := dryRun(context.Background(), e, ct)
			got := transcript + "## files\n" + workspaceListing(ws)
			golden := filepath.Join("testdata", "golden", ct.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestCorpusGolden -update)", err)
			}
			if got != string(want) {
				t.Fatalf("%s differs from golden; diff with -update and git diff:\n%s", golden, firstDiff(string(want), got))
			}
		})
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant %q\n got %q", i+1, w, g)
		}
	}
	return ""
}
