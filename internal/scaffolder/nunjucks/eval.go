package nunjucks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrLimit is wrapped by every error caused by Limits (steps, size, time).
var ErrLimit = errors.New("template exceeded its limits")

type frame struct {
	vars   map[string]any
	parent *frame
}

// lookup walks the frames outwards; a variable holding undefined is
// transparent, as in nunjucks' Frame.lookup.
func (f *frame) lookup(name string) (any, bool) {
	for ; f != nil; f = f.parent {
		if v, ok := f.vars[name]; ok && !IsUndefined(v) {
			return v, true
		}
	}
	return nil, false
}

// set assigns like nunjucks' Frame.set(name, v, resolveUp=true): an existing
// variable in an enclosing frame is updated (so a {% set %} inside a for loop
// changes a variable set before the loop), otherwise the current frame gets it.
func (f *frame) set(name string, v any) {
	for g := f; g != nil; g = g.parent {
		if old, ok := g.vars[name]; ok && !IsUndefined(old) {
			g.vars[name] = v
			return
		}
	}
	if f.vars == nil {
		f.vars = map[string]any{}
	}
	f.vars[name] = v
}

type state struct {
	ctx      context.Context
	env      *Env
	vars     map[string]any
	frame    *frame
	out      strings.Builder
	steps    int64
	maxSteps int64
	maxBytes int
	deadline time.Time
}

// step charges n units of work and checks the limits every so often.
func (s *state) step(pos int, n int64) error {
	s.steps += n
	if s.steps > s.maxSteps {
		return &Error{Pos: pos, Msg: fmt.Sprintf("%v: more than %d evaluation steps", ErrLimit, s.maxSteps)}
	}
	if s.steps&0x3ff < n || n > 0x3ff {
		if err := s.ctx.Err(); err != nil {
			return &Error{Pos: pos, Msg: fmt.Sprintf("%v: %v", ErrLimit, err)}
		}
		if time.Now().After(s.deadline) {
			return &Error{Pos: pos, Msg: fmt.Sprintf("%v: render took too long", ErrLimit)}
		}
	}
	return nil
}

// checkSize stops values that grow past MaxBytes (string doubling in a loop,
// huge ranges, padStart(1e12)).
func (s *state) checkSize(pos int, v any) error {
	n := 0
	switch x := v.(type) {
	case string:
		n = len(x)
	case []any:
		n = len(x)
	}
	if n > s.maxBytes {
		return &Error{Pos: pos, Msg: fmt.Sprintf("%v: value larger than %d bytes", ErrLimit, s.maxBytes)}
	}
	return nil
}

func (s *state) write(pos int, str string) error {
	s.out.WriteString(str)
	if s.out.Len() > s.maxBytes {
		return &Error{Pos: pos, Msg: fmt.Sprintf("%v: output larger than %d bytes", ErrLimit, s.maxBytes)}
	}
	return nil
}

// ---- expressions ----

