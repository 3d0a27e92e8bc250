package techdocs

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/yuin/goldmark"
	emoji "github.com/yuin/goldmark-emoji"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// maxNesting bounds every recursive walk over a page's tree, so a hostile
// page (thousands of nested quotes or tabs) cannot exhaust the stack.
const maxNesting = 200

// newMarkdown assembles goldmark with the extensions techdocs-core turns on:
// goldmark's own for tables, definition lists, footnotes, task lists,
// strikethrough (pymdownx.tilde) and bare-URL links (pymdownx.magiclink), the
// maintained goldmark-emoji for shortcodes, and this package's parsers for
// what the Go ecosystem lacks (admonition, details, tabbed, abbr, attr_list,
// md_in_html) plus renderers that print Python-Markdown's markup. The result
// is stateless and safe for concurrent use; per-page state travels in the
// parser context.
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(
			extension.Table,
			extension.Strikethrough,
			extension.Linkify,
			extension.DefinitionList,
			extension.Footnote,
			extension.TaskList,
			emoji.New(emoji.WithRenderingMethod(emoji.Unicode)),
		),
		goldmark.WithParserOptions(
			parser.WithBlockParsers(
				util.Prioritized(abbrParser{}, 90),
				util.Prioritized(admonitionParser{}, 95),
				util.Prioritized(detailsParser{}, 95),
				util.Prioritized(tabParser{}, 95),
				util.Prioritized(markdownHTMLParser{}, 850),
				util.Prioritized(lazyStopParser{para: parser.NewParagraphParser()}, 1001),
			),
			parser.WithASTTransformers(
				util.Prioritized(attrTransformer{}, 100),
				util.Prioritized(abbrTransformer{}, 200),
				util.Prioritized(tabTransformer{}, 300),
				util.Prioritized(linkTransformer{}, 500),
				util.Prioritized(headingTransformer{}, 600),
				util.Prioritized(extrasTransformer{}, 1000), // after goldmark's footnote transformer (999)
			),
		),
		goldmark.WithRendererOptions(
			html.WithXHTML(),  // Python-Markdown writes <br />, <hr />, <img ... />
			html.WithUnsafe(), // raw HTML passes through, as in Python-Markdown
			renderer.WithNodeRenderers(
				util.Prioritized(admonitionRenderer{}, 100),
				util.Prioritized(tabRenderer{}, 100),
				util.Prioritized(codeRenderer{}, 100),
				util.Prioritized(headingRenderer{}, 100),
				util.Prioritized(abbrRenderer{}, 100),
				util.Prioritized(markdownHTMLRenderer{}, 100),
				util.Prioritized(extrasRenderer{}, 100),
				util.Prioritized(attrRenderer{}, 100),
			),
		),
	)
}

var pageStateKey = parser.NewContextKey()

// pageState carries one page through parsing: what the transformers need
// (link resolution) and what they report (toc, ids, warnings).
type pageState struct {
	src        []byte
	lineStarts []int
	lineBase   int // lines of front matter stripped before src
	file       string

	// resolve rewrites a link destination found on line; nil leaves links alone.
	resolve func(dest string, line int) string

	toc  []tocEntry
	ids  idSet
	h1   string
	html []byte
}

func pageStateOf(pc parser.Context) *pageState {
	ps, _ := pc.Get(pageStateKey).(*pageState)
	return ps
}

func newPageState(src []byte, file string, lineBase int) *pageState {
	ps := &pageState{src: src, file: file, lineBase: lineBase, ids: idSet{}}
	ps.lineStarts = append(ps.lineStarts, 0)
	for i, c := range src {
		if c == '\n' {
			ps.lineStarts = append(ps.lineStarts, i+1)
		}
	}
	return ps
}

// line converts a source offset to a 1-based line number in the file.
func (ps *pageState) line(pos int) int {
	if pos < 0 {
		return 0
	}
	return sort.SearchInts(ps.lineStarts, pos+1) + ps.lineBase
}

// convert renders ps.src into ps.html. A panic anywhere in the Markdown
// stack becomes an error for this page instead of killing the build.
func convert(md goldmark.Markdown, ps *pageState) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("markdown renderer failed: %v", r)
		}
	}()
	pc := parser.NewContext()
	pc.Set(pageStateKey, ps)
	doc := md.Parser().Parse(text.NewReader(ps.src), parser.WithContext(pc))
	var buf bytes.Buffer
	buf.Grow(len(ps.src) * 2)
	if err := md.Renderer().Render(&buf, ps.src, doc); err != nil {
		return err
	}
	ps.html = buf.Bytes()
	return nil
}
