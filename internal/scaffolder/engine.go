package scaffolder

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/rigger-platform/rigger/internal/scaffolder/nunjucks"
)

// EngineOptions configure an Engine.
type EngineOptions struct {
	// Integrations resolves hosts for parseRepoUrl/projectSlug; nil means
	// DefaultIntegrations.
	Integrations IntegrationType
	// Limits bound every single render (one expression, one skeleton file).
	Limits nunjucks.Limits
	// SkeletonLimits bound a whole skeleton render.
	SkeletonLimits SkeletonLimits
	// Strict makes RenderValue fail on a string that does not render. By
	// default it behaves like Backstage, which logs the error and passes the
	// string on unrendered (so e.g. a bash "${#arr[@]}" in a debug:log
	// message still works); OnRenderError sees those errors.
	Strict bool
	// OnRenderError, if set, is told about every string RenderValue left
	// unrendered because of an error (non-strict mode). path is the key path
	// inside the value, such as "values.name".
	OnRenderError func(path string, err error)
}

// Engine renders template expressions and skeletons. It is safe for
// concurrent use and meant to be shared by all runs of a worker.
type Engine struct {
	opts EngineOptions

	mu   sync.Mutex
	envs map[envKey]*nunjucks.Env
	// cache holds compiled template.yaml strings: the same inputs are
	// rendered again for every run and every each-iteration.
	cache map[string]*nunjucks.Template
}

type envKey struct {
	cookiecutter, trimBlocks, lstripBlocks bool
}

const maxCachedExpressions = 4096

// NewEngine returns an Engine.
func NewEngine(opts EngineOptions) *Engine {
	if opts.Integrations == nil {
		opts.Integrations = DefaultIntegrations
	}
	opts.SkeletonLimits = opts.SkeletonLimits.withDefaults()
	return &Engine{opts: opts, envs: map[envKey]*nunjucks.Env{}, cache: map[string]*nunjucks.Template{}}
}

// env returns the nunjucks environment for a configuration: ${{ }} tags, or
// {{ }} with Jinja compatibility and the jsonify filter for cookiecutterCompat.
func (e *Engine) env(k envKey) *nunjucks.Env {
	e.mu.Lock()
	defer e.mu.Unlock()
	if env, ok := e.envs[k]; ok {
		return env
	}
	opts := nunjucks.Options{Tags: nunjucks.BackstageTags, TrimBlocks: k.trimBlocks, LStripBlocks: k.lstripBlocks, Limits: e.opts.Limits}
	if k.cookiecutter {
		opts.Tags = nunjucks.JinjaTags
		opts.JinjaCompat = true
	}
	env := nunjucks.NewEnv(opts)
	addBackstageFilters(env, e.opts.Integrations)
	if k.cookiecutter {
		if dump, ok := env.Filter("dump"); ok {
			env.AddFilter("jsonify", dump)
		}
	}
	e.envs[k] = env
	return env
}

// Compile compiles one template.yaml string with Backstage's ${{ }} tags,
// through the cache.
func (e *Engine) Compile(src string) (*nunjucks.Template, error) {
	e.mu.Lock()
	t, ok := e.cache[src]
	e.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := e.env(envKey{}).Compile("", src)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if len(e.cache) >= maxCachedExpressions {
		e.cache = map[string]*nunjucks.Template{}
	}
	e.cache[src] = t
	e.mu.Unlock()
	return t, nil
}

// hasTemplateSyntax reports whether nunjucks could treat s as anything but
// plain data; strings without it render to themselves.
func hasTemplateSyntax(s string) bool {
	return strings.Contains(s, "${{") || strings.Contains(s, "{%") || strings.Contains(s, "{#") || strings.Contains(s, "#}")
}

// RenderValue renders every string inside input, recursively, the way
// Backstage renders step inputs, `if`, `each` and the output:
//   - a string that is exactly one ${{ expr }} becomes the expression's value
//     with its type (number, boolean, object, array, null);
//   - any other string is rendered to a string;
//   - a result of undefined, or an empty string, drops the key (in a list it
//     becomes null, as JSON.stringify writes holes).
//
// A string that fails to render is kept as is (Backstage's behaviour) unless
// EngineOptions.Strict is set; running out of limits or a cancelled context
// always fails. The second result is false when the whole value rendered to
// undefined.
func (e *Engine) RenderValue(ctx context.Context, input any, c *Context) (any, bool, error) {
	vars, err := c.vars()
	if err != nil {
		return nil, false, err
	}
	in, err := nunjucks.Normalize(input)
	if err != nil {
		return nil, false, err
	}
	out, err := e.renderValue(ctx, in, vars, "")
	if err != nil {
		return nil, false, err
	}
	if nunjucks.IsUndefined(out) {
		return nil, false, nil
	}
	return out, true, nil
}

