package techdocs

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// abbr: `*[HTML]: Hyper Text Markup Language` lines are removed and every
// whole-word HTML in the page's text becomes
// <abbr title="Hyper Text Markup Language">HTML</abbr>.

var (
	kindAbbrDef = ast.NewNodeKind("AbbrDefinition")
	kindAbbr    = ast.NewNodeKind("Abbr")
	abbrDefRE   = regexp.MustCompile(`^\*\[([^\]]+)\][ ]?:[ ]*(.*?)[ \t]*$`)
	abbrKey     = parser.NewContextKey()
)

const maxAbbrs = 200 // bounds the alternation a hostile page can build

type abbrDef struct{ ast.BaseBlock }

func (n *abbrDef) Kind() ast.NodeKind         { return kindAbbrDef }
func (n *abbrDef) Dump(src []byte, level int) { ast.DumpHelper(n, src, level, nil, nil) }

type abbrNode struct {
	ast.BaseInline
	Title string
}

func (n *abbrNode) Kind() ast.NodeKind         { return kindAbbr }
func (n *abbrNode) Dump(src []byte, level int) { ast.DumpHelper(n, src, level, nil, nil) }

type abbrParser struct{}

func (abbrParser) Trigger() []byte { return []byte{'*'} }

func (abbrParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, _, _, ok := markerLine(reader)
	if !ok {
		return nil, parser.NoChildren
	}
	m := abbrDefRE.FindSubmatch(trimEOL(line))
	if m == nil {
		return nil, parser.NoChildren
	}
	defs, _ := pc.Get(abbrKey).(map[string]string)
	if defs == nil {
		defs = map[string]string{}
		pc.Set(abbrKey, defs)
	}
	if name := strings.TrimSpace(string(m[1])); name != "" && (len(defs) < maxAbbrs || defs[name] != "") {
		defs[name] = string(m[2])
	}
	reader.AdvanceToEOL()
	return &abbrDef{}, parser.NoChildren
}

func (abbrParser) Continue(ast.Node, text.Reader, parser.Context) parser.State { return parser.Close }
func (abbrParser) Close(ast.Node, text.Reader, parser.Context)                 {}
func (abbrParser) CanInterruptParagraph() bool                                 { return true }
func (abbrParser) CanAcceptIndentedLine() bool                                 { return false }

type abbrTransformer struct{}

func (abbrTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	defs, _ := pc.Get(abbrKey).(map[string]string)
	if len(defs) == 0 {
		return
	}
	names := make([]string, 0, len(defs))
	for k := range defs {
		names = append(names, regexp.QuoteMeta(k))
	}
	// Longest first, so "HTML5" wins over "HTML".
	sort.Slice(names, func(i, j int) bool {
		if len(names[i]) != len(names[j]) {
			return len(names[i]) > len(names[j])
		}
		return names[i] < names[j]
	})
	re, err := regexp.Compile(strings.Join(names, "|"))
	if err != nil {
		return
	}
	src := reader.Source()
	var texts []*ast.Text
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := n.(type) {
		case *ast.CodeSpan, *ast.CodeBlock, *ast.FencedCodeBlock, *ast.HTMLBlock, *ast.RawHTML, *ast.AutoLink:
			return ast.WalkSkipChildren, nil
		case *ast.Text:
			texts = append(texts, t)
		}
		return ast.WalkContinue, nil
	})
	for _, t := range texts {
		splitAbbrs(t, src, re, defs)
	}
}

func splitAbbrs(t *ast.Text, src []byte, re *regexp.Regexp, defs map[string]string) {
	v := t.Segment.Value(src)
	base := t.Segment.Start
	parent := t.Parent()
	if parent == nil {
		return
	}
	pos := 0
	var insertAfter ast.Node = t
	first := true
	for _, m := range re.FindAllIndex(v, -1) {
		if !wordBoundary(v, m[0], m[1]) {
			continue
		}
		if first {
			t.Segment = text.NewSegment(base, base+m[0]) // keep t as the leading text
			first = false
		} else if m[0] > pos {
			lead := ast.NewTextSegment(text.NewSegment(base+pos, base+m[0]))
			parent.InsertAfter(parent, insertAfter, lead)
			insertAfter = lead
		}
		a := &abbrNode{Title: defs[string(v[m[0]:m[1]])]}
		a.AppendChild(a, ast.NewTextSegment(text.NewSegment(base+m[0], base+m[1])))
		parent.InsertAfter(parent, insertAfter, a)
		insertAfter, pos = a, m[1]
	}
	if first {
		return
	}
	tail := ast.NewTextSegment(text.NewSegment(base+pos, base+len(v)))
	tail.SetSoftLineBreak(t.SoftLineBreak())
	tail.SetHardLineBreak(t.HardLineBreak())
	t.SetSoftLineBreak(false)
	t.SetHardLineBreak(false)
	parent.InsertAfter(parent, insertAfter, tail)
}

// wordBoundary is Python's (?<!\w)…(?!\w) around v[start:end].
func wordBoundary(v []byte, start, end int) bool {
	if start > 0 {
		r, _ := utf8.DecodeLastRune(v[:start])
		if isWordRune(r) {
			return false
		}
	}
	if end < len(v) {
		r, _ := utf8.DecodeRune(v[end:])
		if isWordRune(r) {
			return false
		}
	}
	return true
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

type abbrRenderer struct{}

func (abbrRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindAbbrDef, func(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
		return ast.WalkSkipChildren, nil
	})
	reg.Register(kindAbbr, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString(`<abbr title="` + escAttr(n.(*abbrNode).Title) + `">`)
		} else {
			_, _ = w.WriteString("</abbr>")
		}
		return ast.WalkContinue, nil
	})
}