func (s *state) eval(e expr) (any, error) {
	if err := s.step(e.position(), 1); err != nil {
		return nil, err
	}
	switch n := e.(type) {
	case *litNode:
		return n.v, nil
	case *symNode:
		return s.lookupSymbol(n.name), nil
	case *lookupNode:
		obj, err := s.eval(n.obj)
		if err != nil {
			return nil, err
		}
		key, err := s.eval(n.key)
		if err != nil {
			return nil, err
		}
		return memberLookup(obj, key, s.env.opts.JinjaCompat), nil
	case *callNode:
		return s.evalCall(n)
	case *filterNode:
		v, err := s.eval(n.arg)
		if err != nil {
			return nil, err
		}
		return s.callFilter(n, v)
	case *binNode:
		return s.evalBinary(n)
	case *notNode:
		v, err := s.eval(n.x)
		return !Truthy(v), err
	case *negNode:
		v, err := s.eval(n.x)
		return -ToNumber(v), err
	case *posNode:
		v, err := s.eval(n.x)
		return ToNumber(v), err
	case *isNode:
		return s.evalIs(n)
	case *inlineIfNode:
		c, err := s.eval(n.cond)
		if err != nil {
			return nil, err
		}
		if Truthy(c) {
			return s.eval(n.body)
		}
		if n.els == nil {
			return "", nil
		}
		return s.eval(n.els)
	case *arrayNode:
		out := make([]any, len(n.items))
		for i, it := range n.items {
			v, err := s.eval(it)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case *dictNode:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			v, err := s.eval(n.vals[i])
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	case *groupNode:
		var v any
		for _, it := range n.items {
			var err error
			if v, err = s.eval(it); err != nil {
				return nil, err
			}
		}
		return v, nil
	case *capturedBody:
		return nil, &Error{Pos: n.pos, Msg: "internal error: filter body evaluated outside its block"}
	}
	return nil, &Error{Pos: e.position(), Msg: fmt.Sprintf("unknown expression %T", e)}
}

func (s *state) lookupSymbol(name string) any {
	if v, ok := s.frame.lookup(name); ok {
		return v
	}
	if v, ok := s.vars[name]; ok {
		return fixValue(v)
	}
	if v, ok := s.env.globals[name]; ok {
		return v
	}
	if s.env.opts.JinjaCompat {
		switch name {
		case "True":
			return true
		case "False":
			return false
		case "None":
			return nil
		}
	}
	return Undefined
}

// fixValue brings a caller's value into the model if it was not normalized.
func fixValue(v any) any {
	switch v.(type) {
	case nil, undefinedType, bool, float64, string, []any, map[string]any, Func, *Regex:
		return v
	}
	n, err := Normalize(v)
	if err != nil {
		return Undefined
	}
	return n
}

// propertyKey converts a lookup key the way JS property access does.
func propertyKey(key any) string {
	if s, ok := key.(string); ok {
		return s
	}
	return ToString(key)
}

// arrayIndex returns the integer index a key denotes, if any.
func arrayIndex(key any) (int, bool) {
	switch k := key.(type) {
	case float64:
		if k >= 0 && k == math.Trunc(k) && k < math.MaxInt32 {
			return int(k), true
		}
	case string:
		if n, err := strconv.Atoi(k); err == nil && n >= 0 && strconv.Itoa(n) == k {
			return n, true
		}
	}
	return 0, false
}

// memberLookup is nunjucks' runtime.memberLookup: obj[key], undefined for a
// missing property or a null/undefined object, methods bound to obj.
func memberLookup(obj, key any, jinja bool) any {
	switch o := obj.(type) {
	case nil, undefinedType:
		return Undefined
	case map[string]any:
		k := propertyKey(key)
		if v, ok := o[k]; ok {
			return fixValue(v)
		}
		return objectMethod(o, k, jinja)
	case []any:
		if i, ok := arrayIndex(key); ok {
			if i < len(o) {
				return fixValue(o[i])
			}
			return Undefined
		}
		k := propertyKey(key)
		if k == "length" {
			return float64(len(o))
		}
		return arrayMethod(o, k, jinja)
	case string:
		if i, ok := arrayIndex(key); ok {
			if isASCII(o) {
				if i < len(o) {
					return o[i : i+1]
				}
				return Undefined
			}
			u := utf16Units(o)
			if i < len(u) {
				return fromUnits(u[i : i+1])
			}
			return Undefined
		}
		k := propertyKey(key)
		if k == "length" {
			return float64(jsLength(o))
		}
		return stringMethod(o, k)
	case float64:
		return numberMethod(o, propertyKey(key))
	case bool:
		if propertyKey(key) == "toString" {
			return Func(func([]any, map[string]any) (any, error) { return ToString(o), nil })
		}
	case *Regex:
		switch propertyKey(key) {
		case "source":
			return o.Source
		case "flags":
			return o.Flags
		case "test":
			return Func(func(args []any, _ map[string]any) (any, error) {
				return o.re.MatchString(ToString(arg(args, 0))), nil
			})
		}
	}
	return Undefined
}

func arg(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return Undefined
}

// nodeName renders an expression for error messages like nunjucks does.
func nodeName(e expr) string {
	switch n := e.(type) {
	case *symNode:
		return n.name
	case *lookupNode:
		if l, ok := n.key.(*litNode); ok {
			return fmt.Sprintf("%s[%q]", nodeName(n.obj), ToString(l.v))
		}
		return nodeName(n.obj) + "[...]"
	case *callNode:
		return "the return value of (" + nodeName(n.fn) + ")"
	case *litNode:
		return ToString(n.v)
	}
	return "--expression--"
}

func (s *state) evalArgs(args []expr, kwargs []kwArg) ([]any, map[string]any, error) {
	vals := make([]any, len(args))
	for i, a := range args {
		v, err := s.eval(a)
		if err != nil {
			return nil, nil, err
		}
		vals[i] = v
	}
	var kw map[string]any
	if len(kwargs) > 0 {
		kw = make(map[string]any, len(kwargs))
		for _, k := range kwargs {
			v, err := s.eval(k.val)
			if err != nil {
				return nil, nil, err
			}
			kw[k.name] = v
		}
	}
	return vals, kw, nil
}

func (s *state) evalCall(n *callNode) (any, error) {
	fn, err := s.eval(n.fn)
	if err != nil {
		return nil, err
	}
	f, ok := fn.(Func)
	if !ok {
		if !Truthy(fn) {
			return nil, &Error{Pos: n.pos, Msg: fmt.Sprintf("Unable to call `%s`, which is undefined or falsey", nodeName(n.fn))}
		}
		return nil, &Error{Pos: n.pos, Msg: fmt.Sprintf("Unable to call `%s`, which is not a function", nodeName(n.fn))}
	}
	args, kw, err := s.evalArgs(n.args, n.kwargs)
	if err != nil {
		return nil, err
	}
	v, err := f(args, kw)
	if err != nil {
		return nil, wrapCallErr(n.pos, err)
	}
	return v, s.checkSize(n.pos, v)
}

func wrapCallErr(pos int, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Pos: pos, Msg: err.Error()}
}

