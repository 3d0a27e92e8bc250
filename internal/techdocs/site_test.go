package techdocs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeSite lays out files (path → content) in a temp dir.
func writeSite(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func warningsText(ws []Warning) string {
	var s []string
	for _, w := range ws {
		s = append(s, w.String())
	}
	return strings.Join(s, "\n")
}

func TestLinksRewrittenAndReported(t *testing.T) {
	dir := writeSite(t, map[string]string{
		"mkdocs.yml": "site_name: Links\n",
		"docs/index.md": "# Home\n\n[guide](guide/intro.md#setup) [self](#home) [img](img/a.png)\n\n" +
			"[broken](missing.md)\n[anchor](guide/intro.md#nope)\n[escape](../secret.md)\n[ext](https://x.io/a.md)\n",
		"docs/guide/intro.md": "---\ntitle: From Front Matter\n---\n# Intro\n\n## Setup\n\n[back](../index.md)\n",
		"docs/img/a.png":      "png",
	})
	res, sink := buildMem(t, dir, Options{})
	home := string(sink.Files["index.html"])
	for _, want := range []string{`href="guide/intro/#setup"`, `href="#home"`, `href="img/a.png"`, `href="missing.md"`, `href="https://x.io/a.md"`} {
		if !strings.Contains(home, want) {
			t.Errorf("home page lacks %s", want)
		}
	}
	intro := string(sink.Files["guide/intro/index.html"])
	if !strings.Contains(intro, `href="../../"`) {
		t.Errorf("intro links not rewritten:\n%s", intro)
	}
	w := warningsText(res.Warnings)
	for _, want := range []string{
		`docs/index.md:5: link "missing.md" points to "docs/missing.md"`,
		`docs/index.md:6: link "guide/intro.md#nope" points to anchor #nope`,
		`docs/index.md:7: link "../secret.md" points outside docs_dir`,
	} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
	if res.Pages[1].Title != "From Front Matter" {
		t.Errorf("front matter title not used: %+v", res.Pages[1])
	}
}

func TestDerivedNavAndFiles(t *testing.T) {
	dir := writeSite(t, map[string]string{
		"mkdocs.yml":           "site_name: Derived\nexclude_docs: |\n  *.py\n  drafts/\n",
		"docs/README.md":       "# Welcome\n",
		"docs/z-last.md":       "# Zed\n",
		"docs/a_first.md":      "no heading\n",
		"docs/sub/index.md":    "# Sub home\n",
		"docs/sub/page.md":     "# Sub page\n",
		"docs/.hidden/x.md":    "# hidden\n",
		"docs/drafts/d.md":     "# draft\n",
		"docs/hook.py":         "print()",
		"docs/assets/logo.svg": "<svg/>",
	})
	res, sink := buildMem(t, dir, Options{})
	if got := navTitles(res.Nav); got != "Welcome,A first,Zed,Sub[Sub home,Sub page]" {
		t.Errorf("derived nav = %s", got)
	}
	for _, f := range []string{"index.html", "a_first/index.html", "sub/index.html", "sub/page/index.html", "assets/logo.svg"} {
		if _, ok := sink.Files[f]; !ok {
			t.Errorf("%s not built", f)
		}
	}
	for _, f := range []string{"hook.py", ".hidden/x/index.html", "drafts/d/index.html"} {
		if _, ok := sink.Files[f]; ok {
			t.Errorf("%s should be excluded", f)
		}
	}
}

func TestNavFromConfig(t *testing.T) {
	dir := writeSite(t, map[string]string{
		"mkdocs.yml":    "site_name: Nav\nnav:\n  - Start: index.md\n  - Section:\n    - b.md\n    - Docs: https://docs.example.com\n  - Gone: gone.md\n",
		"docs/index.md": "# Index\n", "docs/b.md": "# Bee\n", "docs/orphan.md": "# Orphan\n",
	})
	res, sink := buildMem(t, dir, Options{})
	if got := navTitles(res.Nav); got != "Start,Section[Bee,Docs]" {
		t.Errorf("nav = %s", got)
	}
	if !strings.Contains(warningsText(res.Warnings), `mkdocs.yml:7: nav entry "gone.md" is not a page`) {
		t.Errorf("missing nav warning:\n%s", warningsText(res.Warnings))
	}
	if _, ok := sink.Files["orphan/index.html"]; !ok {
		t.Error("page outside the nav not built")
	}
	page := string(sink.Files["b/index.html"])
	if !strings.Contains(page, `href="https://docs.example.com"`) || !strings.Contains(page, "md-nav__link--active") {
		t.Errorf("nav shell wrong:\n%s", page)
	}
}

func TestDocsDirMustStayInside(t *testing.T) {
	dir := writeSite(t, map[string]string{"mkdocs.yml": "site_name: X\ndocs_dir: ../elsewhere\n"})
	if _, err := Build(context.Background(), Options{SourceDir: dir, Sink: &MemSink{}}); err == nil || !strings.Contains(err.Error(), "docs_dir") {
		t.Errorf("err = %v", err)
	}
}

func TestSymlinkOutsideIsSkipped(t *testing.T) {
	dir := writeSite(t, map[string]string{"mkdocs.yml": "site_name: X\n", "docs/index.md": "# X\n"})
	secret := filepath.Join(t.TempDir(), "secret.txt")
	_ = os.WriteFile(secret, []byte("secret"), 0o600)
	if err := os.Symlink(secret, filepath.Join(dir, "docs", "leak.txt")); err != nil {
		t.Skip(err)
	}
	res, sink := buildMem(t, dir, Options{})
	if _, ok := sink.Files["leak.txt"]; ok {
		t.Error("a symlink leaving the source was followed")
	}
	if !strings.Contains(warningsText(res.Warnings), "leak.txt") {
		t.Errorf("no warning for the symlink: %s", warningsText(res.Warnings))
	}
}

func TestNoConfigUsesDefaults(t *testing.T) {
	dir := writeSite(t, map[string]string{"docs/index.md": "# Only\n"})
	res, _ := buildMem(t, dir, Options{DefaultSiteName: "payments"})
	if res.SiteName != "payments" || len(res.Pages) != 1 {
		t.Errorf("res = %+v", res)
	}
}

func TestDuplicateOutputs(t *testing.T) {
	dir := writeSite(t, map[string]string{
		"mkdocs.yml": "site_name: X\n", "docs/index.md": "# I\n", "docs/README.md": "# R\n",
	})
	res, sink := buildMem(t, dir, Options{})
	if len(res.Pages) != 1 || !strings.Contains(string(sink.Files["index.html"]), "<h1 id=\"i\">") {
		t.Errorf("index.md must win over README.md: %+v", res.Pages)
	}
	if !strings.Contains(warningsText(res.Warnings), "docs/README.md: builds to index.html") {
		t.Errorf("warnings: %s", warningsText(res.Warnings))
	}
}

func TestUnsupportedPluginsWarn(t *testing.T) {
	dir := writeSite(t, map[string]string{
		"mkdocs.yml":    "site_name: X\nplugins:\n  - techdocs-core\n  - search\n  - kroki\nmarkdown_extensions:\n  - admonition\n  - plantuml_markdown\n",
		"docs/index.md": "# X\n",
	})
	res, _ := buildMem(t, dir, Options{})
	w := warningsText(res.Warnings)
	if !strings.Contains(w, `mkdocs.yml:5: plugin "kroki"`) || !strings.Contains(w, `mkdocs.yml:8: Markdown extension "plantuml_markdown"`) || strings.Contains(w, "techdocs-core") {
		t.Errorf("warnings:\n%s", w)
	}
}
