package nunjucks

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Limits bound one render so that a hostile or broken template cannot hang a
// worker or exhaust its memory: nunjucks itself has no such limits, Backstage
// relies on an isolated-vm heap cap; we count work instead.
type Limits struct {
	// MaxSteps caps evaluated nodes and loop iterations per render.
	MaxSteps int64
	// MaxBytes caps the rendered output and any single string or array built
	// while rendering (arrays count one byte per element).
	MaxBytes int
	// MaxDepth caps the nesting of tags and expressions when parsing, which
	// bounds recursion in the parser and the evaluator.
	MaxDepth int
	// Timeout caps the wall-clock time of one render.
	Timeout time.Duration
}

// DefaultLimits are generous for real skeletons (the largest corpus file,
// 200 KB of CSS, uses about 0.1% of them) and small enough to stop a runaway
// template within a second or so.
var DefaultLimits = Limits{
	MaxSteps: 20_000_000,
	MaxBytes: 64 << 20,
	MaxDepth: 128,
	Timeout:  10 * time.Second,
}

func (l Limits) withDefaults() Limits {
	if l.MaxSteps <= 0 {
		l.MaxSteps = DefaultLimits.MaxSteps
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultLimits.Timeout
	}
	return l
}

// Options configure an Env.
type Options struct {
	// Tags are the delimiters; the zero value means BackstageTags.
	Tags Tags
	// TrimBlocks drops the first newline after a block tag.
	TrimBlocks bool
	// LStripBlocks drops the indentation before a block tag.
	LStripBlocks bool
	// JinjaCompat enables what nunjucks' installJinjaCompat adds, as
	// Backstage does for cookiecutterCompat: True/False/None and Python
	// methods such as dict.items() and str.upper().
	JinjaCompat bool
	Limits      Limits
}

// FilterFunc is a filter: value | name(args..., key=value).
type FilterFunc func(v any, args []any, kwargs map[string]any) (any, error)

// Env holds the configuration and filters shared by many templates. It is
// safe for concurrent use once configured.
type Env struct {
	opts    Options
	filters map[string]FilterFunc
	globals map[string]any
}

// NewEnv returns an environment with nunjucks' built-in filters.
func NewEnv(opts Options) *Env {
	if opts.Tags == (Tags{}) {
		opts.Tags = BackstageTags
	}
	opts.Limits = opts.Limits.withDefaults()
	e := &Env{opts: opts, filters: map[string]FilterFunc{}, globals: map[string]any{}}
	for name, f := range builtinFilters {
		e.filters[name] = f
	}
	e.globals["range"] = Func(rangeGlobal)
	return e
}

// AddFilter registers or replaces a filter. Not safe once rendering started.
func (e *Env) AddFilter(name string, f FilterFunc) { e.filters[name] = f }

// AddGlobal registers a global variable or Func.
func (e *Env) AddGlobal(name string, v any) { e.globals[name] = v }

// HasFilter reports whether a filter is registered.
func (e *Env) HasFilter(name string) bool { _, ok := e.filters[name]; return ok }

// Options returns the environment's options.
func (e *Env) Options() Options { return e.opts }

// Template is a parsed template, reusable and safe for concurrent renders.
type Template struct {
	env     *Env
	name    string
	src     string
	root    []stmt
	filters []string
}

// Error is a parse or render error with its position in the template.
type Error struct {
	Name      string // template name, when known
	Pos       int    // byte offset
	Line, Col int    // 1-based
	Msg       string
}

func (e *Error) Error() string {
	where := ""
	if e.Name != "" {
		where = e.Name + ": "
	}
	if e.Line > 0 {
		return fmt.Sprintf("%sline %d, column %d: %s", where, e.Line, e.Col, e.Msg)
	}
	return where + e.Msg
}

// locate fills Line and Col from Pos.
func (e *Error) locate(name, src string) *Error {
	e.Name = name
	if e.Pos > len(src) {
		e.Pos = len(src)
	}
	e.Line = strings.Count(src[:e.Pos], "\n") + 1
	e.Col = e.Pos - strings.LastIndexByte(src[:e.Pos], '\n')
	return e
}

// Compile parses src. name is used in error messages only.
func (e *Env) Compile(name, src string) (t *Template, err error) {
	defer recoverInto(&err)
	p := &parser{
		lx:       newLexer(src, e.opts.Tags, e.opts.TrimBlocks, e.opts.LStripBlocks),
		maxDepth: e.opts.Limits.MaxDepth,
		filters:  map[string]struct{}{},
		tags:     e.opts.Tags,
	}
	root, err := p.parseRoot()
	if err != nil {
		if pe, ok := err.(*Error); ok {
			return nil, pe.locate(name, src)
		}
		return nil, err
	}
	t = &Template{env: e, name: name, src: src, root: root}
	for f := range p.filters {
		t.filters = append(t.filters, f)
	}
	sort.Strings(t.filters)
	return t, nil
}

// recoverInto turns an unexpected panic into an error. The engine is written
// not to panic (and fuzzed for it); this is the last line of defence so that
// one malformed template can never take a worker down.
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("nunjucks: internal error: %v", r)
	}
}

// Filters lists the filter names the template uses, for static validation.
func (t *Template) Filters() []string { return t.filters }

// Name is the name given to Compile.
func (t *Template) Name() string { return t.name }

// IsSingleExpression reports whether the template is exactly one ${{ }}
// expression with nothing around it. Backstage keeps the type of such a value
// (number, boolean, object) instead of rendering it to a string.
func (t *Template) IsSingleExpression() bool {
	if len(t.root) != 1 {
		return false
	}
	_, ok := t.root[0].(*outputNode)
	return ok
}

// Render renders the template. vars should hold values in the engine's model
// (see Normalize); other Go types are normalized when they are looked up.
func (t *Template) Render(ctx context.Context, vars map[string]any) (out string, err error) {
	defer recoverInto(&err)
	s := t.newState(ctx, vars)
	s.out.Grow(len(t.src))
	if err := s.execBody(t.root); err != nil {
		return "", t.wrap(err)
	}
	return s.out.String(), nil
}

// Eval evaluates a single-expression template to its value; for any other
// template it renders and returns the string.
func (t *Template) Eval(ctx context.Context, vars map[string]any) (v any, err error) {
	if !t.IsSingleExpression() {
		return t.Render(ctx, vars)
	}
	defer recoverInto(&err)
	s := t.newState(ctx, vars)
	v, err = s.eval(t.root[0].(*outputNode).x)
	if err != nil {
		return nil, t.wrap(err)
	}
	return v, nil
}

func (t *Template) wrap(err error) error {
	if e, ok := err.(*Error); ok {
		return e.locate(t.name, t.src)
	}
	return err
}

func (t *Template) newState(ctx context.Context, vars map[string]any) *state {
	if ctx == nil {
		ctx = context.Background()
	}
	lim := t.env.opts.Limits
	return &state{
		ctx: ctx, env: t.env, vars: vars,
		frame:    &frame{},
		maxSteps: lim.MaxSteps, maxBytes: lim.MaxBytes,
		deadline: time.Now().Add(lim.Timeout),
	}
}

// Filter returns a registered filter, so that a caller can alias it (as
// Backstage aliases dump as jsonify for cookiecutter templates).
func (e *Env) Filter(name string) (FilterFunc, bool) {
	f, ok := e.filters[name]
	return f, ok
}