// RenderInput renders a step's input map; keys that render to undefined are
// dropped.
func (e *Engine) RenderInput(ctx context.Context, input map[string]any, c *Context) (map[string]any, error) {
	if input == nil {
		return map[string]any{}, nil
	}
	v, ok, err := e.RenderValue(ctx, input, c)
	if err != nil || !ok {
		return map[string]any{}, err
	}
	m, _ := v.(map[string]any)
	return m, nil
}

func (e *Engine) renderValue(ctx context.Context, v any, vars map[string]any, path string) (any, error) {
	switch x := v.(type) {
	case string:
		out, err := e.renderString(ctx, x, vars)
		if err != nil {
			if path != "" {
				err = fmt.Errorf("%s: %w", path, err)
			}
			if e.opts.Strict || errors.Is(err, nunjucks.ErrLimit) || ctx.Err() != nil {
				return nil, err
			}
			if e.opts.OnRenderError != nil {
				e.opts.OnRenderError(path, err)
			}
			return x, nil
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			r, err := e.renderValue(ctx, val, vars, joinPath(path, k))
			if err != nil {
				return nil, err
			}
			if !nunjucks.IsUndefined(r) {
				out[k] = r
			}
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			r, err := e.renderValue(ctx, val, vars, path+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			if nunjucks.IsUndefined(r) {
				r = nil
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (e *Engine) renderString(ctx context.Context, s string, vars map[string]any) (any, error) {
	if !hasTemplateSyntax(s) {
		if s == "" {
			return nunjucks.Undefined, nil
		}
		return s, nil
	}
	t, err := e.Compile(s)
	if err != nil {
		return nil, err
	}
	if t.IsSingleExpression() {
		v, err := t.Eval(ctx, vars)
		if err != nil {
			return nil, err
		}
		return jsonValue(v, 0), nil
	}
	out, err := t.Render(ctx, vars)
	if err != nil {
		return nil, err
	}
	if out == "" {
		return nunjucks.Undefined, nil
	}
	return out, nil
}

// jsonValue is JSON.parse(JSON.stringify(v)): what survives Backstage's
// "| dump" round trip. Functions and undefined vanish, NaN becomes null.
func jsonValue(v any, depth int) any {
	if depth > 512 {
		return nil
	}
	switch x := v.(type) {
	case nunjucks.Func:
		return nunjucks.Undefined
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	case *nunjucks.Regex:
		return map[string]any{}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r := jsonValue(e, depth+1)
			if !nunjucks.IsUndefined(r) {
				out[k] = r
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r := jsonValue(e, depth+1)
			if nunjucks.IsUndefined(r) {
				r = nil
			}
			out[i] = r
		}
		return out
	}
	return v
}

// IsTruthy is Backstage's isTruthy for `if`: JS truthiness, except that an
// empty array is false.
func IsTruthy(v any) bool {
	if a, ok := v.([]any); ok {
		return len(a) > 0
	}
	return nunjucks.Truthy(v)
}

// ShouldRun evaluates a step's `if`: absent runs, false skips, a string is
// rendered and tested with IsTruthy. Other values run, as in Backstage.
func (e *Engine) ShouldRun(ctx context.Context, cond any, c *Context) (bool, error) {
	switch x := cond.(type) {
	case nil:
		return true, nil
	case bool:
		return x, nil
	case string:
		v, ok, err := e.RenderValue(ctx, x, c)
		if err != nil {
			return false, fmt.Errorf("if: %w", err)
		}
		return ok && IsTruthy(v), nil
	}
	return true, nil
}

// Iterations resolves a step's `each` into its iterations (Object.entries of
// the rendered value: array indexes or object keys). A value that renders to
// nothing is an error, as in Backstage.
func (e *Engine) Iterations(ctx context.Context, each any, c *Context) ([]EachItem, error) {
	v, ok, err := e.RenderValue(ctx, each, c)
	if err != nil {
		return nil, fmt.Errorf("each: %w", err)
	}
	if !ok || !nunjucks.Truthy(v) {
		return nil, fmt.Errorf("each: %q cannot be resolved to a value", nunjucks.ToString(each))
	}
	var items []EachItem
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			items = append(items, EachItem{Key: strconv.Itoa(i), Value: e})
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			items = append(items, EachItem{Key: k, Value: x[k]})
		}
	case string:
		for i, r := range []rune(x) {
			items = append(items, EachItem{Key: strconv.Itoa(i), Value: string(r)})
		}
	}
	return items, nil
}

// RenderOutput renders spec.output. Links and text entries whose `if`
// renders falsy are removed (the Backstage frontend hides them).
func (e *Engine) RenderOutput(ctx context.Context, output map[string]any, c *Context) (map[string]any, error) {
	out, err := e.RenderInput(ctx, output, c)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	for _, key := range []string{"links", "text"} {
		list, ok := out[key].([]any)
		if !ok {
			continue
		}
		kept := list[:0:0]
		for _, item := range list {
			if m, ok := item.(map[string]any); ok {
				if cond, has := m["if"]; has && !IsTruthy(cond) {
					continue
				}
			}
			kept = append(kept, item)
		}
		out[key] = kept
	}
	return out, nil
}
