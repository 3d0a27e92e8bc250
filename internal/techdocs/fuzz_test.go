package techdocs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fuzz targets run their seed corpus on every `go test`; `go test
// -fuzz FuzzBuildMarkdown` explores further. Both fail on a panic (which
// production code would turn into an error) and on slow inputs.

const fuzzBudget = 2 * time.Second

func markdownSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/golden/*.md")
	more, _ := filepath.Glob(filepath.Join(corpusDir, "*", "docs", "*.md"))
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"!!! note\n", "!!!\n", "??? \"\"\n", "===\n=== \"\"\n", "=== \"a\"\n\t\tx\n===! \"b\"\n",
		"!!! a\n    !!! b\n        !!! c\n            x\ny\n", "<div markdown>\n<div markdown>\nx\n</div>\n",
		"<div markdown>\n", "*[\n*[]: x\n*[a]: b\na a a", "[^1]\n\n[^1]: [^1]\n", "# {: #}\n", "# x {: .a .b #c k=v }\n",
		"[x](y){: .a}{: .b}", "- [x] \n- [ ]", "```{.x #y title=\"z\"}\n```\n", ":+1: :smile", "a\n{: }\n",
		"```\n" + strings.Repeat("x", 70000) + "\n```\n", strings.Repeat("> ", 300) + "x", strings.Repeat("- ", 300) + "x",
		strings.Repeat("=== \"t\"\n    ", 50) + "x", "\xff\xfe\x00", "---\ntitle: [\n---\n# x",
	} {
		f.Add([]byte(s))
	}
}

func FuzzBuildMarkdown(f *testing.F) {
	markdownSeeds(f)
	md := newMarkdown()
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 256<<10 {
			return
		}
		body, _, lines := splitFrontMatter(src)
		ps := newPageState(body, "fuzz.md", lines)
		ps.resolve = func(dest string, line int) string {
			if line < 0 {
				t.Errorf("negative line %d", line)
			}
			return dest + "#r"
		}
		start := time.Now()
		if err := convert(md, ps); err != nil {
			t.Fatalf("panic in the Markdown stack: %v", err)
		}
		if d := time.Since(start); d > fuzzBudget {
			t.Fatalf("rendering %d bytes took %s", len(src), d)
		}
		p := &page{Page: Page{URL: "x/", Title: "T"}, content: ps.html, toc: ps.toc}
		_ = searchEntries(p)
		_ = shellTOCFor(ps.toc)
	})
}

func FuzzMkdocsYAML(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(corpusDir, "*", "mkdocs.yml"))
	seeds2, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*", "mkdocs.yml"))
	for _, p := range append(seeds, seeds2...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"", "nav:\n- a\n- [b]\n- {c: [d, {e: f}]}\n", "a: &a [*a, *a]\nnav: *a\n", "nav: !ENV [X]\n",
		"site_name: !!python/name:x.y\n", "nav:\n  - !!binary aGk=\n", "exclude_docs: [a]\n", "docs_dir: ../x\n",
		"plugins: {a: 1, b: 2}\n", "markdown_extensions: x\n", "%YAML 1.1\n---\n- a\n", "nav:\n" + strings.Repeat(" - x:\n", 100),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		start := time.Now()
		cfg, _, err := parseConfig(data, "mkdocs.yml", map[string]string{"X": "y"})
		if err != nil && strings.Contains(err.Error(), "unreadable YAML") {
			t.Fatalf("panic in the YAML parser: %v", err)
		}
		if err != nil {
			return
		}
		b := fakeBuilder(cfg, "index.md", "a/b.md", "a/index.md")
		nav := b.buildNav()
		b.fillNavTitles(nav)
		_ = navPages(nav, b.files, map[string]bool{}, nil)
		_ = newSiteNav(nav, []string{""}).write(nil, b.pages[0].Source, "")
		if d := time.Since(start); d > fuzzBudget {
			t.Fatalf("config of %d bytes took %s", len(data), d)
		}
	})
}

// fakeBuilder is a builder over pages that exist only in memory.
func fakeBuilder(cfg config, pages ...string) *builder {
	b := &builder{cfg: cfg, cfgFile: "mkdocs.yml", docsDir: "docs", files: map[string]*srcFile{}, dirIndex: map[string]*page{}}
	for _, s := range pages {
		u, out := pageURL(s)
		p := &page{Page: Page{Source: s, URL: u, File: out, Title: titleFromPath(s)}, ids: idSet{}}
		b.files[s] = &srcFile{Path: s, Page: p}
		b.pages = append(b.pages, p)
	}
	return b
}

func FuzzCollapseSpace(f *testing.F) {
	for _, s := range []string{"", " a  b\t\nc ", "\u00a0x\u2028y\u0085", "\xff \xfe", "日本 語  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := collapseSpace(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Fatalf("collapseSpace(%q) = %q, want %q", s, got, want)
		}
	})
}
