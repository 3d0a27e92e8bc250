package techdocs

import (
	"unicode"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Python-Markdown's indented blocks (admonition, pymdownx.details,
// pymdownx.tabbed) share one shape: a marker line, then content indented four
// columns deeper than the marker, ended by the first non-blank line that is
// indented less. indentedContainer implements that shape once; each
// extension supplies the marker parser.

// containerState is what an open container remembers between lines.
type containerState interface {
	ast.Node
	contentColumn() int
}

// containerBase is embedded by the container nodes.
type containerBase struct {
	ast.BaseBlock
	column int // column where content starts: marker column + 4
}

func (c *containerBase) contentColumn() int { return c.column }

// markerLine returns the current line, its indentation and the column of its
// first non-space character, or ok=false when the line is indented as code.
func markerLine(reader text.Reader) (line []byte, pos, column int, ok bool) {
	line, _ = reader.PeekLine()
	w, pos := util.IndentWidth(line, reader.LineOffset())
	if w > 3 || pos >= len(line) {
		return nil, 0, 0, false
	}
	return line[pos:], pos, reader.LineOffset() + w, true
}

// continueIndented is the shared BlockParser.Continue.
func continueIndented(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	c, ok := node.(containerState)
	if !ok {
		return parser.Close
	}
	line, _ := reader.PeekLine()
	if line == nil {
		return parser.Close
	}
	if util.IsBlank(line) {
		reader.Advance(len(line) - 1)
		return parser.Continue | parser.HasChildren
	}
	need := c.contentColumn() - reader.LineOffset()
	if need <= 0 {
		return parser.Continue | parser.HasChildren
	}
	w, _ := util.IndentWidth(line, reader.LineOffset())
	if w < need {
		// Python-Markdown has no lazy continuation: this line starts a new
		// block outside the container even after a paragraph.
		markLazyStop(reader, pc)
		return parser.Close
	}
	pos, padding := util.IndentPosition(line, reader.LineOffset(), need)
	reader.AdvanceAndSetPadding(pos, padding)
	return parser.Continue | parser.HasChildren
}

var lazyStopKey = parser.NewContextKey()

func markLazyStop(reader text.Reader, pc parser.Context) {
	_, seg := reader.PeekLine()
	pc.Set(lazyStopKey, seg.Start)
}

// lazyStopParser makes the line that closed an indented container start a new
// paragraph instead of continuing the container's last paragraph (CommonMark
// "laziness", which goldmark applies and Python-Markdown does not). It runs
// after every other block parser, only on a line a container just refused,
// and then behaves exactly like the paragraph parser.
type lazyStopParser struct{ para parser.BlockParser }

func (p lazyStopParser) Trigger() []byte { return nil }

func (p lazyStopParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	v, ok := pc.Get(lazyStopKey).(int)
	if !ok {
		return nil, parser.NoChildren
	}
	_, seg := reader.PeekLine()
	if seg.Start != v {
		return nil, parser.NoChildren
	}
	pc.Set(lazyStopKey, nil)
	last := pc.LastOpenedBlock().Node
	if last == nil || !ast.IsParagraph(last) {
		return nil, parser.NoChildren // no laziness possible: let the paragraph parser do it
	}
	return p.para.Open(parent, reader, pc)
}

func (p lazyStopParser) Continue(n ast.Node, reader text.Reader, pc parser.Context) parser.State {
	return p.para.Continue(n, reader, pc)
}
func (p lazyStopParser) Close(n ast.Node, reader text.Reader, pc parser.Context) {
	p.para.Close(n, reader, pc)
}
func (p lazyStopParser) CanInterruptParagraph() bool { return true }
func (p lazyStopParser) CanAcceptIndentedLine() bool { return false }

// splitWords splits on spaces and tabs.
func splitWords(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' || s[i] == '\t' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return out
}

// isClassWord reports whether s is a Python `[\w\-]+` word.
func isClassWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127) {
			return false
		}
	}
	return true
}

// capitalize is Python's str.capitalize: first letter upper, rest lower.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	rs := []rune(s)
	out := []rune{unicode.ToUpper(rs[0])}
	for _, r := range rs[1:] {
		out = append(out, unicode.ToLower(r))
	}
	return string(out)
}
