package scaffolder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func renderMap(t *testing.T, files fstest.MapFS, o TemplateOptions) map[string]string {
	t.Helper()
	out, err := NewEngine(EngineOptions{}).RenderDir(context.Background(), files, "skel", o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range out {
		if f.Dir {
			got[f.Path+"/"] = ""
		} else {
			got[f.Path] = string(f.Data)
		}
	}
	return got
}

func TestRenderDirPathsAndContents(t *testing.T) {
	files := fstest.MapFS{
		"skel/README.md":                              {Data: []byte("# ${{ values.name }}\n{% if values.docs %}docs{% endif %}\n")},
		"skel/src/${{ values.pkg }}/Main.java":        {Data: []byte("package ${{ values.pkg }};")},
		"skel/${{ 'optional.txt' if values.extra }}":  {Data: []byte("extra")},
		"skel/${{ 'dir' if values.extra }}/inner.txt": {Data: []byte("inner")},
		"skel/.github/workflows/ci.yaml":              {Data: []byte("run: ${{ github.sha }}")},
		"skel/logo.png":                               {Data: []byte("\x89PNG\x00\x00${{ values.name }}#}")},
		"skel/bin/run.sh":                             {Data: []byte("echo ${{ values.name }}"), Mode: 0o755},
	}
	got := renderMap(t, files, TemplateOptions{
		Values:                map[string]any{"name": "shop", "pkg": "orders", "docs": true, "extra": false},
		CopyWithoutTemplating: []string{".github/workflows/"},
		TargetPath:            "out",
	})
	want := map[string]string{
		"out/.github/":                  "",
		"out/.github/workflows/":        "",
		"out/.github/workflows/ci.yaml": "run: ${{ github.sha }}",
		"out/README.md":                 "# shop\ndocs\n",
		"out/bin/":                      "",
		"out/bin/run.sh":                "echo shop",
		"out/logo.png":                  "\x89PNG\x00\x00${{ values.name }}#}",
		"out/src/":                      "",
		"out/src/orders/":               "",
		"out/src/orders/Main.java":      "package orders;",
	}
	if len(got) != len(want) {
		t.Errorf("got %d entries, want %d: %v", len(got), len(want), keys(got))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestCopyWithoutRenderKeepsPaths(t *testing.T) {
	files := fstest.MapFS{
		"skel/${{ values.name }}.txt":    {Data: []byte("${{ values.name }}")},
		"skel/raw/${{ values.name }}.md": {Data: []byte("${{ values.name }}")},
	}
	got := renderMap(t, files, TemplateOptions{Values: map[string]any{"name": "n"}, CopyWithoutRender: []string{"raw/*"}})
	if got["n.txt"] != "n" || got["raw/${{ values.name }}.md"] != "${{ values.name }}" {
		t.Fatalf("got %v", got)
	}
	got = renderMap(t, files, TemplateOptions{Values: map[string]any{"name": "n"}, CopyWithoutTemplating: []string{"raw/*", "!raw/nothing"}})
	if got["raw/n.md"] != "${{ values.name }}" {
		t.Fatalf("copyWithoutTemplating renders paths: %v", got)
	}
}

func TestTemplateFileExtension(t *testing.T) {
	files := fstest.MapFS{
		"skel/app.yaml.njk":          {Data: []byte("name: ${{ values.name }}")},
		"skel/${{ values.name }}.md": {Data: []byte("${{ values.name }}")},
	}
	got := renderMap(t, files, TemplateOptions{Values: map[string]any{"name": "n"}, TemplateFileExtension: "njk"})
	if got["app.yaml"] != "name: n" || got["n.md"] != "${{ values.name }}" || len(got) != 2 {
		t.Fatalf("got %v", got)
	}
	_, opts, err := DecodeTemplateOptions(map[string]any{"templateFileExtension": true, "copyWithoutTemplating": []any{"x"}})
	if err == nil || !strings.Contains(err.Error(), "incompatible") {
		t.Fatalf("extension with copy list: %v %v", opts, err)
	}
	if _, _, err := DecodeTemplateOptions(map[string]any{"copyWithoutRender": []any{}, "copyWithoutTemplating": []any{}}); err == nil {
		t.Fatal("both copy lists must fail")
	}
	if _, o, _ := DecodeTemplateOptions(map[string]any{"templateFileExtension": true}); o.TemplateFileExtension != ".njk" {
		t.Fatalf("true means .njk, got %q", o.TemplateFileExtension)
	}
}

func TestCookiecutterCompat(t *testing.T) {
	files := fstest.MapFS{
		"skel/{{cookiecutter.name}}/mkdocs.yml": {Data: []byte("site_name: {{cookiecutter.name | jsonify}}\nkeep: ${{ x }}\n")},
	}
	got := renderMap(t, files, TemplateOptions{Values: map[string]any{"name": "docs"}, CookiecutterCompat: true})
	if got["docs/mkdocs.yml"] != "site_name: \"docs\"\nkeep: $\n" {
		t.Fatalf("got %v", got)
	}
}

func TestTrimAndLstripBlocks(t *testing.T) {
	files := fstest.MapFS{"skel/f": {Data: []byte("a:\n  {% if values.on %}\n  b: 1\n  {% endif %}\n")}}
	got := renderMap(t, files, TemplateOptions{Values: map[string]any{"on": true}, TrimBlocks: true, LStripBlocks: true})
	if got["f"] != "a:\n  b: 1\n" {
		t.Fatalf("got %q", got["f"])
	}
}

func TestSkeletonEscapesAreRefused(t *testing.T) {
	e := NewEngine(EngineOptions{})
	ctx := context.Background()
	files := fstest.MapFS{"skel/${{ values.name }}": {Data: []byte("x")}}
	for _, name := range []string{"../../etc/passwd", "a/../../b"} {
		_, err := e.RenderDir(ctx, files, "skel", TemplateOptions{Values: map[string]any{"name": name}})
		var pe *PathError
		if !errors.As(err, &pe) {
			t.Errorf("rendered name %q: want PathError, got %v", name, err)
		}
	}
	// A rendered absolute path is "templated away" (skipped), as in Backstage.
	out, err := e.RenderDir(ctx, files, "skel", TemplateOptions{Values: map[string]any{"name": "/etc/passwd"}})
	if err != nil || len(out) != 0 {
		t.Errorf("absolute rendered path: %v %v", out, err)
	}
	for _, target := range []string{"../outside", "/abs", "a/../../b"} {
		if _, err := e.RenderDir(ctx, files, "skel", TemplateOptions{TargetPath: target}); err == nil {
			t.Errorf("targetPath %q accepted", target)
		}
	}
	for _, u := range []string{"/etc", "../../../../x", "C:/x"} {
		if _, err := ResolveLocal("templates/a/template.yaml", u); err == nil {
			t.Errorf("url %q accepted", u)
		}
	}
	if p, err := ResolveLocal("templates/github/go/template.yaml", "../../../skeletons/tekton/"); err != nil || p != "skeletons/tekton" {
		t.Errorf("sibling skeleton: %q %v", p, err)
	}
	var re *RemoteURLError
	if _, err := ResolveLocal("t.yaml", "https://github.com/o/r/tree/main/x"); !errors.As(err, &re) {
		t.Errorf("remote url: %v", err)
	}
}

func TestSymlinksRefused(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "skel"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "skel", "ok.txt"), []byte("ok"), 0o644))
	must(os.Symlink("/etc/passwd", filepath.Join(dir, "skel", "passwd")))
	must(os.Symlink(filepath.Join(dir, "skel"), filepath.Join(dir, "linked")))
	e := NewEngine(EngineOptions{})
	src := os.DirFS(dir)
	var pe *PathError
	if _, err := e.RenderDir(context.Background(), src, "skel", TemplateOptions{}); !errors.As(err, &pe) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("link inside skeleton: %v", err)
	}
	if _, err := e.RenderDir(context.Background(), src, "linked", TemplateOptions{}); !errors.As(err, &pe) {
		t.Errorf("linked skeleton dir: %v", err)
	}
	if _, err := CopyDir(src, "skel", "x"); !errors.As(err, &pe) {
		t.Errorf("fetch:plain through link: %v", err)
	}
	if _, err := e.RenderFile(context.Background(), src, "skel/passwd", TemplateOptions{TargetPath: "p"}); !errors.As(err, &pe) {
		t.Errorf("fetch:template:file of a link: %v", err)
	}
}

