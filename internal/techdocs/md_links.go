package techdocs

import (
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// linkTransformer hands every Markdown link and image destination to the
// page's resolver, which rewrites `page.md#anchor` to the built URL and
// reports broken or escaping links with their line.
type linkTransformer struct{}

func (linkTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	ps := pageStateOf(pc)
	if ps == nil || ps.resolve == nil {
		return
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := n.(type) {
		case *ast.Link:
			t.Destination = []byte(ps.resolve(string(t.Destination), ps.line(nodePos(t))))
		case *ast.Image:
			t.Destination = []byte(ps.resolve(string(t.Destination), ps.line(nodePos(t))))
		}
		return ast.WalkContinue, nil
	})
}

// nodePos is the node's source offset, or its nearest block's.
func nodePos(n ast.Node) int {
	for ; n != nil; n = n.Parent() {
		if p := n.Pos(); p >= 0 {
			return p
		}
		if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
			return n.Lines().At(0).Start
		}
	}
	return -1
}
