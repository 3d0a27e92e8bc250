package techdocs

import (
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// attr_list: `{: #id .class key="value" }` (the colon is optional) after a
// heading's text, on the last line of a paragraph, or right after an inline
// element (link, image, emphasis, code) sets that element's attributes.

var (
	headerAttrRE = regexp.MustCompile(`[ ]+\{:?[ ]*([^}\n ][^}\n]*)[ ]*\}[ ]*$`)
	blockAttrRE  = regexp.MustCompile(`\n[ ]*\{:?[ ]*([^}\n ][^}\n]*)[ ]*\}[ ]*$`)
	inlineAttrRE = regexp.MustCompile(`^\{:?[ ]*([^}\n ][^}\n]*)[ ]*\}`)
)

type attrTransformer struct{}

func (attrTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	src := reader.Source()
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.(type) {
		case *ast.Heading:
			applyTrailingAttrs(n, src, headerAttrRE)
		case *ast.Paragraph:
			applyTrailingAttrs(n, src, blockAttrRE)
		case *ast.Link, *ast.Image, *ast.Emphasis, *ast.CodeSpan:
			applyInlineAttrs(n, src)
		}
		return ast.WalkContinue, nil
	})
}

// trailingTexts returns the run of Text nodes at the end of n and their
// concatenated value, with a newline for each soft line break.
func trailingTexts(n ast.Node, src []byte) ([]*ast.Text, string) {
	var nodes []*ast.Text
	for c := n.LastChild(); c != nil; c = c.PreviousSibling() {
		t, ok := c.(*ast.Text)
		if !ok {
			break
		}
		nodes = append([]*ast.Text{t}, nodes...)
	}
	var b strings.Builder
	for _, t := range nodes {
		b.Write(t.Segment.Value(src))
		if t.SoftLineBreak() && t != nodes[len(nodes)-1] {
			b.WriteByte('\n')
		}
	}
	return nodes, b.String()
}

func applyTrailingAttrs(n ast.Node, src []byte, re *regexp.Regexp) {
	nodes, s := trailingTexts(n, src)
	if len(nodes) == 0 {
		return
	}
	m := re.FindStringSubmatchIndex(s)
	if m == nil {
		return
	}
	attrs, ok := parseAttrList(s[m[2]:m[3]])
	if !ok {
		return
	}
	cut := len(s) - m[0] // bytes (including inserted newlines) to drop from the end
	for i := len(nodes) - 1; i >= 0 && cut > 0; i-- {
		t := nodes[i]
		l := t.Segment.Len()
		if t.SoftLineBreak() && i != len(nodes)-1 {
			cut-- // the '\n' we added for the break
			if cut == 0 {
				t.SetSoftLineBreak(false)
				break
			}
		}
		if cut >= l {
			cut -= l
			n.RemoveChild(n, t)
			continue
		}
		t.Segment = t.Segment.WithStop(t.Segment.Stop - cut)
		cut = 0
		t.SetSoftLineBreak(false)
	}
	if last, ok := n.LastChild().(*ast.Text); ok {
		last.Segment = last.Segment.TrimRightSpace(src)
		last.SetSoftLineBreak(false)
	}
	setAttrs(n, attrs)
}

// applyInlineAttrs looks at the Text nodes right after an inline element
// (goldmark may split "{: .x}" at ':' where emoji parsing was attempted) up
// to the end of the line.
func applyInlineAttrs(n ast.Node, src []byte) {
	var nodes []*ast.Text
	var b strings.Builder
	for c := n.NextSibling(); c != nil; c = c.NextSibling() {
		t, ok := c.(*ast.Text)
		if !ok {
			break
		}
		nodes = append(nodes, t)
		b.Write(t.Segment.Value(src))
		if t.SoftLineBreak() || t.HardLineBreak() {
			break
		}
	}
	if len(nodes) == 0 {
		return
	}
	s := b.String()
	m := inlineAttrRE.FindStringSubmatchIndex(s)
	if m == nil {
		return
	}
	attrs, ok := parseAttrList(s[m[2]:m[3]])
	if !ok {
		return
	}
	cut := m[1]
	for _, t := range nodes {
		l := t.Segment.Len()
		if cut >= l && !t.SoftLineBreak() && !t.HardLineBreak() {
			cut -= l
			t.Parent().RemoveChild(t.Parent(), t)
			continue
		}
		t.Segment = t.Segment.WithStart(t.Segment.Start + min(cut, l))
		break
	}
	setAttrs(n, attrs)
}

type attr struct{ Name, Value string }

// parseAttrList parses the inside of `{: ... }`. Unparseable tokens are
// skipped, as attr_list does.
func parseAttrList(s string) ([]attr, bool) {
	var out []attr
	for _, tok := range splitQuoted(s) {
		switch {
		case strings.HasPrefix(tok, "#") && len(tok) > 1:
			out = append(out, attr{"id", tok[1:]})
		case strings.HasPrefix(tok, ".") && len(tok) > 1:
			out = append(out, attr{"class", tok[1:]})
		case strings.Contains(tok, "="):
			k, v, _ := strings.Cut(tok, "=")
			if validAttrName(k) {
				out = append(out, attr{k, strings.Trim(v, `"'`)})
			}
		}
	}
	return out, len(out) > 0
}

func validAttrName(k string) bool {
	if k == "" || len(k) > 64 || strings.HasPrefix(strings.ToLower(k), "on") {
		return false // event handlers would run script in the reader
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == ':') {
			return false
		}
	}
	return true
}

func setAttrs(n ast.Node, attrs []attr) {
	for _, a := range attrs {
		if a.Name == "class" {
			if v, ok := n.AttributeString("class"); ok {
				n.SetAttributeString("class", []byte(attrString(v)+" "+a.Value))
				continue
			}
		}
		n.SetAttributeString(a.Name, []byte(a.Value))
	}
}
