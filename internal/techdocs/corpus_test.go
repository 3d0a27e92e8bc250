package techdocs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// corpusDir is the shared, read-only third-party corpus (see its README).
const corpusDir = "../../../shared/corpus/techdocs"

var fixedNow = func() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) }

// corpusSites lists every folder of the corpus holding an mkdocs.yml.
func corpusSites(t testing.TB) map[string]string {
	t.Helper()
	sites := map[string]string{}
	err := filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "mkdocs.yml" {
			rel, _ := filepath.Rel(corpusDir, filepath.Dir(p))
			sites[filepath.ToSlash(rel)] = filepath.Dir(p)
		}
		return nil
	})
	if err != nil || len(sites) == 0 {
		t.Skipf("corpus not available at %s: %v", corpusDir, err)
	}
	return sites
}

func buildMem(t testing.TB, dir string, opts Options) (*Result, *MemSink) {
	t.Helper()
	sink := &MemSink{}
	opts.SourceDir, opts.Sink = dir, sink
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	res, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatalf("build %s: %v", dir, err)
	}
	return res, sink
}

// TestCorpusSites builds every corpus site and checks the output against
// the sources: one page per Markdown file, the nav, the search index, the
// metadata, and that every internal link in the output resolves.
func TestCorpusSites(t *testing.T) {
	for name, dir := range corpusSites(t) {
		t.Run(name, func(t *testing.T) {
			res, sink := buildMem(t, dir, Options{Etag: "abc123"})
			for _, w := range res.Warnings {
				t.Logf("warning: %s", w)
			}
			checkPagesMatchSources(t, dir, res, sink)
			checkSearchIndex(t, res, sink)
			checkMetadata(t, res, sink)
			checkLinksResolve(t, res, sink)
		})
	}
}

func checkPagesMatchSources(t *testing.T, dir string, res *Result, sink *MemSink) {
	docs := filepath.Join(dir, "docs")
	var sources []string
	_ = filepath.WalkDir(docs, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && isMarkdown(p) {
			rel, _ := filepath.Rel(docs, p)
			sources = append(sources, filepath.ToSlash(rel))
		}
		return nil
	})
	if len(res.Pages) != len(sources) {
		t.Errorf("%d pages built from %d Markdown files", len(res.Pages), len(sources))
	}
	bySource := map[string]Page{}
	for _, p := range res.Pages {
		bySource[p.Source] = p
	}
	for _, s := range sources {
		p, ok := bySource[s]
		if !ok {
			t.Errorf("no page for %s", s)
			continue
		}
		_, wantFile := pageURL(s)
		if p.File != wantFile {
			t.Errorf("%s built to %s, want %s", s, p.File, wantFile)
		}
		if _, ok := sink.Files[p.File]; !ok {
			t.Errorf("%s: %s not written", s, p.File)
		}
		if p.Title == "" {
			t.Errorf("%s has no title", s)
		}
	}
	for _, f := range []string{"404.html", "sitemap.xml", "sitemap.xml.gz", "search/search_index.json", "techdocs_metadata.json"} {
		if _, ok := sink.Files[f]; !ok {
			t.Errorf("%s missing", f)
		}
	}
}

func checkSearchIndex(t *testing.T, res *Result, sink *MemSink) {
	var idx searchIndex
	if err := json.Unmarshal(sink.Files["search/search_index.json"], &idx); err != nil {
		t.Fatalf("search index: %v", err)
	}
	pages := map[string]bool{}
	for _, d := range idx.Docs {
		loc, frag, hasFrag := strings.Cut(d.Location, "#")
		file := loc + "index.html"
		body, ok := sink.Files[file]
		if !ok {
			t.Errorf("search entry %q: no page %s", d.Location, file)
			continue
		}
		if !hasFrag {
			pages[loc] = true
			continue
		}
		if !bytes.Contains(body, []byte(`id="`+frag+`"`)) {
			t.Errorf("search entry %q: no such heading id", d.Location)
		}
	}
	if len(pages) != len(res.Pages) {
		t.Errorf("search index has %d page entries for %d pages", len(pages), len(res.Pages))
	}
}

func checkMetadata(t *testing.T, res *Result, sink *MemSink) {
	var meta struct {
		SiteName       string   `json:"site_name"`
		Etag           string   `json:"etag"`
		BuildTimestamp int64    `json:"build_timestamp"`
		Files          []string `json:"files"`
	}
	if err := json.Unmarshal(sink.Files["techdocs_metadata.json"], &meta); err != nil {
		t.Fatal(err)
	}
	if meta.SiteName != res.SiteName || meta.Etag != "abc123" || meta.BuildTimestamp != fixedNow().UnixMilli() {
		t.Errorf("metadata = %+v", meta)
	}
	if got := sink.Names(); strings.Join(got, "\n") != strings.Join(meta.Files, "\n") {
		t.Errorf("metadata files != written files:\n%v\n%v", meta.Files, got)
	}
}

