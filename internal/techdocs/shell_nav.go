package techdocs

import (
	"slices"
	"strconv"
	"strings"
)

// Every page carries the whole primary nav, and the copies differ only in
// the entries marked active (the page and the sections above it) and in the
// relative prefix of each link, which depends on the page's depth alone.
// Rendering the tree per page made a site's build time grow with pages²;
// instead the nav is rendered once per prefix with nothing active, noting
// where each entry's two active markers go, and a page's copy is that text
// with a handful of markers spliced in.

// siteNav is the primary nav prepared for every page of one build. It is
// read-only once made, so page shells can be rendered in parallel.
type siteNav struct {
	section []bool              // per entry, in document order
	active  map[string][]int    // page source → entries to mark, ascending
	byBase  map[string]*navText // link prefix → rendered text
}

// navText is the nav rendered for one link prefix with nothing active.
type navText struct {
	html []byte
	at   [][2]int // per entry: where its two active markers go
}

// navMarkers are the active markers of a page entry and of a section.
var navMarkers = [2][2]string{
	{" md-nav__item--active", " md-nav__link--active"},
	{" md-nav__item--active", " checked"},
}

// newSiteNav prepares the nav for links prefixed by each of bases.
func newSiteNav(nav []NavItem, bases []string) *siteNav {
	tree := shellNavFor(nav, "__nav", 1)
	n := &siteNav{active: map[string][]int{}, byBase: map[string]*navText{}}
	n.index(tree, nil)
	for src, ids := range n.active {
		slices.Sort(ids)
		n.active[src] = slices.Compact(ids)
	}
	for _, base := range bases {
		if n.byBase[base] == nil {
			t := &navText{at: make([][2]int, 0, len(n.section))}
			t.render(tree, base)
			n.byBase[base] = t
		}
	}
	return n
}

// index numbers the entries in document order, as render meets them, and
// lists for each page the entries its copy marks: its own and the sections
// they sit in.
func (n *siteNav) index(items []shellNav, sections []int) {
	for _, it := range items {
		id := len(n.section)
		n.section = append(n.section, it.Section)
		switch {
		case it.Section:
			n.index(it.Children, append(sections, id))
		case it.source != "" && !it.external:
			n.active[it.source] = append(append(n.active[it.source], sections...), id)
		}
	}
}

// write appends the nav for the page with source src ("" marks nothing)
// whose links are prefixed by base, one of the bases newSiteNav was given.
func (n *siteNav) write(buf []byte, src, base string) []byte {
	t := n.byBase[base]
	last := 0
	for _, id := range n.active[src] {
		marks := navMarkers[0]
		if n.section[id] {
			marks = navMarkers[1]
		}
		for k, at := range t.at[id] {
			buf = append(append(buf, t.html[last:at]...), marks[k]...)
			last = at
		}
	}
	return append(buf, t.html[last:]...)
}

func (n *siteNav) size(base string) int { return len(n.byBase[base].html) + 64 }

func (t *navText) render(items []shellNav, base string) {
	for _, it := range items {
		title := escText(it.Title)
		var mark [2]int
		if it.Section {
			id := escAttr(it.ID)
			t.html = append(t.html, `<li class="md-nav__item md-nav__item--nested`...)
			mark[0] = len(t.html)
			t.html = append(t.html, `"><input class="md-nav__toggle md-toggle" type="checkbox" id="`+id+`"`...)
			mark[1] = len(t.html)
			t.html = append(t.html, `><label class="md-nav__link" for="`+id+`">`+title+`</label><nav class="md-nav" aria-label="`+escAttr(it.Title)+`" data-md-level="`+strconv.Itoa(it.Level)+
				`"><label class="md-nav__title" for="`+id+`">`+title+"</label><ul class=\"md-nav__list\">\n"...)
			t.at = append(t.at, mark)
			t.render(it.Children, base)
			t.html = append(t.html, "</ul></nav></li>\n"...)
			continue
		}
		href := it.Href
		if !it.external {
			href = orDefault(base+it.Href, "./")
		}
		t.html = append(t.html, `<li class="md-nav__item`...)
		mark[0] = len(t.html)
		t.html = append(t.html, `"><a href="`+escAttr(safeHref(href))+`" class="md-nav__link`...)
		mark[1] = len(t.html)
		t.html = append(t.html, `">`+title+"</a></li>\n"...)
		t.at = append(t.at, mark)
	}
}

// shellNav is one nav entry as the shell shows it. Page hrefs are relative
// to the site root; the page's prefix is added when rendering.
type shellNav struct {
	source   string
	external bool
	Title    string
	Href, ID string
	Section  bool
	Level    int
	Children []shellNav
}

func shellNavFor(items []NavItem, idPrefix string, level int) []shellNav {
	out := make([]shellNav, 0, len(items))
	for i, it := range items {
		n := shellNav{Title: it.Title, Level: level, ID: idPrefix + "_" + strconv.Itoa(i+1), source: it.Source, external: it.External, Href: it.URL}
		if it.Children != nil || (it.URL == "" && it.Source == "") {
			n.Section = true
			n.Children = shellNavFor(it.Children, n.ID, level+1)
		}
		out = append(out, n)
	}
	return out
}

// safeHref drops script and other executable URL schemes.
func safeHref(h string) string {
	l := strings.ToLower(strings.TrimSpace(h))
	for _, bad := range []string{"javascript:", "vbscript:", "data:"} {
		if strings.HasPrefix(l, bad) {
			return "#"
		}
	}
	return h
}
