package nunjucks

import (
	"regexp"
	"strconv"
	"strings"
)

// Expression parsing: nunjucks' precedence climbing, from inline if down to
// primaries, postfix lookups and calls, and filters.

// ---- expressions ----

func (p *parser) parseExpression() (expr, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.parseInlineIf()
}

func (p *parser) parseInlineIf() (expr, error) {
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if ok, err := p.skipSymbol("if"); err != nil || !ok {
		return n, err
	}
	cond, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	node := &inlineIfNode{pos: n.position(), cond: cond, body: n}
	if ok, err := p.skipSymbol("else"); err != nil {
		return nil, err
	} else if ok {
		if node.els, err = p.parseOr(); err != nil {
			return nil, err
		}
	}
	return node, nil
}

func (p *parser) parseOr() (expr, error)  { return p.parseLogical("or", p.parseAnd) }
func (p *parser) parseAnd() (expr, error) { return p.parseLogical("and", p.parseNot) }

func (p *parser) parseLogical(word string, sub func() (expr, error)) (expr, error) {
	n, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		ok, err := p.skipSymbol(word)
		if err != nil {
			return nil, err
		}
		if !ok {
			return n, nil
		}
		r, err := sub()
		if err != nil {
			return nil, err
		}
		n = &binNode{pos: n.position(), op: word, l: n, r: r}
	}
}

func (p *parser) parseNot() (expr, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if ok, err := p.skipSymbol("not"); err != nil {
		return nil, err
	} else if ok {
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return pushNot(t.pos, x), nil
	}
	return p.parseIn()
}

// pushNot reproduces how nunjucks compiles "not": it emits "!" in front of
// the compiled operand without parentheses, so for a binary operand JS binds
// "!" to its leftmost term: `not a == b` means `(!a) == b` in nunjucks.
func pushNot(pos int, x expr) expr {
	if b, ok := x.(*binNode); ok && jsInfix(b.op) {
		return &binNode{pos: b.pos, op: b.op, l: pushNot(pos, b.l), r: b.r}
	}
	return &notNode{pos: pos, x: x}
}

// jsInfix reports operators that nunjucks emits as bare JS infix operators.
func jsInfix(op string) bool {
	switch op {
	case "in", "//", "**", "or", "and":
		return false
	}
	return true
}

func (p *parser) parseIn() (expr, error) {
	n, err := p.parseIs()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.next()
		if err != nil {
			return nil, err
		}
		invert := t.typ == tSymbol && t.val == "not"
		if !invert {
			p.push(t)
		}
		ok, err := p.skipSymbol("in")
		if err != nil {
			return nil, err
		}
		if !ok {
			if invert {
				p.push(t)
			}
			return n, nil
		}
		r, err := p.parseIs()
		if err != nil {
			return nil, err
		}
		n = &binNode{pos: n.position(), op: "in", l: n, r: r}
		if invert {
			n = &notNode{pos: n.position(), x: n}
		}
	}
}

func (p *parser) parseIs() (expr, error) {
	n, err := p.parseCompare()
	if err != nil {
		return nil, err
	}
	ok, err := p.skipSymbol("is")
	if err != nil || !ok {
		return n, err
	}
	not, err := p.skipSymbol("not")
	if err != nil {
		return nil, err
	}
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	if t.typ != tSymbol && t.typ != tNone {
		return nil, p.fail(t.pos, "expected a test name after is")
	}
	node := &isNode{pos: n.position(), x: n, test: t.val}
	if nt, _ := p.peek(); nt.typ == tOp && nt.val == "(" {
		p.next()
		if node.args, _, err = p.parseArgs(); err != nil {
			return nil, err
		}
	}
	if not {
		return &notNode{pos: node.pos, x: node}, nil
	}
	return node, nil
}

func (p *parser) parseCompare() (expr, error) {
	n, err := p.parseConcat()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.typ != tOp {
			return n, nil
		}
		switch t.val {
		case "==", "===", "!=", "!==", "<", ">", "<=", ">=":
		default:
			return n, nil
		}
		p.next()
		r, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		n = &binNode{pos: n.position(), op: t.val, l: n, r: r}
	}
}

func (p *parser) parseConcat() (expr, error) {
	return p.parseBinary([]string{"~"}, p.parseAdditive)
}

// JS precedence for + - and * / %: nunjucks nests these differently in its
// tree but emits them as bare JS operators, so V8's precedence is what runs.
func (p *parser) parseAdditive() (expr, error) {
	return p.parseBinary([]string{"+", "-"}, p.parseMultiplicative)
}

