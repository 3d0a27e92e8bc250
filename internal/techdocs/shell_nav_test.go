package techdocs

import (
	"strconv"
	"strings"
	"testing"
)

// TestSiteNavMatchesPerPageRendering checks the spliced nav against the
// nav rendered from scratch for each page, the way it was before it was
// prepared once per site: every page and the 404 page, at every depth, with
// nested sections, a page listed twice, a section holding only a link, and
// links outside the site.
func TestSiteNavMatchesPerPageRendering(t *testing.T) {
	nav := []NavItem{
		{Title: "Home", URL: "", Source: "index.md"},
		{Title: "Guide", Children: []NavItem{
			{Title: "Intro", URL: "guide/intro/", Source: "guide/intro.md"},
			{Title: "Deep", Children: []NavItem{
				{Title: "A & <b>", URL: "guide/deep/a/", Source: "guide/deep/a.md"},
				{Title: "Home again", URL: "", Source: "index.md"},
			}},
			{Title: "Issues", URL: "https://example.com/issues?a=1&b=2", External: true},
		}},
		{Title: "Links", Children: []NavItem{{Title: "Bad", URL: "javascript:alert(1)", External: true}}},
		{Title: "Empty section"},
		{Title: "Last", URL: "last/", Source: "last.md"},
	}
	pages := []*page{nil}
	for _, src := range []string{"index.md", "guide/intro.md", "guide/deep/a.md", "last.md", "unlisted.md"} {
		u, _ := pageURL(src)
		pages = append(pages, &page{Page: Page{Source: src, URL: u}})
	}
	var bases []string
	for _, p := range pages {
		bases = append(bases, pageBase(p))
	}
	n := newSiteNav(nav, bases)
	tree := shellNavFor(nav, "__nav", 1)
	for _, p := range pages {
		src, name := "", "404"
		if p != nil {
			src, name = p.Source, p.Source
		}
		var want strings.Builder
		naiveNav(&want, tree, src, pageBase(p))
		if got := string(n.write(nil, src, pageBase(p))); got != want.String() {
			t.Errorf("%s: nav differs\n--- want\n%s\n--- got\n%s", name, want.String(), got)
		}
	}
	home := string(n.write(nil, "index.md", ""))
	if c := strings.Count(home, "md-nav__link--active"); c != 2 {
		t.Errorf("home is listed twice, so twice active; got %d", c)
	}
	if !strings.Contains(home, `id="__nav_2_2" checked`) || strings.Contains(home, `id="__nav_3" checked`) {
		t.Errorf("sections above the page (and only those) should be open:\n%s", home)
	}
}

// naiveNav renders the nav for the page with source cur from scratch.
func naiveNav(b *strings.Builder, items []shellNav, cur, base string) {
	for _, n := range items {
		title := escText(n.Title)
		if n.Section {
			cls, checked := "", ""
			if cur != "" && navContains(n.Children, cur) {
				cls, checked = " md-nav__item--active", " checked"
			}
			id := escAttr(n.ID)
			b.WriteString(`<li class="md-nav__item md-nav__item--nested` + cls + `"><input class="md-nav__toggle md-toggle" type="checkbox" id="` + id + `"` + checked +
				`><label class="md-nav__link" for="` + id + `">` + title + `</label><nav class="md-nav" aria-label="` + escAttr(n.Title) + `" data-md-level="` + strconv.Itoa(n.Level) +
				`"><label class="md-nav__title" for="` + id + `">` + title + "</label><ul class=\"md-nav__list\">\n")
			naiveNav(b, n.Children, cur, base)
			b.WriteString("</ul></nav></li>\n")
			continue
		}
		href := n.Href
		if !n.external {
			href = orDefault(base+n.Href, "./")
		}
		if cur != "" && n.source == cur {
			b.WriteString(`<li class="md-nav__item md-nav__item--active"><a href="` + escAttr(safeHref(href)) + `" class="md-nav__link md-nav__link--active">` + title + "</a></li>\n")
		} else {
			b.WriteString(`<li class="md-nav__item"><a href="` + escAttr(safeHref(href)) + `" class="md-nav__link">` + title + "</a></li>\n")
		}
	}
}

func navContains(items []shellNav, src string) bool {
	for _, n := range items {
		if !n.Section && n.source == src || navContains(n.Children, src) {
			return true
		}
	}
	return false
}
