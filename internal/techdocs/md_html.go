package techdocs

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// md_in_html: a block-level HTML element whose opening tag carries a
// `markdown` attribute has its content parsed as Markdown:
//
//	<div class="grid" markdown>        <div class="grid">
//	**bold**                     →     <p><strong>bold</strong></p>
//	</div>                             </div>
//
// The opening and closing tags must be on lines of their own (the form the
// md_in_html documentation uses); anything else stays raw HTML.

var (
	kindMarkdownHTML = ast.NewNodeKind("MarkdownHTML")
	mdOpenTagRE      = regexp.MustCompile(`^<([A-Za-z][A-Za-z0-9-]*)(\s[^<>]*)?>[ \t]*$`)
	mdAttrRE         = regexp.MustCompile(`\smarkdown(?:=("[^"]*"|'[^']*'|[^\s>"']+))?`)
)

// maxMarkdownHTMLScan bounds the look-ahead for the closing tag.
const maxMarkdownHTMLScan = 1 << 20

type markdownHTML struct {
	ast.BaseBlock
	Tag, Attrs string
	closeAt    int // source offset of the closing tag's line
}

func (n *markdownHTML) Kind() ast.NodeKind { return kindMarkdownHTML }
func (n *markdownHTML) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Tag": n.Tag}, nil)
}

type markdownHTMLParser struct{}

func (markdownHTMLParser) Trigger() []byte { return []byte{'<'} }

func (markdownHTMLParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, _, _, ok := markerLine(reader)
	if !ok {
		return nil, parser.NoChildren
	}
	m := mdOpenTagRE.FindSubmatch(trimEOL(line))
	if m == nil {
		return nil, parser.NoChildren
	}
	attrs := string(m[2])
	am := mdAttrRE.FindStringSubmatchIndex(attrs)
	if am == nil {
		return nil, parser.NoChildren
	}
	if am[2] >= 0 && strings.Trim(attrs[am[2]:am[3]], `"'`) == "0" {
		return nil, parser.NoChildren
	}
	tag := strings.ToLower(string(m[1]))
	_, seg := reader.PeekLine()
	closeAt := findClosingLine(reader.Source(), seg.Stop, tag)
	if closeAt < 0 {
		return nil, parser.NoChildren
	}
	n := &markdownHTML{Tag: tag, Attrs: strings.TrimRight(attrs[:am[0]]+attrs[am[1]:], " \t"), closeAt: closeAt}
	reader.AdvanceToEOL()
	return n, parser.HasChildren
}

// findClosingLine returns the offset of the line holding the `</tag>` that
// balances an opening tag ending at from, or -1.
func findClosingLine(src []byte, from int, tag string) int {
	open := []byte("<" + tag)
	closing := "</" + tag + ">"
	depth := 1
	end := min(len(src), from+maxMarkdownHTMLScan)
	for pos := from; pos < end; {
		nl := bytes.IndexByte(src[pos:end], '\n')
		lineEnd := end
		if nl >= 0 {
			lineEnd = pos + nl + 1
		}
		line := bytes.ToLower(src[pos:lineEnd])
		for i := 0; i+len(open) < len(line); i++ {
			if bytes.HasPrefix(line[i:], open) {
				c := line[i+len(open)]
				if c == '>' || c == ' ' || c == '\t' || c == '\n' {
					depth++
				}
			}
		}
		if strings.TrimSpace(string(line)) == closing {
			depth--
			if depth == 0 {
				return pos
			}
		} else {
			depth -= bytes.Count(line, []byte(closing))
			if depth <= 0 {
				return -1 // closed mid-line: leave it to the raw HTML parser
			}
		}
		pos = lineEnd
	}
	return -1
}

func (markdownHTMLParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	n := node.(*markdownHTML)
	line, seg := reader.PeekLine()
	if line == nil {
		return parser.Close
	}
	if seg.Start >= n.closeAt {
		reader.AdvanceToEOL()
		return parser.Close
	}
	return parser.Continue | parser.HasChildren
}

func (markdownHTMLParser) Close(ast.Node, text.Reader, parser.Context) {}
func (markdownHTMLParser) CanInterruptParagraph() bool                 { return true }
func (markdownHTMLParser) CanAcceptIndentedLine() bool                 { return false }

type markdownHTMLRenderer struct{}

func (markdownHTMLRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindMarkdownHTML, func(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
		n := node.(*markdownHTML)
		if entering {
			_, _ = w.WriteString("<" + n.Tag + n.Attrs + ">\n")
		} else {
			_, _ = w.WriteString("</" + n.Tag + ">\n")
		}
		return ast.WalkContinue, nil
	})
}