func (p *parser) parseMultiplicative() (expr, error) {
	return p.parseBinary([]string{"*", "/", "%"}, p.parseFloorDiv)
}

func (p *parser) parseFloorDiv() (expr, error) {
	return p.parseBinary([]string{"//"}, p.parsePow)
}

func (p *parser) parsePow() (expr, error) {
	return p.parseBinary([]string{"**"}, func() (expr, error) { return p.parseUnary(false) })
}

func (p *parser) parseBinary(ops []string, sub func() (expr, error)) (expr, error) {
	n, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.typ != tOp || !contains(ops, t.val) {
			return n, nil
		}
		p.next()
		r, err := sub()
		if err != nil {
			return nil, err
		}
		n = &binNode{pos: n.position(), op: t.val, l: n, r: r}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) parseUnary(noFilters bool) (expr, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	var n expr
	if t.typ == tOp && (t.val == "-" || t.val == "+") {
		p.next()
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		x, err := p.parseUnary(true)
		p.leave()
		if err != nil {
			return nil, err
		}
		if t.val == "-" {
			n = &negNode{pos: t.pos, x: x}
		} else {
			n = &posNode{pos: t.pos, x: x}
		}
	} else if n, err = p.parsePrimary(); err != nil {
		return nil, err
	}
	if noFilters {
		return n, nil
	}
	return p.parseFilters(n)
}

func (p *parser) parseFilters(n expr) (expr, error) {
	for {
		ok, err := p.skipOp("|")
		if err != nil || !ok {
			return n, err
		}
		t, _ := p.peek()
		name, err := p.parseFilterName()
		if err != nil {
			return nil, err
		}
		f := &filterNode{pos: t.pos, name: name, arg: n}
		if nt, _ := p.peek(); nt.typ == tOp && nt.val == "(" {
			p.next()
			if f.args, f.kwargs, err = p.parseArgs(); err != nil {
				return nil, err
			}
		}
		p.filters[name] = struct{}{}
		n = f
	}
}

func (p *parser) parseFilterName() (string, error) {
	t, err := p.next()
	if err != nil {
		return "", err
	}
	if t.typ != tSymbol {
		return "", p.fail(t.pos, "expected filter name, got %q", t.val)
	}
	name := t.val
	for {
		ok, err := p.skipOp(".")
		if err != nil {
			return "", err
		}
		if !ok {
			return name, nil
		}
		nt, err := p.next()
		if err != nil {
			return "", err
		}
		if nt.typ != tSymbol {
			return "", p.fail(nt.pos, "expected filter name, got %q", nt.val)
		}
		name += "." + nt.val
	}
}

// parseArgs reads call arguments after "(" up to and including ")".
func (p *parser) parseArgs() ([]expr, []kwArg, error) {
	var args []expr
	var kw []kwArg
	first := true
	for {
		t, err := p.peek()
		if err != nil {
			return nil, nil, err
		}
		if t.typ == tOp && t.val == ")" {
			p.next()
			return args, kw, nil
		}
		if t.typ == tEOF || t.typ == tBlockEnd || t.typ == tVarEnd {
			return nil, nil, p.fail(t.pos, "expected ) to close the argument list")
		}
		if !first {
			if ok, err := p.skipOp(","); err != nil {
				return nil, nil, err
			} else if !ok {
				return nil, nil, p.fail(t.pos, "parseSignature: expected comma after expression")
			}
		}
		first = false
		a, err := p.parseExpression()
		if err != nil {
			return nil, nil, err
		}
		if ok, err := p.skipOp("="); err != nil {
			return nil, nil, err
		} else if ok {
			v, err := p.parseExpression()
			if err != nil {
				return nil, nil, err
			}
			s, isSym := a.(*symNode)
			if !isSym {
				return nil, nil, p.fail(a.position(), "keyword argument name must be a name")
			}
			kw = append(kw, kwArg{name: s.name, val: v})
			continue
		}
		args = append(args, a)
	}
}

