package techdocs

import (
	"html"
	"strconv"
	"strings"

	emast "github.com/yuin/goldmark-emoji/ast"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	rhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// The toc extension, as techdocs-core configures it (permalink: true): every
// heading gets a slug id, unique in the page, and a permalink anchor:
//
//	<h2 id="usage">Usage<a class="headerlink" href="#usage" title="Permanent link">&para;</a></h2>
//
// headingTransformer assigns the ids and records the page's table of
// contents; it runs after attr_list so that `{#custom}` ids win.

type tocEntry struct {
	Level int
	ID    string
	Title string
}

type headingTransformer struct{}

func (headingTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	ps := pageStateOf(pc)
	if ps == nil {
		return
	}
	src := reader.Source()
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		h, ok := n.(*ast.Heading)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		title := strings.TrimSpace(plainText(h, src))
		var id string
		if v, ok := h.AttributeString("id"); ok {
			id = attrString(v)
			ps.ids[id] = true
		} else {
			id = ps.ids.unique(slugify(title))
			h.SetAttributeString("id", []byte(id))
		}
		ps.toc = append(ps.toc, tocEntry{Level: h.Level, ID: id, Title: title})
		if h.Level == 1 && ps.h1 == "" {
			ps.h1 = title
		}
		return ast.WalkSkipChildren, nil
	})
}

func attrString(v any) string {
	switch t := v.(type) {
	case []byte:
		return string(t)
	case string:
		return t
	}
	return ""
}

// plainText is the text a reader sees in an inline subtree, as toc's
// get_name computes it: markup and raw HTML tags dropped, entities decoded.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	writePlain(&b, n, src, 0)
	return html.UnescapeString(b.String())
}

func writePlain(b *strings.Builder, n ast.Node, src []byte, depth int) {
	if depth > maxNesting {
		return
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch t := c.(type) {
		case *ast.Text:
			b.Write(util.UnescapePunctuations(t.Segment.Value(src)))
			if t.SoftLineBreak() || t.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(t.Value)
		case *ast.RawHTML:
			// tags only; the text between them is in sibling Text nodes
		case *emast.Emoji:
			if t.Value != nil {
				b.WriteString(string(t.Value.Unicode))
			}
		case *ast.AutoLink:
			b.Write(t.Label(src))
		default:
			writePlain(b, c, src, depth+1)
		}
	}
}

type headingRenderer struct{}

func (headingRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHeading, renderHeading)
}

func renderHeading(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Heading)
	tag := "h" + strconv.Itoa(n.Level)
	if entering {
		_, _ = w.WriteString("<" + tag)
		writeAttrs(w, sortedAttrs(n, nil, rhtml.HeadingAttributeFilter))
		_ = w.WriteByte('>')
		return ast.WalkContinue, nil
	}
	if v, ok := n.AttributeString("id"); ok {
		id := escAttr(attrString(v))
		_, _ = w.WriteString(`<a class="headerlink" href="#` + id + `" title="Permanent link">&para;</a>`)
	}
	_, _ = w.WriteString("</" + tag + ">\n")
	return ast.WalkContinue, nil
}
