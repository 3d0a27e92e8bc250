package nunjucks

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Templates in the wild call JavaScript methods on values, because nunjucks
// lets them: values.environments.split(","), name.replaceAll("-", "_"),
// list.join(", "). These are the methods of String, Array, Number and Object
// that make sense without callbacks, plus the Python list and dict methods
// that nunjucks' Jinja compatibility mode adds (for cookiecutterCompat
// templates; it adds none to strings).

// hardMaxAlloc refuses method calls that would allocate absurd sizes before
// they allocate; the render's own MaxBytes check applies to the result.
const hardMaxAlloc = 256 << 20

func method(f func(args []any) (any, error)) Func {
	return func(args []any, _ map[string]any) (any, error) { return f(args) }
}

// intArg is JS ToIntegerOrInfinity clamped to int.
func intArg(args []any, i int, def int) int {
	v := arg(args, i)
	if IsUndefined(v) {
		return def
	}
	f := ToNumber(v)
	switch {
	case math.IsNaN(f):
		return 0
	case f > math.MaxInt32:
		return math.MaxInt32
	case f < math.MinInt32:
		return math.MinInt32
	}
	return int(math.Trunc(f))
}

// relIndex resolves a JS relative index (negative counts from the end).
func relIndex(i, n int) int {
	if i < 0 {
		i += n
		if i < 0 {
			i = 0
		}
	}
	if i > n {
		i = n
	}
	return i
}