func (s *state) callFilter(n *filterNode, v any) (any, error) {
	f, ok := s.env.filters[n.name]
	if !ok {
		return nil, &Error{Pos: n.pos, Msg: "filter not found: " + n.name}
	}
	args, kw, err := s.evalArgs(n.args, n.kwargs)
	if err != nil {
		return nil, err
	}
	out, err := f(v, args, kw)
	if err != nil {
		return nil, wrapCallErr(n.pos, fmt.Errorf("%s: %w", n.name, err))
	}
	return out, s.checkSize(n.pos, out)
}

func (s *state) evalBinary(n *binNode) (any, error) {
	l, err := s.eval(n.l)
	if err != nil {
		return nil, err
	}
	switch n.op { // short-circuit operators return an operand, as in JS
	case "or":
		if Truthy(l) {
			return l, nil
		}
		return s.eval(n.r)
	case "and":
		if !Truthy(l) {
			return l, nil
		}
		return s.eval(n.r)
	}
	r, err := s.eval(n.r)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "==":
		return LooseEqual(l, r), nil
	case "!=":
		return !LooseEqual(l, r), nil
	case "===":
		return StrictEqual(l, r), nil
	case "!==":
		return !StrictEqual(l, r), nil
	case "<", ">", "<=", ">=":
		c, ok := compare(l, r)
		if !ok {
			return false, nil
		}
		switch n.op {
		case "<":
			return c < 0, nil
		case ">":
			return c > 0, nil
		case "<=":
			return c <= 0, nil
		}
		return c >= 0, nil
	case "+":
		pl, pr := toPrimitive(l), toPrimitive(r)
		_, ls := pl.(string)
		_, rs := pr.(string)
		if ls || rs {
			out := ToString(pl) + ToString(pr)
			return out, s.checkSize(n.pos, out)
		}
		return ToNumber(pl) + ToNumber(pr), nil
	case "~":
		out := ToString(l) + ToString(r)
		return out, s.checkSize(n.pos, out)
	case "-":
		return ToNumber(l) - ToNumber(r), nil
	case "*":
		return ToNumber(l) * ToNumber(r), nil
	case "/":
		return ToNumber(l) / ToNumber(r), nil
	case "%":
		return math.Mod(ToNumber(l), ToNumber(r)), nil
	case "//":
		return math.Floor(ToNumber(l) / ToNumber(r)), nil
	case "**":
		return math.Pow(ToNumber(l), ToNumber(r)), nil
	case "in":
		return inOperator(n.pos, l, r)
	}
	return nil, &Error{Pos: n.pos, Msg: "unknown operator " + n.op}
}

// inOperator is nunjucks' lib.inOperator.
func inOperator(pos int, key, val any) (any, error) {
	switch v := val.(type) {
	case []any:
		for _, e := range v {
			if StrictEqual(e, key) {
				return true, nil
			}
		}
		return false, nil
	case string:
		return strings.Contains(v, ToString(key)), nil
	case map[string]any:
		_, ok := v[propertyKey(key)]
		return ok, nil
	}
	return nil, &Error{Pos: pos, Msg: fmt.Sprintf(`Cannot use "in" operator to search for "%s" in unexpected types.`, ToString(key))}
}

func (s *state) evalIs(n *isNode) (any, error) {
	v, err := s.eval(n.x)
	if err != nil {
		return nil, err
	}
	test, ok := builtinTests[n.test]
	if !ok {
		return nil, &Error{Pos: n.pos, Msg: "test not found: " + n.test}
	}
	args, _, err := s.evalArgs(n.args, nil)
	if err != nil {
		return nil, err
	}
	return test(v, args), nil
}
