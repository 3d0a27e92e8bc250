package techdocs

import (
	"sort"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	rhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// Python-Markdown serialises an element's attributes sorted by name
// (<a class="btn" href="…" title="…">, <img alt="…" src="…" />). These
// renderers do the same for the elements attr_list can decorate, so
// attributes come out in the same order, and drop script URLs, which raw
// HTML mode would otherwise let through.

type attrRenderer struct{}

func (attrRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindLink, renderLink)
	reg.Register(ast.KindImage, renderImage)
	reg.Register(ast.KindParagraph, renderParagraph)
}

// sortedAttrs merges fixed attributes with the node's own (the node's win
// except for the fixed ones named in keep) and sorts them.
func sortedAttrs(n ast.Node, fixed []attr, filter util.BytesFilter) []attr {
	out := append([]attr(nil), fixed...)
	seen := map[string]bool{}
	for _, a := range fixed {
		seen[a.Name] = true
	}
	for _, a := range n.Attributes() {
		name := string(a.Name)
		if seen[name] || name == "fnlabel" || filter != nil && !filter.Contains(a.Name) && !(len(name) > 5 && name[:5] == "data-") {
			continue
		}
		seen[name] = true
		out = append(out, attr{name, attrString(a.Value)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func writeAttrs(w util.BufWriter, attrs []attr) {
	for _, a := range attrs {
		_, _ = w.WriteString(" " + a.Name + `="` + escAttr(a.Value) + `"`)
	}
}

func safeURL(dest []byte) string {
	d := util.URLEscape(dest, true)
	if rhtml.IsDangerousURL(d) {
		return ""
	}
	return string(d)
}

func renderLink(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	if !entering {
		_, _ = w.WriteString("</a>")
		return ast.WalkContinue, nil
	}
	fixed := []attr{{"href", safeURL(n.Destination)}}
	if n.Title != nil {
		fixed = append(fixed, attr{"title", string(n.Title)})
	}
	_, _ = w.WriteString("<a")
	writeAttrs(w, sortedAttrs(n, fixed, rhtml.LinkAttributeFilter))
	_ = w.WriteByte('>')
	return ast.WalkContinue, nil
}

func renderImage(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	fixed := []attr{{"src", safeURL(n.Destination)}, {"alt", plainText(n, src)}}
	if n.Title != nil {
		fixed = append(fixed, attr{"title", string(n.Title)})
	}
	_, _ = w.WriteString("<img")
	writeAttrs(w, sortedAttrs(n, fixed, rhtml.ImageAttributeFilter))
	_, _ = w.WriteString(" />")
	return ast.WalkSkipChildren, nil
}

func renderParagraph(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		_, _ = w.WriteString("</p>\n")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("<p")
	writeAttrs(w, sortedAttrs(node, nil, rhtml.ParagraphAttributeFilter))
	_ = w.WriteByte('>')
	return ast.WalkContinue, nil
}
