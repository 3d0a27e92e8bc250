package nunjucks

import (
	"fmt"
	"math"
	"strings"
)

// builtinTests are nunjucks' "is" tests (tests.js).
var builtinTests = map[string]func(v any, args []any) bool{
	"callable":  func(v any, _ []any) bool { _, ok := v.(Func); return ok },
	"defined":   func(v any, _ []any) bool { return !IsUndefined(v) },
	"undefined": func(v any, _ []any) bool { return IsUndefined(v) },
	"null":      func(v any, _ []any) bool { return v == nil },
	"none":      func(v any, _ []any) bool { return v == nil },
	"divisibleby": func(v any, a []any) bool {
		return math.Mod(ToNumber(v), ToNumber(arg(a, 0))) == 0
	},
	"escaped":     func(any, []any) bool { return false },
	"equalto":     func(v any, a []any) bool { return StrictEqual(v, arg(a, 0)) },
	"eq":          func(v any, a []any) bool { return StrictEqual(v, arg(a, 0)) },
	"sameas":      func(v any, a []any) bool { return StrictEqual(v, arg(a, 0)) },
	"ne":          func(v any, a []any) bool { return !StrictEqual(v, arg(a, 0)) },
	"even":        func(v any, _ []any) bool { return math.Mod(ToNumber(v), 2) == 0 },
	"odd":         func(v any, _ []any) bool { return math.Abs(math.Mod(ToNumber(v), 2)) == 1 },
	"falsy":       func(v any, _ []any) bool { return !Truthy(v) },
	"truthy":      func(v any, _ []any) bool { return Truthy(v) },
	"ge":          cmpTest(func(c int) bool { return c >= 0 }),
	"gt":          cmpTest(func(c int) bool { return c > 0 }),
	"greaterthan": cmpTest(func(c int) bool { return c > 0 }),
	"le":          cmpTest(func(c int) bool { return c <= 0 }),
	"lt":          cmpTest(func(c int) bool { return c < 0 }),
	"lessthan":    cmpTest(func(c int) bool { return c < 0 }),
	"lower": func(v any, _ []any) bool {
		s, ok := v.(string)
		return ok && strings.ToLower(s) == s
	},
	"upper": func(v any, _ []any) bool {
		s, ok := v.(string)
		return ok && strings.ToUpper(s) == s
	},
	"number": func(v any, _ []any) bool { _, ok := v.(float64); return ok },
	"string": func(v any, _ []any) bool { _, ok := v.(string); return ok },
	"iterable": func(v any, _ []any) bool {
		switch v.(type) {
		case string, []any:
			return true
		}
		return false
	},
	"mapping": func(v any, _ []any) bool { _, ok := v.(map[string]any); return ok },
}

func cmpTest(ok func(int) bool) func(v any, a []any) bool {
	return func(v any, a []any) bool {
		c, valid := compare(v, arg(a, 0))
		return valid && ok(c)
	}
}

// maxRange bounds range() before it allocates; no real skeleton loops a
// million times, and a hostile one must not get gigabytes.
const maxRange = 1_000_000

// rangeGlobal is nunjucks' range(start, stop, step).
func rangeGlobal(args []any, _ map[string]any) (any, error) {
	var start, stop, step float64 = 0, 0, 1
	switch len(args) {
	case 0:
		return []any{}, nil
	case 1:
		stop = ToNumber(args[0])
	default:
		start, stop = ToNumber(args[0]), ToNumber(args[1])
		if len(args) > 2 {
			step = ToNumber(args[2])
		}
	}
	if step == 0 || math.IsNaN(start+stop+step) {
		return []any{}, nil
	}
	n := math.Ceil((stop - start) / step)
	if n <= 0 {
		return []any{}, nil
	}
	if n > maxRange {
		return nil, fmt.Errorf("%w: range of %v elements", ErrLimit, n)
	}
	out := make([]any, 0, int(n))
	for i := 0; i < int(n); i++ {
		out = append(out, start+float64(i)*step)
	}
	return out, nil
}
