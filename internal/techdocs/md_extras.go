package techdocs

import (
	"strconv"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Markup that goldmark's own extensions parse correctly but print
// differently from Python-Markdown: task lists (pymdownx.tasklist with
// techdocs-core's custom_checkbox) and footnotes.

type extrasTransformer struct{}

// Transform marks task lists and records each footnote's label, which
// Python-Markdown uses in the ids (fn:label) where goldmark uses numbers.
func (extrasTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	labels := map[int][]byte{}
	var refs []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := n.(type) {
		case *east.TaskCheckBox:
			if p := t.Parent(); p != nil {
				if item, ok := p.Parent().(*ast.ListItem); ok {
					item.SetAttributeString("class", []byte("task-list-item"))
					if list := item.Parent(); list != nil {
						list.SetAttributeString("class", []byte("task-list"))
					}
				}
			}
		case *east.Footnote:
			labels[t.Index] = t.Ref
		case *east.DefinitionDescription:
			loosenDescription(t)
		case *east.FootnoteLink, *east.FootnoteBacklink:
			refs = append(refs, n)
		}
		return ast.WalkContinue, nil
	})
	for _, n := range refs {
		var idx int
		switch t := n.(type) {
		case *east.FootnoteLink:
			idx = t.Index
		case *east.FootnoteBacklink:
			idx = t.Index
		}
		if l, ok := labels[idx]; ok {
			n.SetAttributeString("fnlabel", l)
		}
	}
}

// loosenDescription gives a multi-block <dd> paragraphs throughout, as
// Python-Markdown does; goldmark keeps the first block tight.
func loosenDescription(dd *east.DefinitionDescription) {
	tb, ok := dd.FirstChild().(*ast.TextBlock)
	if !ok || dd.ChildCount() < 2 {
		return
	}
	p := ast.NewParagraph()
	p.SetLines(tb.Lines())
	for c := tb.FirstChild(); c != nil; {
		next := c.NextSibling()
		p.AppendChild(p, c)
		c = next
	}
	dd.ReplaceChild(dd, tb, p)
}

type extrasRenderer struct{}

func (extrasRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(east.KindTaskCheckBox, renderTaskCheckBox)
	reg.Register(east.KindFootnoteLink, renderFootnoteLink)
	reg.Register(east.KindFootnoteBacklink, renderFootnoteBacklink)
	reg.Register(east.KindFootnote, renderFootnote)
	reg.Register(east.KindFootnoteList, renderFootnoteList)
	reg.Register(east.KindTableCell, renderTableCell)
	reg.Register(east.KindDefinitionDescription, renderDefinitionDescription)
}

func renderDefinitionDescription(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		_, _ = w.WriteString("</dd>\n")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("<dd>")
	if fc := node.FirstChild(); fc != nil {
		if _, tight := fc.(*ast.TextBlock); !tight {
			_ = w.WriteByte('\n')
		}
	}
	return ast.WalkContinue, nil
}

// renderTableCell writes alignment as Python-Markdown's tables extension
// does: style="text-align: left;".
func renderTableCell(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*east.TableCell)
	tag := "td"
	if n.Parent() != nil && n.Parent().Kind() == east.KindTableHeader {
		tag = "th"
	}
	if !entering {
		_, _ = w.WriteString("</" + tag + ">\n")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("<" + tag)
	if n.Alignment != east.AlignNone {
		_, _ = w.WriteString(` style="text-align: ` + n.Alignment.String() + `;"`)
	}
	_ = w.WriteByte('>')
	return ast.WalkContinue, nil
}

func renderTaskCheckBox(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<label class="task-list-control"><input type="checkbox" disabled`)
	if node.(*east.TaskCheckBox).IsChecked {
		_, _ = w.WriteString(" checked")
	}
	_, _ = w.WriteString(`/><span class="task-list-indicator"></span></label> `)
	return ast.WalkContinue, nil
}

func fnLabel(n ast.Node, index int) string {
	if v, ok := n.AttributeString("fnlabel"); ok {
		return escAttr(attrString(v))
	}
	return strconv.Itoa(index)
}

// refID is Python's fnref:label, fnref2:label, ... for repeated references.
func refID(label string, refIndex int) string {
	if refIndex > 0 {
		return "fnref" + strconv.Itoa(refIndex+1) + ":" + label
	}
	return "fnref:" + label
}

func renderFootnoteLink(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		n := node.(*east.FootnoteLink)
		l := fnLabel(n, n.Index)
		_, _ = w.WriteString(`<sup id="` + refID(l, n.RefIndex) + `"><a class="footnote-ref" href="#fn:` + l + `">` + strconv.Itoa(n.Index) + `</a></sup>`)
	}
	return ast.WalkContinue, nil
}

func renderFootnoteBacklink(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		n := node.(*east.FootnoteBacklink)
		l := fnLabel(n, n.Index)
		_, _ = w.WriteString(`&#160;<a class="footnote-backref" href="#` + refID(l, n.RefIndex) +
			`" title="Jump back to footnote ` + strconv.Itoa(n.Index) + ` in the text">&#8617;</a>`)
	}
	return ast.WalkContinue, nil
}

func renderFootnote(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*east.Footnote)
	if entering {
		_, _ = w.WriteString(`<li id="fn:` + escAttr(string(n.Ref)) + "\">\n")
	} else {
		_, _ = w.WriteString("</li>\n")
	}
	return ast.WalkContinue, nil
}

func renderFootnoteList(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.WriteString("<div class=\"footnote\">\n<hr />\n<ol>\n")
	} else {
		_, _ = w.WriteString("</ol>\n</div>\n")
	}
	return ast.WalkContinue, nil
}