func stringMethod(s, name string) any {
	switch name {
	case "split":
		return method(func(a []any) (any, error) { return jsSplit(s, arg(a, 0), arg(a, 1)), nil })
	case "replace":
		return method(func(a []any) (any, error) { return jsReplace(s, arg(a, 0), arg(a, 1), false) })
	case "replaceAll":
		return method(func(a []any) (any, error) { return jsReplace(s, arg(a, 0), arg(a, 1), true) })
	case "toUpperCase", "toLocaleUpperCase":
		return method(func([]any) (any, error) { return strings.ToUpper(s), nil })
	case "toLowerCase", "toLocaleLowerCase":
		return method(func([]any) (any, error) { return strings.ToLower(s), nil })
	case "trim":
		return method(func([]any) (any, error) { return strings.TrimFunc(s, isJSSpace), nil })
	case "trimStart", "trimLeft":
		return method(func([]any) (any, error) { return strings.TrimLeftFunc(s, isJSSpace), nil })
	case "trimEnd", "trimRight":
		return method(func([]any) (any, error) { return strings.TrimRightFunc(s, isJSSpace), nil })
	case "startsWith":
		return method(func(a []any) (any, error) { return strings.HasPrefix(s, ToString(arg(a, 0))), nil })
	case "endsWith":
		return method(func(a []any) (any, error) { return strings.HasSuffix(s, ToString(arg(a, 0))), nil })
	case "includes":
		return method(func(a []any) (any, error) { return strings.Contains(s, ToString(arg(a, 0))), nil })
	case "indexOf":
		return method(func(a []any) (any, error) { return float64(unitIndex(s, strings.Index(s, ToString(arg(a, 0))))), nil })
	case "lastIndexOf":
		return method(func(a []any) (any, error) {
			return float64(unitIndex(s, strings.LastIndex(s, ToString(arg(a, 0))))), nil
		})
	case "slice":
		return method(func(a []any) (any, error) {
			u := utf16Units(s)
			start, end := relIndex(intArg(a, 0, 0), len(u)), relIndex(intArg(a, 1, len(u)), len(u))
			if start >= end {
				return "", nil
			}
			return fromUnits(u[start:end]), nil
		})
	case "substring":
		return method(func(a []any) (any, error) {
			u := utf16Units(s)
			clamp := func(i int) int { return min(max(i, 0), len(u)) }
			start, end := clamp(intArg(a, 0, 0)), clamp(intArg(a, 1, len(u)))
			if start > end {
				start, end = end, start
			}
			return fromUnits(u[start:end]), nil
		})
	case "substr":
		return method(func(a []any) (any, error) {
			u := utf16Units(s)
			start := relIndex(intArg(a, 0, 0), len(u))
			n := min(max(intArg(a, 1, len(u)), 0), len(u)-start)
			return fromUnits(u[start : start+n]), nil
		})
	case "charAt", "at":
		return method(func(a []any) (any, error) {
			u := utf16Units(s)
			i := intArg(a, 0, 0)
			if name == "at" && i < 0 {
				i += len(u)
			}
			if i < 0 || i >= len(u) {
				if name == "at" {
					return Undefined, nil
				}
				return "", nil
			}
			return fromUnits(u[i : i+1]), nil
		})
	case "concat":
		return method(func(a []any) (any, error) {
			var b strings.Builder
			b.WriteString(s)
			for _, x := range a {
				b.WriteString(ToString(x))
				if b.Len() > hardMaxAlloc {
					return nil, fmt.Errorf("%w: string too long", ErrLimit)
				}
			}
			return b.String(), nil
		})
	case "repeat":
		return method(func(a []any) (any, error) {
			n := intArg(a, 0, 0)
			if n < 0 {
				return nil, fmt.Errorf("RangeError: Invalid count value: %d", n)
			}
			if n*len(s) > hardMaxAlloc {
				return nil, fmt.Errorf("%w: string too long", ErrLimit)
			}
			return strings.Repeat(s, n), nil
		})
	case "padStart", "padEnd":
		return method(func(a []any) (any, error) {
			target := intArg(a, 0, 0)
			fill := " "
			if v := arg(a, 1); !IsUndefined(v) {
				fill = ToString(v)
			}
			cur := jsLength(s)
			if target <= cur || fill == "" {
				return s, nil
			}
			if target > hardMaxAlloc {
				return nil, fmt.Errorf("%w: string too long", ErrLimit)
			}
			fu := utf16Units(fill)
			pad := make([]uint16, 0, target-cur)
			for len(pad) < target-cur {
				pad = append(pad, fu[len(pad)%len(fu)])
			}
			if name == "padStart" {
				return fromUnits(pad) + s, nil
			}
			return s + fromUnits(pad), nil
		})
	case "match":
		return method(func(a []any) (any, error) {
			re, ok := arg(a, 0).(*Regex)
			if !ok {
				// match(string) builds a RegExp from the string.
				r, err := compileJSRegex(ToString(arg(a, 0)), "")
				if err != nil {
					return nil, err
				}
				re = r
			}
			if re.Global() {
				all := re.re.FindAllString(s, -1)
				if all == nil {
					return nil, nil
				}
				out := make([]any, len(all))
				for i, m := range all {
					out[i] = m
				}
				return out, nil
			}
			m := re.re.FindStringSubmatch(s)
			if m == nil {
				return nil, nil
			}
			out := make([]any, len(m))
			for i, g := range m {
				out[i] = g
			}
			return out, nil
		})
	case "toString", "valueOf":
		return method(func([]any) (any, error) { return s, nil })
	}
	return Undefined
}

// unitIndex converts a byte index to a UTF-16 index (-1 stays -1).
func unitIndex(s string, byteIdx int) int {
	if byteIdx < 0 || isASCII(s[:byteIdx]) {
		return byteIdx
	}
	return jsLength(s[:byteIdx])
}

