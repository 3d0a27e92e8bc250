package techdocs

import (
	"bytes"
	"html/template"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// The page shell follows mkdocs-material's structure and class names
// (md-header, md-sidebar--primary with md-nav--primary, md-sidebar--secondary
// with the page toc, md-content, md-typeset, md-footer), because Backstage's
// TechDocs reader locates and restyles exactly those elements. Every URL in
// it is relative, so the site works under any prefix the reader serves it
// from.

// The shell runs as two templates around the primary nav, which siteNav
// splices in: passing it through the template copied the largest part of
// every page once more.
var shellHead, shellTail = func() (*template.Template, *template.Template) {
	head, tail, _ := strings.Cut(shellSource, "{{/* nav */}}")
	return template.Must(template.New("head").Parse(head)), template.Must(template.New("tail").Parse(tail))
}()

const shellSource = `<!doctype html>
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
{{/* nav */}}</ul>
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
{{end}}{{end}}`

type shellData struct {
	SiteName, SiteDescription, PageTitle string
	Base, Home                           string
	RepoURL, RepoName                    string
	CSS, JS                              []string
	TOC                                  []shellTOC
	Content                              template.HTML
	EditURL                              string
	Prev, Next                           *shellLink
	Copyright                            template.HTML
}

type shellTOC struct {
	Title, Href string
	Children    []shellTOC
}

type shellLink struct{ Title, Href string }

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

// pageBase is the relative path from page p (nil for 404.html) to the
// site root, "" at the root.
func pageBase(p *page) string {
	if p == nil {
		return ""
	}
	if base := relURL("", p.URL); base != "./" {
		return base
	}
	return ""
}

// renderShell renders page p's file into dst's memory.
func (b *builder) renderShell(dst []byte, p *page, content []byte, title string) ([]byte, error) {
	base := pageBase(p)
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
	src := ""
	if p != nil {
		src = p.Source
		d.TOC = shellTOCFor(p.toc)
		d.EditURL = p.editURL
		if p.prev != nil {
			d.Prev = &shellLink{p.prev.Title, relURL(p.prev.URL, p.URL)}
		}
		if p.next != nil {
			d.Next = &shellLink{p.next.Title, relURL(p.next.URL, p.URL)}
		}
	}
	buf := bytes.NewBuffer(slices.Grow(dst[:0], b.nav.size(base)+len(content)+4096))
	if err := shellHead.Execute(buf, d); err != nil {
		return nil, err
	}
	buf = bytes.NewBuffer(b.nav.write(buf.Bytes(), src, base))
	if err := shellTail.Execute(buf, d); err != nil {
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