func (p *parser) parsePrimary() (expr, error) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	var n expr
	switch t.typ {
	case tString:
		n = &litNode{pos: t.pos, v: t.val}
	case tInt:
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			return nil, p.fail(t.pos, "invalid number %q", t.val)
		}
		n = &litNode{pos: t.pos, v: f}
	case tFloat:
		f, err := strconv.ParseFloat(strings.TrimSuffix(t.val, "."), 64)
		if err != nil {
			return nil, p.fail(t.pos, "invalid number %q", t.val)
		}
		n = &litNode{pos: t.pos, v: f}
	case tBool:
		n = &litNode{pos: t.pos, v: t.val == "true"}
	case tNone:
		n = &litNode{pos: t.pos, v: nil}
	case tRegex:
		re, err := compileJSRegex(t.val, t.flags)
		if err != nil {
			return nil, p.fail(t.pos, "invalid regular expression /%s/: %v", t.val, err)
		}
		n = &litNode{pos: t.pos, v: re}
	case tSymbol:
		n = &symNode{pos: t.pos, name: t.val}
	case tOp:
		switch t.val {
		case "(", "[", "{":
			if n, err = p.parseAggregate(t); err != nil {
				return nil, err
			}
		default:
			return nil, p.fail(t.pos, "unexpected token: %s", t.val)
		}
	case tEOF:
		return nil, p.fail(t.pos, "expected expression, got end of file")
	default:
		return nil, p.fail(t.pos, "unexpected token: %s", t.val)
	}
	return p.parsePostfix(n)
}

func (p *parser) parseAggregate(open token) (expr, error) {
	closer := map[string]string{"(": ")", "[": "]", "{": "}"}[open.val]
	var items []expr
	var keys []string
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.typ == tOp && (t.val == ")" || t.val == "]" || t.val == "}") {
			p.next()
			if t.val != closer {
				return nil, p.fail(t.pos, "expected %s, got %s", closer, t.val)
			}
			break
		}
		if t.typ == tEOF || t.typ == tBlockEnd || t.typ == tVarEnd {
			return nil, p.fail(t.pos, "expected %s before %q", closer, t.val)
		}
		if len(items) > 0 {
			if ok, err := p.skipOp(","); err != nil {
				return nil, err
			} else if !ok {
				return nil, p.fail(t.pos, "parseAggregate: expected comma after expression")
			}
			if nt, _ := p.peek(); nt.typ == tOp && nt.val == closer {
				continue // trailing comma
			}
		}
		if open.val == "{" {
			kt, err := p.next()
			if err != nil {
				return nil, err
			}
			if kt.typ != tSymbol && kt.typ != tString {
				return nil, p.fail(kt.pos, "compilePair: Dict keys must be strings or names")
			}
			if ok, err := p.skipOp(":"); err != nil {
				return nil, err
			} else if !ok {
				return nil, p.fail(kt.pos, "parseAggregate: expected colon after dict key")
			}
			v, err := p.parseExpression()
			if err != nil {
				return nil, err
			}
			keys = append(keys, kt.val)
			items = append(items, v)
			continue
		}
		e, err := p.parseExpression()
		if err != nil {
			return nil, err
		}
		items = append(items, e)
	}
	switch open.val {
	case "[":
		return &arrayNode{pos: open.pos, items: items}, nil
	case "{":
		return &dictNode{pos: open.pos, keys: keys, vals: items}, nil
	}
	if len(items) == 0 {
		return nil, p.fail(open.pos, "empty parentheses")
	}
	return &groupNode{pos: open.pos, items: items}, nil
}

func (p *parser) parsePostfix(n expr) (expr, error) {
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.typ != tOp {
			return n, nil
		}
		switch t.val {
		case "(":
			p.next()
			args, kw, err := p.parseArgs()
			if err != nil {
				return nil, err
			}
			n = &callNode{pos: t.pos, fn: n, args: args, kwargs: kw}
		case "[":
			p.next()
			idx, err := p.parseExpression()
			if err != nil {
				return nil, err
			}
			if ok, err := p.skipOp("]"); err != nil {
				return nil, err
			} else if !ok {
				return nil, p.fail(t.pos, "invalid index")
			}
			n = &lookupNode{pos: t.pos, obj: n, key: idx}
		case ".":
			p.next()
			nt, err := p.next()
			if err != nil {
				return nil, err
			}
			if nt.typ != tSymbol && nt.typ != tBool && nt.typ != tNone {
				return nil, p.fail(nt.pos, "expected name as lookup value, got %s", nt.val)
			}
			n = &lookupNode{pos: t.pos, obj: n, key: &litNode{pos: nt.pos, v: nt.val}}
		default:
			return n, nil
		}
	}
}

// compileJSRegex maps a JS regex literal onto Go's RE2. The i and m flags map
// directly; g is kept for replace(); y (sticky) has no RE2 equivalent and is
// ignored. Backreferences and lookaround are not supported by RE2 and fail.
func compileJSRegex(src, flags string) (*Regex, error) {
	prefix := ""
	if strings.Contains(flags, "i") {
		prefix += "i"
	}
	if strings.Contains(flags, "m") {
		prefix += "m"
	}
	pat := src
	if prefix != "" {
		pat = "(?" + prefix + ")" + src
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, err
	}
	return &Regex{Source: src, Flags: flags, re: re}, nil
}