// jsSplit is String.prototype.split.
func jsSplit(s string, sep, limit any) []any {
	lim := -1
	if !IsUndefined(limit) {
		lim = int(ToNumber(limit))
		if lim < 0 {
			lim = -1
		}
	}
	var parts []string
	switch sp := sep.(type) {
	case undefinedType:
		parts = []string{s}
	case *Regex:
		parts = sp.re.Split(s, -1)
	default:
		str := ToString(sp)
		if str == "" {
			for _, u := range utf16Units(s) {
				parts = append(parts, fromUnits([]uint16{u}))
			}
		} else {
			parts = strings.Split(s, str)
		}
	}
	if lim >= 0 && lim < len(parts) {
		parts = parts[:lim]
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

// jsReplace is String.prototype.replace / replaceAll with a string or regex
// pattern and a replacement string that may use $&, $1..$99 and $$.
func jsReplace(s string, pattern, repl any, all bool) (any, error) {
	rs := ToString(repl)
	if re, ok := pattern.(*Regex); ok {
		if all && !re.Global() {
			return nil, fmt.Errorf("TypeError: replaceAll must be called with a global RegExp")
		}
		count := 1
		if re.Global() {
			count = -1
		}
		return regexReplace(s, re, rs, count), nil
	}
	ps := ToString(pattern)
	n := 1
	if all {
		n = -1
	}
	if !strings.Contains(rs, "$") {
		return strings.Replace(s, ps, rs, n), nil
	}
	var b strings.Builder
	rest := s
	for n != 0 {
		i := strings.Index(rest, ps)
		if i < 0 {
			break
		}
		b.WriteString(rest[:i])
		b.WriteString(expandReplacement(rs, []string{ps}))
		rest = rest[i+len(ps):]
		if ps == "" {
			if rest == "" {
				break
			}
			b.WriteString(rest[:1])
			rest = rest[1:]
		}
		n--
	}
	b.WriteString(rest)
	return b.String(), nil
}

func regexReplace(s string, re *Regex, repl string, count int) string {
	var b strings.Builder
	last := 0
	for _, m := range re.re.FindAllStringSubmatchIndex(s, count) {
		b.WriteString(s[last:m[0]])
		groups := make([]string, len(m)/2)
		for g := range groups {
			if m[2*g] >= 0 {
				groups[g] = s[m[2*g]:m[2*g+1]]
			}
		}
		b.WriteString(expandReplacement(repl, groups))
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// expandReplacement applies JS replacement patterns; groups[0] is the match.
func expandReplacement(repl string, groups []string) string {
	if !strings.Contains(repl, "$") {
		return repl
	}
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '$' || i+1 >= len(repl) {
			b.WriteByte(c)
			continue
		}
		nx := repl[i+1]
		switch {
		case nx == '$':
			b.WriteByte('$')
			i++
		case nx == '&':
			b.WriteString(groups[0])
			i++
		case nx >= '0' && nx <= '9':
			j := i + 2
			if j < len(repl) && repl[j] >= '0' && repl[j] <= '9' {
				if n, _ := strconv.Atoi(repl[i+1 : j+1]); n > 0 && n < len(groups) {
					b.WriteString(groups[n])
					i = j
					continue
				}
			}
			if n := int(nx - '0'); n > 0 && n < len(groups) {
				b.WriteString(groups[n])
				i++
				continue
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func arrayMethod(a []any, name string, jinja bool) any {
	switch name {
	case "join":
		return method(func(args []any) (any, error) {
			sep := ","
			if v := arg(args, 0); !IsUndefined(v) {
				sep = ToString(v)
			}
			return joinValues(a, sep), nil
		})
	case "includes":
		return method(func(args []any) (any, error) {
			x := arg(args, 0)
			for _, e := range a {
				if StrictEqual(e, x) || (isNaNValue(e) && isNaNValue(x)) {
					return true, nil
				}
			}
			return false, nil
		})
	case "indexOf", "lastIndexOf":
		return method(func(args []any) (any, error) {
			x := arg(args, 0)
			idx := -1
			for i, e := range a {
				if StrictEqual(e, x) {
					idx = i
					if name == "indexOf" {
						break
					}
				}
			}
			return float64(idx), nil
		})
	case "slice":
		return method(func(args []any) (any, error) {
			start, end := relIndex(intArg(args, 0, 0), len(a)), relIndex(intArg(args, 1, len(a)), len(a))
			if start >= end {
				return []any{}, nil
			}
			return append([]any(nil), a[start:end]...), nil
		})
	case "concat":
		return method(func(args []any) (any, error) {
			out := append([]any(nil), a...)
			for _, x := range args {
				if xs, ok := x.([]any); ok {
					out = append(out, xs...)
				} else {
					out = append(out, x)
				}
				if len(out) > hardMaxAlloc {
					return nil, fmt.Errorf("%w: array too long", ErrLimit)
				}
			}
			return out, nil
		})
	case "reverse":
		return method(func([]any) (any, error) {
			out := make([]any, len(a))
			for i, e := range a {
				out[len(a)-1-i] = e
			}
			return out, nil
		})
	case "at":
		return method(func(args []any) (any, error) {
			i := intArg(args, 0, 0)
			if i < 0 {
				i += len(a)
			}
			if i < 0 || i >= len(a) {
				return Undefined, nil
			}
			return a[i], nil
		})
	case "toString":
		return method(func([]any) (any, error) { return ToString(a), nil })
	}
	if jinja {
		switch name {
		case "count":
			return method(func(args []any) (any, error) {
				n := 0
				for _, e := range a {
					if StrictEqual(e, arg(args, 0)) {
						n++
					}
				}
				return float64(n), nil
			})
		case "index":
			return method(func(args []any) (any, error) {
				for i, e := range a {
					if StrictEqual(e, arg(args, 0)) {
						return float64(i), nil
					}
				}
				return nil, fmt.Errorf("ValueError: item not in list")
			})
		}
	}
	return Undefined
}

func isNaNValue(v any) bool { f, ok := v.(float64); return ok && math.IsNaN(f) }

func joinValues(a []any, sep string) string {
	var b strings.Builder
	for i, e := range a {
		if i > 0 {
			b.WriteString(sep)
		}
		if e != nil && !IsUndefined(e) {
			b.WriteString(ToString(e))
		}
	}
	return b.String()
}

func objectMethod(o map[string]any, name string, jinja bool) any {
	switch name {
	case "hasOwnProperty":
		return method(func(a []any) (any, error) { _, ok := o[propertyKey(arg(a, 0))]; return ok, nil })
	case "toString":
		return method(func([]any) (any, error) { return "[object Object]", nil })
	}
	if jinja {
		switch name {
		case "items", "iteritems":
			return method(func([]any) (any, error) {
				out := make([]any, 0, len(o))
				for _, k := range sortedKeys(o) {
					out = append(out, []any{k, o[k]})
				}
				return out, nil
			})
		case "keys", "iterkeys":
			return method(func([]any) (any, error) {
				out := make([]any, 0, len(o))
				for _, k := range sortedKeys(o) {
					out = append(out, k)
				}
				return out, nil
			})
		case "values", "itervalues":
			return method(func([]any) (any, error) {
				out := make([]any, 0, len(o))
				for _, k := range sortedKeys(o) {
					out = append(out, o[k])
				}
				return out, nil
			})
		case "get":
			return method(func(a []any) (any, error) {
				if v, ok := o[propertyKey(arg(a, 0))]; ok {
					return v, nil
				}
				d := arg(a, 1)
				if IsUndefined(d) {
					return nil, nil
				}
				return d, nil
			})
		case "has_key":
			return method(func(a []any) (any, error) { _, ok := o[propertyKey(arg(a, 0))]; return ok, nil })
		}
	}
	return Undefined
}

func numberMethod(f float64, name string) any {
	switch name {
	case "toString":
		return method(func(a []any) (any, error) {
			radix := intArg(a, 0, 10)
			if radix == 10 || f != math.Trunc(f) || math.IsInf(f, 0) {
				return FormatNumber(f), nil
			}
			if radix < 2 || radix > 36 {
				return nil, fmt.Errorf("RangeError: toString() radix must be between 2 and 36")
			}
			return strconv.FormatInt(int64(f), radix), nil
		})
	case "toFixed":
		return method(func(a []any) (any, error) {
			d := intArg(a, 0, 0)
			if d < 0 || d > 100 {
				return nil, fmt.Errorf("RangeError: toFixed() digits argument must be between 0 and 100")
			}
			return strconv.FormatFloat(f, 'f', d, 64), nil
		})
	}
	return Undefined
}