// checkLinksResolve parses every HTML file and follows each relative href
// and src: it must name a written file (a folder URL its index.html), and a
// fragment into a page an id there, unless the build warned about it.
func checkLinksResolve(t *testing.T, res *Result, sink *MemSink) {
	warned := func(dest string) bool {
		_, frag, _ := strings.Cut(dest, "#")
		for _, w := range res.Warnings {
			if strings.Contains(w.Message, `"`+dest+`"`) || frag != "" && strings.Contains(w.Message, "anchor #"+frag+",") {
				return true
			}
		}
		return false
	}
	checked := 0
	for name, body := range sink.Files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		for _, ref := range htmlRefs(body) {
			if ref == "" || schemeRE.MatchString(ref) || strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "#") {
				continue
			}
			checked++
			p, frag, _ := strings.Cut(ref, "#")
			p, _, _ = strings.Cut(p, "?")
			target := path.Join(path.Dir(name), p)
			if strings.HasSuffix(p, "/") || p == "." || p == "./" {
				target = strings.TrimPrefix(path.Join(target, "index.html"), "./")
			}
			if name == "404.html" {
				continue // its links are site-root relative, as in MkDocs
			}
			tb, ok := sink.Files[target]
			if !ok && path.Ext(target) == "" { // a folder URL without its slash, as servers redirect
				target = path.Join(target, "index.html")
				tb, ok = sink.Files[target]
			}
			switch {
			case !ok && !warned(ref):
				t.Errorf("%s: link %q -> %s, which was not built", name, ref, target)
			case ok && frag != "" && strings.HasSuffix(target, ".html") && !bytes.Contains(tb, []byte(`id="`+frag+`"`)) && !warned(ref):
				t.Errorf("%s: link %q: %s has no id %q", name, ref, target, frag)
			}
		}
	}
	if checked == 0 {
		t.Error("no internal links checked")
	}
}

func htmlRefs(body []byte) []string {
	var out []string
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		_, more := z.TagName()
		for more {
			var k, v []byte
			k, v, more = z.TagAttr()
			if string(k) == "href" || string(k) == "src" {
				out = append(out, string(v))
			}
		}
	}
}

// TestCorpusNav checks the nav trees against the corpus mkdocs.yml files.
func TestCorpusNav(t *testing.T) {
	sites := corpusSites(t)
	res, _ := buildMem(t, sites["backstage-documented-component"], Options{})
	if got := navTitles(res.Nav); got != "Home,Subpage,Code Sample,Extensions" {
		t.Errorf("documented-component nav = %s", got)
	}
	res, _ = buildMem(t, sites["mkdocs"], Options{})
	if got := navTitles(res.Nav); got != "Home,Getting Started,User Guide[User Guide,Choosing your Theme,Command Line Interface,Configuration,Customizing Your Theme,Deploying your docs,MkDocs Installation,Localizing Your Theme,Writing your docs],Developer Guide[Developer Guide,API reference,MkDocs Plugins,Developing Themes,Translations],About[Release Notes,Contributing,License]" {
		t.Errorf("mkdocs nav = %s", got)
	}
	// Pages outside the nav are still built.
	res, sink := buildMem(t, sites["backstage-documented-component"], Options{})
	for _, p := range res.Pages {
		if p.Source == "image-gallery.md" {
			if p.InNav {
				t.Error("image-gallery.md is not in the nav")
			}
			if _, ok := sink.Files["image-gallery/index.html"]; !ok {
				t.Error("image-gallery page not built")
			}
		}
	}
}

func navTitles(items []NavItem) string {
	var parts []string
	for _, it := range items {
		s := it.Title
		if it.Children != nil {
			s += "[" + navTitles(it.Children) + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ",")
}

// TestCorpusDeterministic builds each site twice: the bytes must match.
func TestCorpusDeterministic(t *testing.T) {
	for name, dir := range corpusSites(t) {
		_, a := buildMem(t, dir, Options{Workers: 1})
		_, b := buildMem(t, dir, Options{Workers: 4})
		if len(a.Files) != len(b.Files) {
			t.Fatalf("%s: %d vs %d files", name, len(a.Files), len(b.Files))
		}
		for f, data := range a.Files {
			if !bytes.Equal(data, b.Files[f]) {
				t.Errorf("%s: %s differs between builds", name, f)
			}
		}
	}
}

// TestCorpusStrict: the corpus has broken links, so a strict build fails
// and writes nothing.
func TestCorpusStrict(t *testing.T) {
	dir := corpusSites(t)["backstage-documented-component"]
	out := t.TempDir()
	res, err := Build(context.Background(), Options{SourceDir: dir, OutDir: out, Strict: true, Now: fixedNow})
	var se *StrictError
	if !errors.As(err, &se) || len(se.Warnings) == 0 || res == nil {
		t.Fatalf("strict build: err=%v", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("strict failure wrote %d entries", len(entries))
	}
}
