package scaffold

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
	"gopkg.in/yaml.v3"

	"github.com/rigger-platform/rigger/internal/scaffolder"
)

// CorpusTemplate is one template of shared/corpus/templates.
type CorpusTemplate struct {
	Name, Root, Path string
	FS               fs.FS
	Template         *scaffolder.Template
	Values           map[string]any
}

// corpusRoot finds the corpus: $RIGGER_CORPUS_DIR, <repo>/../shared/corpus,
// or /work/shared/corpus.
func corpusRoot(tb testing.TB) string {
	if d := os.Getenv("RIGGER_CORPUS_DIR"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	for _, c := range []string{filepath.Join(repo, "..", "shared", "corpus", "templates"), "/work/shared/corpus/templates"} {
		if fi, err := os.Stat(c); err == nil && fi.IsDir() {
			return c
		}
	}
	tb.Skip("shared/corpus/templates not found (set RIGGER_CORPUS_DIR)")
	return ""
}

func loadCorpus(tb testing.TB) []CorpusTemplate {
	dir := corpusRoot(tb)
	_, file, _, _ := runtime.Caller(0)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "internal", "scaffolder", "testdata", "corpus-values.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	var values map[string]map[string]any
	if err := yaml.Unmarshal(raw, &values); err != nil {
		tb.Fatal(err)
	}
	var out []CorpusTemplate
	locs, _ := os.ReadDir(dir)
	for _, loc := range locs {
		root := filepath.Join(dir, loc.Name())
		fsys := os.DirFS(root)
		list, err := ListTemplates(fsys)
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range list {
			t, err := FindIn(fsys, e.Namespace, e.Name)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, CorpusTemplate{Name: e.Name, Root: root, Path: e.Path, FS: fsys, Template: t, Values: values[e.Name]})
		}
	}
	if len(out) < 26 {
		tb.Fatalf("found %d corpus templates, want 26", len(out))
	}
	return out
}

// unsupported are the corpus templates that cannot run on Rigger; each
// must fail validation naming the step and the action.
var unsupported = map[string]string{
	"docs-template-cookiecutter": `step "fetch" (Template Docs Skeleton) action "fetch:cookiecutter": action "fetch:cookiecutter" is not a built-in or registered action`,
	"rails-demo":                 `step "fetch-base" (Fetch Base) action "fetch:rails"`,
	"dotnet-frontend-template":   `step "publish" (Publishing to the Source Code Repository) action "publish:azure"`,
	"tekton-template":            `step "merge" (Merge YAML) action "roadiehq:utils:merge"`,
	"obc-template":               `step "manifestsTemplate" (Generating the Manifests Component) action "fetch:template": input.url: ./template (resolved to templates/github/obc/template) does not exist`,
	"sdlc-app-template":          `step "template-gitops" (Fetch Skeleton + Template) action "fetch:template": input.url: ./app-gitops`,
}

// GoldenFiles reads the "## files" section of a golden transcript: path ->
// "size sha256 [executable]".
func GoldenFiles(tb testing.TB, name string) map[string]string {
	_, file, _, _ := runtime.Caller(0)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "internal", "scaffolder", "testdata", "golden", name+".golden"))
	if err != nil {
		tb.Fatal(err)
	}
	_, files, ok := strings.Cut(string(raw), "\n## files\n")
	if !ok {
		tb.Fatalf("%s.golden has no files section", name)
	}
	out := map[string]string{}
	for _, line := range strings.Split(files, "\n") {
		rest, ok := strings.CutPrefix(line, "== ")
		if !ok || !strings.Contains(rest, " size=") {
			continue
		}
		i := strings.Index(rest, " size=")
		path, meta := rest[:i], rest[i+1:]
		exec := ""
		if p, ok := strings.CutSuffix(path, " executable"); ok {
			path, exec = p, " executable"
		}
		out[path] = meta + exec
	}
	return out
}

// FileDigest is the golden listing form of one file.
func FileDigest(data []byte, executable bool) string {
	s := fmt.Sprintf("size=%d sha256=%x", len(data), sha256.Sum256(data))
	if executable {
		s += " executable"
	}
	return s
}

// TestCorpusDryRun dry-runs every corpus template in memory, as the dry-run
// activity does: the supported ones produce exactly the golden files; the
// others fail validation naming step and action.
func TestCorpusDryRun(t *testing.T) {
	a := &Activities{}
	for _, ct := range loadCorpus(t) {
		t.Run(ct.Name, func(t *testing.T) {
			plan, err := a.plan(ct.Template, ct.FS, Source{Type: "dir", Target: ct.Root}, ct.Values)
			if want, bad := unsupported[ct.Name]; bad {
				var app *temporal.ApplicationError
				if !errors.As(err, &app) || app.Type() != ErrTypeValidation || !strings.Contains(err.Error(), want) {
					t.Fatalf("want validation error containing %q, got %v", want, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res, ws, err := a.DryRun(context.Background(), DryRunInput{Tenant: "acme", TaskID: "task-0001", Plan: plan, Values: ct.Values,
				User: "user:default/jdoe"}, ct.FS)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			files, _ := ws.Files("")
			for _, f := range files {
				got[f.Path] = FileDigest(f.Data, f.Mode&0o111 != 0)
			}
			want := GoldenFiles(t, ct.Name)
			for p, w := range want {
				if got[p] != w {
					t.Errorf("%s: got %q, golden %q", p, got[p], w)
				}
			}
			for p := range got {
				if _, ok := want[p]; !ok {
					t.Errorf("%s: not in the golden file", p)
				}
			}
			if len(res.Log) == 0 || res.Log[len(res.Log)-1].Body.Status != "completed" && len(plan.Steps) > 0 && res.Log[len(res.Log)-1].Body.Status != "skipped" {
				t.Errorf("log ends with %+v", res.Log[len(res.Log)-1])
			}
		})
	}
}
