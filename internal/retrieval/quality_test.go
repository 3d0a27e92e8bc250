package retrieval_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rigger-platform/rigger/internal/retrieval"
)

// qualityCases are questions a platform user would ask, each with the
// section that answers it (written down from reading the corpus, before
// looking at what the index returns). A second accepted location is given
// only where two sections answer equally (a how-to and its reference).
var qualityCases = []struct {
	question string
	want     []string
}{
	{"How do I deploy my project documentation to GitHub Pages?", []string{"mkdocs/user-guide/deploying-your-docs/#project-pages", "mkdocs/user-guide/deploying-your-docs/#github-pages"}},
	{"Can I serve the docs site under my own custom domain name?", []string{"mkdocs/user-guide/deploying-your-docs/#custom-domains"}},
	{"Which setting changes the output directory the HTML site is written to?", []string{"mkdocs/user-guide/configuration/#site_dir"}},
	{"How do I preview my docs locally with the live reloading dev server?", []string{"mkdocs/getting-started/#creating-a-new-project"}},
	{"How do I install MkDocs with pip?", []string{"mkdocs/user-guide/installation/#installing-mkdocs"}},
	{"How do I link from one markdown page to another page of my docs?", []string{"mkdocs/user-guide/writing-your-docs/#linking-to-pages"}},
	{"How do I add YAML meta-data at the top of a Markdown page?", []string{"mkdocs/user-guide/writing-your-docs/#yaml-style-meta-data"}},
	{"How can I override a single template block of the theme?", []string{"mkdocs/user-guide/customizing-your-theme/#overriding-template-blocks"}},
	{"How do I include an extra CSS stylesheet in every page?", []string{"mkdocs/user-guide/configuration/#extra_css"}},
	{"Can mkdocs.yml read values from environment variables?", []string{"mkdocs/user-guide/configuration/#environment-variables"}},
	{"Which plugin event runs after the build has finished?", []string{"mkdocs/dev-guide/plugins/#on_post_build"}},
	{"How do I register my plugin with an entry point in setup.py?", []string{"mkdocs/dev-guide/plugins/#entry-point"}},
	{"How do I show warning and error call-out boxes (admonitions) in TechDocs?", []string{"documented-component/extensions/#admonitions"}},
	{"Can I draw UML diagrams from text in my component's docs?", []string{"documented-component/extensions/#plantuml"}},
	{"How do I make the build abort when there are warnings?", []string{"mkdocs/user-guide/configuration/#strict"}},
	{"How do I change the favicon of the site?", []string{"mkdocs/getting-started/#changing-the-favicon-icon"}},
	{"How do I exclude some files in docs_dir from the site?", []string{"mkdocs/user-guide/configuration/#exclude_docs"}},
	{"How do I build docs that open from the local filesystem without a web server?", []string{"mkdocs/user-guide/deploying-your-docs/#local-files"}},
	{"Can one mkdocs.yml inherit its configuration from a parent config file?", []string{"mkdocs/user-guide/configuration/#configuration-inheritance"}},
	{"How do I add a custom 404 error page to my docs?", []string{"mkdocs/user-guide/deploying-your-docs/#404-pages"}},
	{"What is the syntax for tables in Markdown?", []string{"mkdocs/user-guide/writing-your-docs/#tables"}},
	{"Which IP address and port does mkdocs serve listen on, and how do I change it?", []string{"mkdocs/user-guide/configuration/#dev_addr"}},
	{"How do I set the locale so the theme is shown in French?", []string{"mkdocs/user-guide/localizing-your-theme/#usage"}},
	{"How do I add an 'edit this page' link to the repository?", []string{"mkdocs/user-guide/configuration/#edit_uri"}},
	{"How do I package and distribute a custom theme with Python?", []string{"mkdocs/dev-guide/themes/#packaging-themes", "mkdocs/dev-guide/themes/#distributing-themes"}},
}

func TestRetrievalQuality(t *testing.T) {
	ix := retrieval.Build(corpusSites(t)...)
	found := 0
	for _, c := range qualityCases {
		hits := ix.Search(c.question, 3)
		var got []string
		ok := false
		for _, h := range hits {
			got = append(got, h.Location)
			for _, w := range c.want {
				ok = ok || h.Location == "default/component/"+w
			}
		}
		if ok {
			found++
		} else {
			t.Logf("MISS %q\n\twant %v\n\tgot  %v", c.question, c.want, got)
		}
	}
	pct := 100 * found / len(qualityCases)
	line := fmt.Sprintf("retrieval top3: %d/%d = %d%%", found, len(qualityCases), pct)
	t.Log(line)
	fmt.Println(line)
	if len(qualityCases) < 15 {
		t.Fatalf("need at least 15 questions, have %d", len(qualityCases))
	}
	if found*100 < 80*len(qualityCases) {
		t.Errorf("%s: below 80%%", line)
	}
}

// TestSearchSnippet checks that a hit carries the passage around the
// matched words, not the start of a long section.
func TestSearchSnippet(t *testing.T) {
	filler := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 20)
	text := filler + "Set strict to true to halt the build when a warning is raised. " + filler
	ix := retrieval.Build(retrieval.Site{Base: "s", Docs: []retrieval.Document{{Location: "config/#strict", Title: "strict", Text: text}}})
	hits := ix.Search("abort the build on warnings", 1)
	if len(hits) != 1 {
		t.Fatalf("hits %+v", hits)
	}
	s := hits[0].Snippet
	if !strings.Contains(s, "halt the build when a warning is raised") || !strings.HasPrefix(s, "…") || !strings.HasSuffix(s, "…") ||
		len(s) > retrieval.SnippetLen+2*len("…") {
		t.Errorf("snippet %q", s)
	}
}
