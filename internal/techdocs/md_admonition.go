package techdocs

import (
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Admonition (`!!! note "Title"`) and pymdownx.details (`??? note "Title"`,
// `???+` open) render as Python-Markdown does:
//
//	<div class="admonition note">
//	<p class="admonition-title">Title</p>
//	...
//	</div>
//
//	<details class="note" open="open">
//	<summary>Title</summary>
//	...
//	</details>

var (
	kindAdmonition = ast.NewNodeKind("Admonition")
	kindDetails    = ast.NewNodeKind("Details")

	// The word class is Python's unicode \w plus '-'.
	admonitionRE = regexp.MustCompile(`^!!! ?([\p{L}\p{N}_-]+(?: +[\p{L}\p{N}_-]+)*)(?: +"(.*?)")? *$`)
	detailsRE    = regexp.MustCompile(`^\?\?\?(\+)? ?(?:([\p{L}\p{N}_-]+(?: +[\p{L}\p{N}_-]+)*?)?(?: *"(.*?)")|([\p{L}\p{N}_-]+(?: +[\p{L}\p{N}_-]+)*?)) *$`)
)

type admonitionNode struct {
	containerBase
	Classes  []string
	Title    string
	HasTitle bool
}

func (n *admonitionNode) Kind() ast.NodeKind { return kindAdmonition }
func (n *admonitionNode) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Classes": strings.Join(n.Classes, " "), "Title": n.Title}, nil)
}

type detailsNode struct {
	containerBase
	Classes []string
	Summary string
	Open    bool
}

func (n *detailsNode) Kind() ast.NodeKind { return kindDetails }
func (n *detailsNode) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Classes": strings.Join(n.Classes, " "), "Summary": n.Summary}, nil)
}

type admonitionParser struct{}

func (admonitionParser) Trigger() []byte { return []byte{'!'} }

func (admonitionParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, _, col, ok := markerLine(reader)
	if !ok {
		return nil, parser.NoChildren
	}
	m := admonitionRE.FindSubmatchIndex(trimEOL(line))
	if m == nil {
		return nil, parser.NoChildren
	}
	l := trimEOL(line)
	n := &admonitionNode{Classes: splitWords(string(l[m[2]:m[3]]))}
	n.column = col + 4
	if m[4] >= 0 {
		n.Title, n.HasTitle = string(l[m[4]:m[5]]), m[5] > m[4]
	} else {
		n.Title, n.HasTitle = capitalize(n.Classes[0]), true
	}
	reader.AdvanceToEOL()
	return n, parser.HasChildren
}

func (admonitionParser) Continue(n ast.Node, r text.Reader, pc parser.Context) parser.State {
	return continueIndented(n, r, pc)
}
func (admonitionParser) Close(ast.Node, text.Reader, parser.Context) {}
func (admonitionParser) CanInterruptParagraph() bool                 { return true }
func (admonitionParser) CanAcceptIndentedLine() bool                 { return false }

type detailsParser struct{}

func (detailsParser) Trigger() []byte { return []byte{'?'} }

func (detailsParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, _, col, ok := markerLine(reader)
	if !ok {
		return nil, parser.NoChildren
	}
	l := trimEOL(line)
	m := detailsRE.FindSubmatchIndex(l)
	if m == nil {
		return nil, parser.NoChildren
	}
	group := func(i int) (string, bool) {
		if m[2*i] < 0 {
			return "", false
		}
		return string(l[m[2*i]:m[2*i+1]]), true
	}
	n := &detailsNode{}
	n.column = col + 4
	_, n.Open = group(1)
	classes, _ := group(2)
	if c, ok := group(4); ok {
		classes = c
	}
	n.Classes = splitWords(classes)
	if t, ok := group(3); ok {
		n.Summary = t
	} else if len(n.Classes) > 0 {
		n.Summary = capitalize(n.Classes[0])
	}
	reader.AdvanceToEOL()
	return n, parser.HasChildren
}

func (detailsParser) Continue(n ast.Node, r text.Reader, pc parser.Context) parser.State {
	return continueIndented(n, r, pc)
}
func (detailsParser) Close(ast.Node, text.Reader, parser.Context) {}
func (detailsParser) CanInterruptParagraph() bool                 { return true }
func (detailsParser) CanAcceptIndentedLine() bool                 { return false }

type admonitionRenderer struct{}

func (admonitionRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindAdmonition, renderAdmonition)
	reg.Register(kindDetails, renderDetails)
}

func renderAdmonition(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*admonitionNode)
	if !entering {
		_, _ = w.WriteString("</div>\n")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<div class="admonition`)
	for _, c := range n.Classes {
		_ = w.WriteByte(' ')
		_, _ = w.WriteString(escAttr(c))
	}
	_, _ = w.WriteString("\">\n")
	if n.HasTitle {
		_, _ = w.WriteString(`<p class="admonition-title">`)
		_, _ = w.WriteString(escText(n.Title))
		_, _ = w.WriteString("</p>\n")
	}
	return ast.WalkContinue, nil
}

func renderDetails(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*detailsNode)
	if !entering {
		_, _ = w.WriteString("</details>\n")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("<details")
	if len(n.Classes) > 0 {
		_, _ = w.WriteString(` class="`)
		_, _ = w.WriteString(escAttr(strings.Join(n.Classes, " ")))
		_ = w.WriteByte('"')
	}
	if n.Open {
		_, _ = w.WriteString(` open="open"`)
	}
	_, _ = w.WriteString(">\n<summary>")
	_, _ = w.WriteString(escText(n.Summary))
	_, _ = w.WriteString("</summary>\n")
	return ast.WalkContinue, nil
}

// trimEOL drops the line terminator and trailing spaces.
func trimEOL(line []byte) []byte {
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r' || line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
		line = line[:len(line)-1]
	}
	return line
}
