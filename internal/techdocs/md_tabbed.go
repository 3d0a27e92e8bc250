package techdocs

import (
	"regexp"
	"strconv"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// pymdownx.tabbed with alternate_style (what techdocs-core configures):
// consecutive `=== "Title"` blocks form one tab set,
//
//	<div class="tabbed-set tabbed-alternate" data-tabs="1:2"><input checked="checked" id="__tabbed_1_1" name="__tabbed_1" type="radio" /><input id="__tabbed_1_2" ... /><div class="tabbed-labels"><label for="__tabbed_1_1">A</label>...</div>
//	<div class="tabbed-content">
//	<div class="tabbed-block">
//	...
//	</div>
//	</div>
//	</div>
//
// `===!` starts a new set, `===+` selects the tab. The parser produces one
// tabNode per marker; tabTransformer groups them into sets afterwards, since
// grouping needs to see the siblings.

var (
	kindTab         = ast.NewNodeKind("Tab")
	kindTabTitle    = ast.NewNodeKind("TabTitle")
	kindTabbedSet   = ast.NewNodeKind("TabbedSet")
	kindTabLabels   = ast.NewNodeKind("TabbedLabels")
	kindTabContent  = ast.NewNodeKind("TabbedContent")
	kindTabBlock    = ast.NewNodeKind("TabbedBlock")
	tabRE           = regexp.MustCompile(`^===(!?\+?|\+?!?) +"(.*?)" *$`)
	maxTabsPerGroup = 1000 // bounds the inputs a hostile page can make one set render
)

type tabNode struct {
	containerBase
	Select, New bool
}

func (n *tabNode) Kind() ast.NodeKind         { return kindTab }
func (n *tabNode) Dump(src []byte, level int) { ast.DumpHelper(n, src, level, nil, nil) }

// tabTitle holds the title's inline Markdown (titles may be **bold**).
type tabTitle struct {
	ast.BaseBlock
	Set, Index int
}

func (n *tabTitle) Kind() ast.NodeKind         { return kindTabTitle }
func (n *tabTitle) Dump(src []byte, level int) { ast.DumpHelper(n, src, level, nil, nil) }

type tabbedSet struct {
	ast.BaseBlock
	ID, Count, Selected int
}

func (n *tabbedSet) Kind() ast.NodeKind         { return kindTabbedSet }
func (n *tabbedSet) Dump(src []byte, level int) { ast.DumpHelper(n, src, level, nil, nil) }

type tabPart struct {
	ast.BaseBlock
	kind ast.NodeKind
}

func (n *tabPart) Kind() ast.NodeKind         { return n.kind }
func (n *tabPart) Dump(src []byte, level int) { ast.DumpHelper(n, src, level, nil, nil) }

type tabParser struct{}

func (tabParser) Trigger() []byte { return []byte{'='} }

func (tabParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, pos, col, ok := markerLine(reader)
	if !ok {
		return nil, parser.NoChildren
	}
	l := trimEOL(line)
	m := tabRE.FindSubmatchIndex(l)
	if m == nil {
		return nil, parser.NoChildren
	}
	_, seg := reader.PeekLine()
	flags := string(l[m[2]:m[3]])
	n := &tabNode{}
	n.column = col + 4
	for _, f := range flags {
		switch f {
		case '+':
			n.Select = true
		case '!':
			n.New = true
		}
	}
	title := &tabTitle{}
	start := seg.Start + pos + m[4]
	title.Lines().Append(text.NewSegment(start, start+(m[5]-m[4])))
	n.AppendChild(n, title)
	reader.AdvanceToEOL()
	return n, parser.HasChildren
}

func (tabParser) Continue(n ast.Node, r text.Reader, pc parser.Context) parser.State {
	return continueIndented(n, r, pc)
}
func (tabParser) Close(ast.Node, text.Reader, parser.Context) {}
func (tabParser) CanInterruptParagraph() bool                 { return true }
func (tabParser) CanAcceptIndentedLine() bool                 { return false }

// tabTransformer groups consecutive tabs into numbered sets, in document
// order (an outer set is numbered before the sets inside it).
type tabTransformer struct{}

func (tabTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	next := 0
	groupTabs(doc, &next, 0)
}

func groupTabs(parent ast.Node, next *int, depth int) {
	if depth > maxNesting {
		return
	}
	for c := parent.FirstChild(); c != nil; {
		t, ok := c.(*tabNode)
		if !ok {
			groupTabs(c, next, depth+1)
			c = c.NextSibling()
			continue
		}
		*next++
		set := &tabbedSet{ID: *next}
		labels := &tabPart{kind: kindTabLabels}
		content := &tabPart{kind: kindTabContent}
		parent.InsertBefore(parent, c, set)
		set.AppendChild(set, labels)
		set.AppendChild(set, content)
		for cur := t; cur != nil && set.Count < maxTabsPerGroup; {
			after := cur.NextSibling()
			parent.RemoveChild(parent, cur)
			set.Count++
			if cur.Select || set.Selected == 0 && set.Count == 1 {
				set.Selected = set.Count
			}
			block := &tabPart{kind: kindTabBlock}
			for k := cur.FirstChild(); k != nil; {
				nk := k.NextSibling()
				if title, ok := k.(*tabTitle); ok {
					title.Set, title.Index = set.ID, set.Count
					labels.AppendChild(labels, title)
				} else {
					block.AppendChild(block, k)
				}
				k = nk
			}
			content.AppendChild(content, block)
			nt, ok := after.(*tabNode)
			if !ok || nt.New {
				cur = nil
			} else {
				cur = nt
			}
		}
		for b := content.FirstChild(); b != nil; b = b.NextSibling() {
			groupTabs(b, next, depth+1)
		}
		c = set.NextSibling()
	}
}

type tabRenderer struct{}

func (tabRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindTab, func(w util.BufWriter, _ []byte, _ ast.Node, _ bool) (ast.WalkStatus, error) {
		return ast.WalkContinue, nil // only seen if grouping was cut short
	})
	reg.Register(kindTabbedSet, renderTabbedSet)
	reg.Register(kindTabLabels, wrap(`<div class="tabbed-labels">`, "</div>\n"))
	reg.Register(kindTabContent, wrap("<div class=\"tabbed-content\">\n", "</div>\n"))
	reg.Register(kindTabBlock, wrap("<div class=\"tabbed-block\">\n", "</div>\n"))
	reg.Register(kindTabTitle, renderTabTitle)
}