func TestRenderFileAndPlainCopies(t *testing.T) {
	e := NewEngine(EngineOptions{})
	files := fstest.MapFS{
		"t/catalog-info.yaml":  {Data: []byte("name: ${{ values.name }}")},
		"plain/a/${{ x }}.txt": {Data: []byte("${{ values.name }}")},
	}
	f, err := e.RenderFile(context.Background(), files, "t/catalog-info.yaml", TemplateOptions{TargetPath: "out/catalog.yaml", Values: map[string]any{"name": "n"}})
	if err != nil || f.Path != "out/catalog.yaml" || string(f.Data) != "name: n" {
		t.Fatalf("RenderFile: %+v %v", f, err)
	}
	if _, err := e.RenderFile(context.Background(), files, "t/missing.yaml", TemplateOptions{TargetPath: "x"}); err == nil {
		t.Fatal("missing file accepted")
	}
	list, err := CopyDir(files, "plain", "copied")
	if err != nil || len(list) != 2 || list[1].Path != "copied/a/${{ x }}.txt" || string(list[1].Data) != "${{ values.name }}" {
		t.Fatalf("CopyDir: %+v %v", list, err)
	}
	one, err := CopyFile(files, "t/catalog-info.yaml", "c.yaml")
	if err != nil || string(one.Data) != "name: ${{ values.name }}" {
		t.Fatalf("CopyFile: %+v %v", one, err)
	}
}

