package techdocs

import (
	"bytes"
	"html/template"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// The page shell follows mkdocs-material's structure and class names
// (md-header, md-sidebar--primary with md-nav--primary, md-sidebar--secondary
// with the page toc, md-content, md-typeset, md-footer), because Backstage's
// TechDocs reader locates and restyles exactly those elements. Every URL in
// it is relative, so the site works under any prefix the reader serves it
// from.

var shellTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en" class="no-js">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
{{with .SiteDescription}}<meta name="description" content="{{.}}">
{{end}}<meta name="generator" content="rigger-techdocs">
<title>{{if .PageTitle}}{{.PageTitle}} - {{end}}{{.SiteName}}</title>
<link rel="stylesheet" href="{{.Base}}assets/stylesheets/techdocs.css">
{{range .CSS}}<link rel="stylesheet" href="{{.}}">
{{end}}</head>
<body dir="ltr">
<div class="md-container" data-md-component="container">
<header class="md-header" data-md-component="header">
<nav class="md-header__inner md-grid" aria-label="Header"><a href="{{.Home}}" title="{{.SiteName}}" class="md-header__button md-logo">{{.SiteName}}</a><div class="md-header__title"><span class="md-ellipsis">{{.SiteName}}</span>{{if .PageTitle}} <span class="md-ellipsis">{{.PageTitle}}</span>{{end}}</div>{{with .RepoURL}}<div class="md-header__source"><a href="{{.}}" title="Go to repository" class="md-source">{{$.RepoName}}</a></div>{{end}}</nav>
</header>
<main class="md-main" data-md-component="main">
<div class="md-main__inner md-grid">
<div class="md-sidebar md-sidebar--primary" data-md-component="sidebar" data-md-type="navigation">
<div class="md-sidebar__scrollwrap"><div class="md-sidebar__inner">
<nav class="md-nav md-nav--primary" aria-label="Navigation" data-md-level="0">
<label class="md-nav__title" for="__drawer">{{.SiteName}}</label>
<ul class="md-nav__list" data-md-scrollfix>
{{.NavHTML}}</ul>
</nav>
</div></div>
</div>
<div class="md-sidebar md-sidebar--secondary" data-md-component="sidebar" data-md-type="toc">
<div class="md-sidebar__scrollwrap"><div class="md-sidebar__inner">
<nav class="md-nav md-nav--secondary" aria-label="Table of contents">
{{if .TOC}}<label class="md-nav__title" for="__toc">Table of contents</label>
<ul class="md-nav__list" data-md-component="toc" data-md-scrollfix>
{{template "toc" .TOC}}</ul>
{{end}}</nav>
</div></div>
</div>
<div class="md-content" data-md-component="content">
<article class="md-content__inner md-typeset">
{{with .EditURL}}<a href="{{.}}" title="Edit this page" class="md-content__button md-icon">Edit this page</a>
{{end}}{{.Content}}</article>
</div>
</div>
</main>
<footer class="md-footer">
{{if or .Prev .Next}}<nav class="md-footer__inner md-grid" aria-label="Footer">{{with .Prev}}<a href="{{.Href}}" class="md-footer__link md-footer__link--prev" rel="prev"><div class="md-footer__title"><span class="md-footer__direction">Previous</span><div class="md-ellipsis">{{.Title}}</div></div></a>{{end}}{{with .Next}}<a href="{{.Href}}" class="md-footer__link md-footer__link--next" rel="next"><div class="md-footer__title"><span class="md-footer__direction">Next</span><div class="md-ellipsis">{{.Title}}</div></div></a>{{end}}</nav>
{{end}}<div class="md-footer-meta md-typeset"><div class="md-footer-meta__inner md-grid"><div class="md-copyright">{{.Copyright}}</div></div></div>
</footer>
</div>
{{range .JS}}<script src="{{.}}"></script>
{{end}}</body>
</html>
{{define "toc"}}{{range .}}<li class="md-nav__item"><a href="{{.Href}}" class="md-nav__link">{{.Title}}</a>{{if .Children}}<nav class="md-nav" aria-label="{{.Title}}"><ul class="md-nav__list">
{{template "toc" .Children}}</ul></nav>{{end}}</li>
{{end}}{{end}}`))

type shellData struct {
	SiteName, SiteDescription, PageTitle string
	Base, Home                           string
	RepoURL, RepoName                    string
	CSS, JS                              []string
	NavHTML                              template.HTML
	TOC                                  []shellTOC
	Content                              template.HTML
	EditURL                              string
	Prev, Next                           *shellLink
	Copyright                            template.HTML
}

type shellNav struct {
	source          string
	external        bool
	Title, Href, ID string
	Section, Active bool
	Level           int
	Children        []shellNav
}

// navHTML renders the nav for page p (nil for 404.html). Page links are
// base + URL (base leads to the site root), which costs one concatenation
// per entry instead of a relative-path computation.
func (b *builder) navHTML(nav []NavItem, p *page, base string) string {
	if b.navTree == nil {
		b.navTree, _ = shellNavFor(nav, nil, "__nav", 1)
		markSources(b.navTree, nav)
	}
	var sb strings.Builder
	sb.Grow(len(b.navTree) * 160)
	cur := ""
	if p != nil {
		cur = p.Source
	}
	writeNavFor(&sb, b.navTree, cur, base)
	return sb.String()
}

// markSources copies page sources onto the prepared nav so the active
// entry can be found per page.
func markSources(items []shellNav, nav []NavItem) {
	for i := range items {
		if i < len(nav) {
			items[i].source = nav[i].Source
			items[i].external = nav[i].External
			markSources(items[i].Children, nav[i].Children)
		}
	}
}

func containsSource(items []shellNav, src string) bool {
	for _, n := range items {
		if n.source == src && src != "" || containsSource(n.Children, src) {
			return true
		}
	}
	return false
}

func writeNavFor(b *strings.Builder, items []shellNav, cur, base string) {
	for _, n := range items {
		title := escText(n.Title)
		if n.Section {
			active := containsSource(n.Children, cur)
			cls, checked := "", ""
			if active {
				cls, checked = " md-nav__item--active", " checked"
			}
			id := escAttr(n.ID)
			b.WriteString(`<li class="md-nav__item md-nav__item--nested` + cls + `"><input class="md-nav__toggle md-toggle" type="checkbox" id="` + id + `"` + checked +
				`><label class="md-nav__link" for="` + id + `">` + title + `</label><nav class="md-nav" aria-label="` + escAttr(n.Title) + `" data-md-level="` + strconv.Itoa(n.Level) +
				`"><label class="md-nav__title" for="` + id + `">` + title + "</label><ul class=\"md-nav__list\">\n")
			writeNavFor(b, n.Children, cur, base)
			b.WriteString("</ul></nav></li>\n")
			continue
		}
		href := n.Href
		if !n.external {
			href = base + n.Href
			if href == "" {
				href = "./"
			}
		}
		if cur != "" && n.source == cur {
			b.WriteString(`<li class="md-nav__item md-nav__item--active"><a href="` + escAttr(safeHref(href)) + `" class="md-nav__link md-nav__link--active">` + title + "</a></li>\n")
		} else {
			b.WriteString(`<li class="md-nav__item"><a href="` + escAttr(safeHref(href)) + `" class="md-nav__link">` + title + "</a></li>\n")
		}
	}
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