func wrap(open, close string) renderer.NodeRendererFunc {
	return func(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString(open)
		} else {
			_, _ = w.WriteString(close)
		}
		return ast.WalkContinue, nil
	}
}

func renderTabbedSet(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*tabbedSet)
	if !entering {
		_, _ = w.WriteString("</div>\n")
		return ast.WalkContinue, nil
	}
	id := strconv.Itoa(n.ID)
	_, _ = w.WriteString(`<div class="tabbed-set tabbed-alternate" data-tabs="` + id + ":" + strconv.Itoa(n.Count) + `">`)
	for i := 1; i <= n.Count; i++ {
		_, _ = w.WriteString("<input ")
		if i == n.Selected {
			_, _ = w.WriteString(`checked="checked" `)
		}
		_, _ = w.WriteString(`id="__tabbed_` + id + "_" + strconv.Itoa(i) + `" name="__tabbed_` + id + `" type="radio" />`)
	}
	return ast.WalkContinue, nil
}

func renderTabTitle(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*tabTitle)
	if entering {
		_, _ = w.WriteString(`<label for="__tabbed_` + strconv.Itoa(n.Set) + "_" + strconv.Itoa(n.Index) + `">`)
	} else {
		_, _ = w.WriteString("</label>")
	}
	return ast.WalkContinue, nil
}