func TestWorkspaces(t *testing.T) {
	files := []File{
		{Path: "a/b.txt", Data: []byte("one"), Mode: 0o444},
		{Path: "a/b.txt", Data: []byte("two"), Mode: 0o644},
		{Path: "run.sh", Data: []byte("#!/bin/sh"), Mode: 0o755},
		{Path: "empty", Dir: true},
	}
	mem := NewMemWorkspace()
	if _, err := WriteFiles(mem, files, false); err != nil {
		t.Fatal(err)
	}
	got := mem.Files()
	if len(got) != 2 || string(got[0].Data) != "one" {
		t.Fatalf("first write wins without replace: %+v", got)
	}
	if _, err := WriteFiles(mem, files[1:2], true); err != nil || string(mem.Files()[0].Data) != "two" {
		t.Fatal("replace overwrites")
	}

	dir := t.TempDir()
	ws, err := OpenDirWorkspace(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if _, err := WriteFiles(ws, files, false); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "a/b.txt"))
	fi, _ := os.Stat(filepath.Join(dir, "run.sh"))
	if string(data) != "one" || fi.Mode().Perm()&0o100 == 0 {
		t.Fatalf("dir workspace: %q %v", data, fi.Mode())
	}
	if _, err := os.Stat(filepath.Join(dir, "empty")); err != nil {
		t.Fatal("empty directory not created")
	}
	// A symlink planted in the workspace cannot be used to write outside it.
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteFiles(ws, []File{{Path: "escape/pwned", Data: []byte("x")}}, true); err == nil {
		t.Fatal("write through a symlink out of the workspace succeeded")
	}
	if _, err := WriteFiles(ws, []File{{Path: "../x", Data: []byte("x")}}, true); err == nil {
		t.Fatal("write to .. succeeded")
	}
}

func TestSkeletonLimits(t *testing.T) {
	e := NewEngine(EngineOptions{SkeletonLimits: SkeletonLimits{MaxFiles: 2}})
	files := fstest.MapFS{"s/a": {}, "s/b": {}, "s/c": {}}
	if _, err := e.RenderDir(context.Background(), files, "s", TemplateOptions{}); err == nil {
		t.Fatal("file limit not enforced")
	}
}