type shellTOC struct {
	Title, Href string
	Children    []shellTOC
}

type shellLink struct{ Title, Href string }

// shellNavFor renders the nav for the page at URL current ("" for the 404
// page, which marks nothing active).
func shellNavFor(items []NavItem, current *page, idPrefix string, level int) ([]shellNav, bool) {
	var out []shellNav
	anyActive := false
	for i, it := range items {
		n := shellNav{Title: it.Title, Level: level, ID: idPrefix + "_" + strconv.Itoa(i+1)}
		switch {
		case it.Children != nil || (it.URL == "" && it.Source == ""):
			n.Section = true
			n.Children, n.Active = shellNavFor(it.Children, current, n.ID, level+1)
		case it.External:
			n.Href = it.URL
		default:
			if current != nil {
				n.Href = relURL(it.URL, current.URL)
				n.Active = it.Source == current.Source
			} else {
				n.Href = it.URL // site-root relative; navHTML prefixes the page's base
			}
		}
		anyActive = anyActive || n.Active
		out = append(out, n)
	}
	return out, anyActive
}

// shellTOCFor nests the page's headings by level. Like mkdocs-material, a
// leading h1 is the page title and not repeated: its children are the toc.
func shellTOCFor(toc []tocEntry) []shellTOC {
	if len(toc) > 0 && toc[0].Level == 1 {
		single := true
		for _, e := range toc[1:] {
			if e.Level == 1 {
				single = false
			}
		}
		if single {
			toc = toc[1:]
		}
	}
	out, _ := nestTOC(toc, 0)
	return out
}

