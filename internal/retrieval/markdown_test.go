package retrieval_test

import (
	"html"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rigger-platform/rigger/internal/retrieval"
)

// The corpus has no built search_index.json yet, so the tests derive the
// entries MkDocs' search plugin would write, directly from the Markdown:
// one entry per page (whole text) and one per h1–h6 heading (the text up to
// the next heading), at "page/#anchor", with use_directory_urls locations
// ("user-guide/cli.md" -> "user-guide/cli/", "index.md" -> "").

var (
	headingRE  = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	attrIDRE   = regexp.MustCompile(`\s*\{[^}]*#([\w-]+)[^}]*\}\s*$`)
	linkRE     = regexp.MustCompile(`\]\([^)]*\)`)
	refDefRE   = regexp.MustCompile(`^\s*\[[^\]]+\]:\s*\S+`)
	mdMarkupRE = regexp.MustCompile("[*`]")
	slugDropRE = regexp.MustCompile(`[^\w\s-]`)
	slugSepRE  = regexp.MustCompile(`[-\s]+`)
)

// markdownSite reads every .md file under dir.
func markdownSite(t testing.TB, dir string) []retrieval.Document {
	t.Helper()
	var docs []retrieval.Document
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		docs = append(docs, markdownPage(pageLocation(filepath.ToSlash(rel)), string(src))...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func pageLocation(rel string) string {
	dir, file := path.Split(strings.TrimSuffix(rel, ".md"))
	if file == "index" || file == "README" {
		return dir
	}
	return dir + file + "/"
}

// markdownPage splits one page into MkDocs search entries.
func markdownPage(loc, src string) []retrieval.Document {
	type section struct {
		title, anchor string
		body          []string
	}
	var sections []*section
	var all []string
	pageTitle := ""
	seen := map[string]int{}
	fence := ""
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
		} else if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
		} else if m := headingRE.FindStringSubmatch(line); m != nil {
			title, anchor := headingTitle(m[2])
			if n := seen[anchor]; n > 0 {
				seen[anchor]++
				anchor += "_" + strconv.Itoa(n)
			} else {
				seen[anchor] = 1
			}
			if pageTitle == "" && m[1] == "#" {
				pageTitle = title
			}
			sections = append(sections, &section{title: title, anchor: anchor})
			continue
		}
		if refDefRE.MatchString(line) {
			continue
		}
		line = linkRE.ReplaceAllString(line, "]")
		all = append(all, line)
		if len(sections) > 0 {
			s := sections[len(sections)-1]
			s.body = append(s.body, line)
		}
	}
	if pageTitle == "" {
		pageTitle = strings.Trim(path.Base(loc), "/")
	}
	docs := []retrieval.Document{{Location: loc, Title: pageTitle, Text: strings.Join(all, "\n")}}
	for _, s := range sections {
		docs = append(docs, retrieval.Document{Location: loc + "#" + s.anchor, Title: s.title, Text: strings.Join(s.body, "\n")})
	}
	return docs
}

// headingTitle returns a heading's text and its anchor: an attr_list
// "{#id}" when given, else Python-Markdown's default slugify.
func headingTitle(raw string) (title, anchor string) {
	if m := attrIDRE.FindStringSubmatch(raw); m != nil {
		raw = raw[:len(raw)-len(m[0])]
		anchor = m[1]
	}
	title = html.UnescapeString(mdMarkupRE.ReplaceAllString(raw, ""))
	if anchor == "" {
		s := slugDropRE.ReplaceAllString(title, "")
		anchor = slugSepRE.ReplaceAllString(strings.ToLower(strings.TrimSpace(s)), "-")
	}
	return title, anchor
}

// corpusSites is the shared TechDocs corpus as three published sites.
func corpusSites(t testing.TB) []retrieval.Site {
	root := corpusRoot(t)
	return []retrieval.Site{
		{Base: "default/component/mkdocs", Docs: markdownSite(t, filepath.Join(root, "mkdocs", "docs"))},
		{Base: "default/component/documented-component", Docs: markdownSite(t, filepath.Join(root, "backstage-documented-component", "docs"))},
		{Base: "default/component/techdocs-core-fixtures", Docs: markdownSite(t, filepath.Join(root, "techdocs-core-test-fixtures", "test-fixtures", "docs"))},
	}
}

func corpusRoot(t testing.TB) string {
	t.Helper()
	for _, dir := range []string{os.Getenv("RIGGER_CORPUS"), "../../../shared/corpus", "/work/shared/corpus"} {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, "techdocs")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("TechDocs corpus not found (set RIGGER_CORPUS to the shared/corpus directory)")
	return ""
}

func TestMarkdownSections(t *testing.T) {
	docs := markdownPage("user-guide/cli/", "# CLI\n\nintro\n\n```sh\n# not a heading\n```\n## `mkdocs serve` {#serve}\nrun it\n## Run\n## Run\n")
	want := []string{"user-guide/cli/", "user-guide/cli/#cli", "user-guide/cli/#serve", "user-guide/cli/#run", "user-guide/cli/#run_1"}
	if len(docs) != len(want) {
		t.Fatalf("got %d docs: %+v", len(docs), docs)
	}
	for i, w := range want {
		if docs[i].Location != w {
			t.Errorf("doc %d location %q, want %q", i, docs[i].Location, w)
		}
	}
	if docs[2].Title != "mkdocs serve" || !strings.Contains(docs[1].Text, "# not a heading") {
		t.Errorf("sections: %+v", docs)
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
