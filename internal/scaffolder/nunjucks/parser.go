package nunjucks

import (
	"fmt"
	"strings"
)

// The parser mirrors nunjucks' parser.js: the same statements, the same
// operator precedence, and the same whitespace-control rules (a "-" on a tag
// trims the neighbouring data), so that templates split and trim the way they
// do in Backstage.

type parser struct {
	lx        *lexer
	pushed    []token
	dropLead  bool     // the previous tag ended with "-": trim the next data
	breakOn   []string // block names that end the current body
	depth     int
	maxDepth  int
	filters   map[string]struct{}
	tags      Tags
	singleOut bool
}

func (p *parser) fail(pos int, format string, args ...any) error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) next() (token, error) {
	if n := len(p.pushed); n > 0 {
		t := p.pushed[n-1]
		p.pushed = p.pushed[:n-1]
		return t, nil
	}
	return p.lx.next()
}

func (p *parser) peek() (token, error) {
	t, err := p.next()
	if err != nil {
		return t, err
	}
	p.pushed = append(p.pushed, t)
	return t, nil
}

func (p *parser) push(t token) { p.pushed = append(p.pushed, t) }

// skip consumes the next token if it is the operator op.
func (p *parser) skipOp(op string) (bool, error) {
	t, err := p.peek()
	if err != nil {
		return false, err
	}
	if t.typ == tOp && t.val == op {
		p.pushed = p.pushed[:len(p.pushed)-1]
		return true, nil
	}
	return false, nil
}

