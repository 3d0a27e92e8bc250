package techdocs

import (
	"path"
	"strings"
)

// buildNav resolves mkdocs.yml's nav against the pages, or derives it from
// the files when there is none. Pages get their nav titles and InNav flags.
func (b *builder) buildNav() []NavItem {
	if !b.cfg.NavSet {
		return b.derivedNav("", 0)
	}
	return b.resolveNav(b.cfg.Nav, 0)
}

func (b *builder) resolveNav(specs []navSpec, depth int) []NavItem {
	var out []NavItem
	for _, s := range specs {
		if depth > maxYAMLDepth {
			break
		}
		if s.Section {
			out = append(out, NavItem{Title: s.Title, Children: b.resolveNav(s.Children, depth+1)})
			continue
		}
		t := s.Target
		if schemeRE.MatchString(t) || strings.HasPrefix(t, "//") || strings.HasPrefix(t, "/") {
			out = append(out, NavItem{Title: orDefault(s.Title, t), URL: t, External: true})
			continue
		}
		clean := path.Clean(strings.TrimPrefix(t, "./"))
		if clean == ".." || strings.HasPrefix(clean, "../") {
			b.warn(Warning{File: b.cfgFile, Line: s.Line, Message: "nav entry " + quote(t) + " points outside docs_dir"})
			continue
		}
		if f := b.files[clean]; f != nil && f.Page != nil {
			p := f.Page
			if s.Title != "" && p.navTitle == "" {
				p.navTitle = s.Title
			}
			p.InNav = true
			out = append(out, NavItem{Title: s.Title, URL: p.URL, Source: p.Source})
			continue
		}
		// A folder: MkDocs itself would show a broken link; the nav plugins
		// people use for this (literate-nav, awesome-pages) expand it to its
		// pages, which is the useful reading.
		if b.dirHasPages(clean) {
			out = append(out, NavItem{Title: orDefault(s.Title, dirTitle(path.Base(clean))), Children: b.derivedNav(clean, depth+1)})
			continue
		}
		b.warn(Warning{File: b.cfgFile, Line: s.Line, Message: "nav entry " + quote(t) + " is not a page in " + b.docsDir})
	}
	return out
}

func (b *builder) dirHasPages(dir string) bool {
	prefix := dir + "/"
	for _, p := range b.pages {
		if strings.HasPrefix(p.Source, prefix) {
			return true
		}
	}
	return false
}

// derivedNav is MkDocs' nav without a nav setting: the folder's index
// first, then its pages, then one section per subfolder.
func (b *builder) derivedNav(dir string, depth int) []NavItem {
	if depth > maxNesting {
		return nil
	}
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	var out []NavItem
	var subdirs []string
	seen := map[string]bool{}
	for _, p := range b.pages { // b.pages is in MkDocs' walk order
		if !strings.HasPrefix(p.Source, prefix) {
			continue
		}
		rest := p.Source[len(prefix):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			if d := rest[:i]; !seen[d] {
				seen[d] = true
				subdirs = append(subdirs, d)
			}
			continue
		}
		p.InNav = true
		out = append(out, NavItem{URL: p.URL, Source: p.Source})
	}
	for _, d := range subdirs {
		out = append(out, NavItem{Title: dirTitle(d), Children: b.derivedNav(prefix+d, depth+1)})
	}
	return out
}

// fillNavTitles gives page entries without an explicit title the page's
// title, once pages are rendered and their headings known.
func (b *builder) fillNavTitles(items []NavItem) {
	for i := range items {
		if items[i].Source != "" && items[i].Title == "" {
			if f := b.files[items[i].Source]; f != nil && f.Page != nil {
				items[i].Title = f.Page.Title
			}
		}
		b.fillNavTitles(items[i].Children)
	}
}

// navPages lists the pages in nav order, each once, for prev/next links
// and for search order.
func navPages(items []NavItem, files map[string]*srcFile, seen map[string]bool, out []*page) []*page {
	for _, it := range items {
		if it.Source != "" && !seen[it.Source] {
			if f := files[it.Source]; f != nil && f.Page != nil {
				seen[it.Source] = true
				out = append(out, f.Page)
			}
		}
		out = navPages(it.Children, files, seen, out)
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func quote(s string) string { return `"` + s + `"` }