func nestTOC(toc []tocEntry, i int) ([]shellTOC, int) {
	var out []shellTOC
	if i >= len(toc) {
		return nil, i
	}
	level := toc[i].Level
	for i < len(toc) {
		e := toc[i]
		if e.Level < level {
			break
		}
		if e.Level > level && len(out) > 0 {
			var kids []shellTOC
			kids, i = nestTOC(toc, i)
			out[len(out)-1].Children = append(out[len(out)-1].Children, kids...)
			continue
		}
		out = append(out, shellTOC{Title: e.Title, Href: "#" + e.ID})
		i++
	}
	return out, i
}

func (b *builder) renderShell(p *page, nav []NavItem, content []byte, title string) ([]byte, error) {
	base := "./"
	if p != nil {
		base = relURL("", p.URL)
	}
	if base == "./" {
		base = ""
	}
	d := shellData{
		SiteName:        b.cfg.SiteName,
		SiteDescription: b.cfg.SiteDescription,
		PageTitle:       title,
		Base:            base,
		Home:            orDefault(base, "./"),
		RepoURL:         b.cfg.RepoURL,
		RepoName:        orDefault(b.cfg.RepoName, repoName(b.cfg.RepoURL)),
		Content:         template.HTML(content),
		Copyright:       template.HTML(b.cfg.Copyright),
	}
	for _, c := range b.cfg.ExtraCSS {
		d.CSS = append(d.CSS, b.assetHref(c, base))
	}
	for _, j := range b.cfg.ExtraJS {
		d.JS = append(d.JS, b.assetHref(j, base))
	}
	d.NavHTML = template.HTML(b.navHTML(nav, p, base))
	if p != nil {
		d.TOC = shellTOCFor(p.toc)
		d.EditURL = p.editURL
		if p.prev != nil {
			d.Prev = &shellLink{p.prev.Title, relURL(p.prev.URL, p.URL)}
		}
		if p.next != nil {
			d.Next = &shellLink{p.next.Title, relURL(p.next.URL, p.URL)}
		}
	}
	var buf bytes.Buffer
	if err := shellTemplate.Execute(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// assetHref makes an extra_css/extra_javascript entry relative to the page;
// absolute URLs are kept.
func (b *builder) assetHref(ref, base string) string {
	if schemeRE.MatchString(ref) || strings.HasPrefix(ref, "/") {
		return ref
	}
	return base + strings.TrimPrefix(ref, "./")
}

// repoName is MkDocs' default repo_name: GitHub, GitLab or Bitbucket.
func repoName(repo string) string {
	u, err := url.Parse(repo)
	if err != nil {
		return ""
	}
	switch h := strings.ToLower(u.Host); {
	case strings.Contains(h, "github"):
		return "GitHub"
	case strings.Contains(h, "gitlab"):
		return "GitLab"
	case strings.Contains(h, "bitbucket"):
		return "Bitbucket"
	}
	return ""
}

// editURL is MkDocs' page.edit_url: repo_url joined with edit_uri (by
// default edit/master/docs/ on GitHub and GitLab) and the page's path.
func editURL(cfg config, docsDir, src string) string {
	if cfg.RepoURL == "" {
		return ""
	}
	editURI := cfg.EditURI
	if !cfg.EditURISet {
		switch repoName(cfg.RepoURL) {
		case "GitHub", "GitLab":
			editURI = "edit/master/docs/"
		case "Bitbucket":
			editURI = "src/default/docs/"
		}
	}
	if editURI == "" {
		return ""
	}
	if !strings.HasSuffix(editURI, "/") && !strings.ContainsAny(editURI, "?#") {
		editURI += "/"
	}
	repo := cfg.RepoURL
	if !strings.HasPrefix(editURI, "?") && !strings.HasPrefix(editURI, "#") && !strings.HasSuffix(repo, "/") {
		repo += "/"
	}
	base, err := url.Parse(repo)
	if err != nil {
		return ""
	}
	ref, err := url.Parse(editURI)
	if err != nil {
		return ""
	}
	return base.ResolveReference(ref).String() + (&url.URL{Path: src}).EscapedPath()
}

var rawIDRE = regexp.MustCompile(`\s(?:id|name)="([^"]+)"`)

// collectRawIDs adds ids that appear in the page's HTML (raw HTML, footnotes,
// tabs) to the anchors links may target.
func collectRawIDs(html []byte, ids idSet) {
	for _, m := range rawIDRE.FindAllSubmatch(html, -1) {
		ids[string(m[1])] = true
	}
}