func (p *parser) skipSymbol(name string) (bool, error) {
	t, err := p.peek()
	if err != nil {
		return false, err
	}
	if t.typ == tSymbol && t.val == name {
		p.pushed = p.pushed[:len(p.pushed)-1]
		return true, nil
	}
	return false, nil
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > p.maxDepth {
		return p.fail(pos, "template nested deeper than %d levels", p.maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// parseRoot parses a whole template.
func (p *parser) parseRoot() ([]stmt, error) {
	nodes, err := p.parseNodes()
	if err != nil {
		return nil, err
	}
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	if t.typ != tEOF {
		return nil, p.fail(t.pos, "unexpected %q", t.val)
	}
	return nodes, nil
}

func (p *parser) parseNodes() ([]stmt, error) {
	var buf []stmt
	for {
		t, err := p.next()
		if err != nil {
			return nil, err
		}
		switch t.typ {
		case tEOF:
			p.push(t)
			return buf, nil
		case tData:
			data := t.val
			if p.dropLead {
				data = strings.TrimLeftFunc(data, isJSSpace)
				p.dropLead = false
			}
			nt, err := p.peek()
			if err != nil {
				return nil, err
			}
			if (nt.typ == tBlockStart && strings.HasSuffix(nt.val, "-")) ||
				(nt.typ == tVarStart && strings.HasSuffix(nt.val, "-")) ||
				(nt.typ == tComment && strings.HasPrefix(nt.val[len(p.tags.CommentStart):], "-")) {
				data = strings.TrimRightFunc(data, isJSSpace)
			}
			buf = append(buf, &dataNode{pos: t.pos, text: data})
		case tBlockStart:
			p.dropLead = false
			n, err := p.parseStatement()
			if err != nil {
				return nil, err
			}
			if n == nil {
				return buf, nil // a block name in breakOn: the caller handles it
			}
			buf = append(buf, n)
		case tVarStart:
			e, err := p.parseExpression()
			if err != nil {
				return nil, err
			}
			p.dropLead = false
			end, err := p.next()
			if err != nil {
				return nil, err
			}
			if end.typ != tVarEnd {
				return nil, p.fail(end.pos, "expected variable end, got %q", end.val)
			}
			p.dropLead = strings.HasPrefix(end.val, "-")
			buf = append(buf, &outputNode{pos: t.pos, x: e})
		case tComment:
			body := t.val[:len(t.val)-len(p.tags.CommentEnd)]
			p.dropLead = strings.HasSuffix(body, "-")
		default:
			return nil, p.fail(t.pos, "unexpected token %q", t.val)
		}
	}
}

// parseUntil parses a body that ends at one of the named blocks, leaving the
// block name as the next token.
func (p *parser) parseUntil(names ...string) ([]stmt, error) {
	prev := p.breakOn
	p.breakOn = names
	nodes, err := p.parseNodes()
	p.breakOn = prev
	if err != nil {
		return nil, err
	}
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.typ != tSymbol {
		return nil, p.fail(t.pos, "unexpected end of file: expected %s", strings.Join(names, " or "))
	}
	return nodes, nil
}

// blockEnd consumes the %} that closes a tag.
func (p *parser) blockEnd(name string) error {
	t, err := p.next()
	if err != nil {
		return err
	}
	if t.typ != tBlockEnd {
		return p.fail(t.pos, "expected block end in %s statement", name)
	}
	if strings.HasPrefix(t.val, "-") {
		p.dropLead = true
	}
	return nil
}

// closeBlock consumes "{% name %}" whose name was peeked by parseUntil.
func (p *parser) closeBlock(name string) error {
	if _, err := p.next(); err != nil {
		return err
	}
	return p.blockEnd(name)
}

func (p *parser) parseStatement() (stmt, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.typ != tSymbol {
		return nil, p.fail(t.pos, "tag name expected")
	}
	for _, b := range p.breakOn {
		if b == t.val {
			return nil, nil
		}
	}
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	switch t.val {
	case "if":
		return p.parseIf()
	case "for":
		return p.parseFor()
	case "set":
		return p.parseSet()
	case "raw", "verbatim":
		return p.parseRaw(t.val)
	case "filter":
		return p.parseFilterBlock()
	case "include", "import", "from", "extends":
		return nil, p.fail(t.pos, "%s is not allowed: templates may not load other files", t.val)
	case "macro", "call", "block", "switch", "asyncEach", "asyncAll", "ifAsync":
		return nil, p.fail(t.pos, "unsupported tag %q", t.val)
	}
	return nil, p.fail(t.pos, "unknown block tag: %s", t.val)
}

func (p *parser) parseIf() (stmt, error) {
	t, _ := p.next() // if / elif / elseif
	cond, err := p.parseExpression()
	if err != nil {
		return nil, err
	}
	if err := p.blockEnd(t.val); err != nil {
		return nil, err
	}
	body, err := p.parseUntil("elif", "elseif", "else", "endif")
	if err != nil {
		return nil, err
	}
	n := &ifNode{pos: t.pos, cond: cond, body: body}
	nt, _ := p.peek()
	switch nt.val {
	case "elif", "elseif":
		if err := p.enter(nt.pos); err != nil {
			return nil, err
		}
		defer p.leave()
		els, err := p.parseIf()
		if err != nil {
			return nil, err
		}
		n.els = []stmt{els}
	case "else":
		if err := p.closeBlock("else"); err != nil {
			return nil, err
		}
		if n.els, err = p.parseUntil("endif"); err != nil {
			return nil, err
		}
		if err := p.closeBlock("endif"); err != nil {
			return nil, err
		}
	case "endif":
		if err := p.closeBlock("endif"); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (p *parser) parseFor() (stmt, error) {
	t, _ := p.next()
	n := &forNode{pos: t.pos}
	for {
		nt, err := p.next()
		if err != nil {
			return nil, err
		}
		if nt.typ != tSymbol {
			return nil, p.fail(nt.pos, "parseFor: variable name expected for loop")
		}
		n.names = append(n.names, nt.val)
		if ok, err := p.skipOp(","); err != nil {
			return nil, err
		} else if !ok {
			break
		}
	}
	if ok, err := p.skipSymbol("in"); err != nil {
		return nil, err
	} else if !ok {
		return nil, p.fail(t.pos, `parseFor: expected "in" keyword for loop`)
	}
	var err error
	if n.iter, err = p.parseExpression(); err != nil {
		return nil, err
	}
	if err := p.blockEnd("for"); err != nil {
		return nil, err
	}
	if n.body, err = p.parseUntil("endfor", "else"); err != nil {
		return nil, err
	}
	if nt, _ := p.peek(); nt.val == "else" {
		if err := p.closeBlock("else"); err != nil {
			return nil, err
		}
		if n.els, err = p.parseUntil("endfor"); err != nil {
			return nil, err
		}
	}
	return n, p.closeBlock("endfor")
}

func (p *parser) parseSet() (stmt, error) {
	t, _ := p.next()
	n := &setNode{pos: t.pos}
	for {
		nt, err := p.next()
		if err != nil {
			return nil, err
		}
		if nt.typ != tSymbol {
			return nil, p.fail(nt.pos, "parseSet: expected a variable name")
		}
		n.targets = append(n.targets, nt.val)
		if ok, err := p.skipOp(","); err != nil {
			return nil, err
		} else if !ok {
			break
		}
	}
	ok, err := p.skipOp("=")
	if err != nil {
		return nil, err
	}
	if ok {
		if n.value, err = p.parseExpression(); err != nil {
			return nil, err
		}
		return n, p.blockEnd("set")
	}
	if err := p.blockEnd("set"); err != nil {
		return nil, p.fail(t.pos, "parseSet: expected = or block end in set tag")
	}
	if n.body, err = p.parseUntil("endset"); err != nil {
		return nil, err
	}
	return n, p.closeBlock("endset")
}

func (p *parser) parseRaw(tag string) (stmt, error) {
	t, _ := p.next()
	if err := p.blockEnd(tag); err != nil {
		return nil, err
	}
	if len(p.pushed) > 0 {
		return nil, p.fail(t.pos, "internal error: tokens pending before %s", tag)
	}
	text, ok := p.lx.rawUntil(tag)
	if !ok {
		return nil, p.fail(t.pos, "expected end%s", tag)
	}
	return &dataNode{pos: t.pos, text: text}, nil
}

func (p *parser) parseFilterBlock() (stmt, error) {
	t, _ := p.next()
	name, err := p.parseFilterName()
	if err != nil {
		return nil, err
	}
	f := &filterNode{pos: t.pos, name: name, arg: &capturedBody{pos: t.pos}}
	if nt, _ := p.peek(); nt.typ == tOp && nt.val == "(" {
		p.next()
		if f.args, f.kwargs, err = p.parseArgs(); err != nil {
			return nil, err
		}
	}
	p.filters[name] = struct{}{}
	if err := p.blockEnd("filter"); err != nil {
		return nil, err
	}
	body, err := p.parseUntil("endfilter")
	if err != nil {
		return nil, err
	}
	return &filterBlockNode{pos: t.pos, call: f, body: body}, p.closeBlock("endfilter")
}
