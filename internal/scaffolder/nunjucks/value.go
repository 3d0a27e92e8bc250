package nunjucks

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// The engine works on plain Go values with JavaScript semantics, because
// Backstage renders with nunjucks running on V8: what a template prints, how
// it compares and what is truthy all follow JS rules, not Go or Python ones.
//
//	JS undefined -> Undefined     JS null -> nil
//	boolean      -> bool          number  -> float64 (always; see Normalize)
//	string       -> string        array   -> []any
//	object       -> map[string]any
//	function     -> Func          regex   -> *Regex

// undefinedType is JS undefined. It is a distinct type so that a missing
// variable ("prints nothing, dropped from step input") is told apart from null.
type undefinedType struct{}

// Undefined is the JS undefined value.
var Undefined any = undefinedType{}

// IsUndefined reports whether v is JS undefined.
func IsUndefined(v any) bool { _, ok := v.(undefinedType); return ok }

// Func is a callable value: a global such as range(), or a method bound to its
// receiver (values.name.split).
type Func func(args []any, kwargs map[string]any) (any, error)

// Regex is a nunjucks regex literal r/.../flags.
type Regex struct {
	Source string
	Flags  string
	re     *regexp.Regexp
}

// Global reports whether the g flag was given (replace all matches).
func (r *Regex) Global() bool { return strings.Contains(r.Flags, "g") }

// Truthy is JavaScript truthiness: empty arrays and objects are true.
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil, undefinedType:
		return false
	case bool:
		return x
	case float64:
		return x != 0 && !math.IsNaN(x)
	case string:
		return x != ""
	}
	return true
}

// ToString is JS String(v).
func ToString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case undefinedType:
		return "undefined"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return FormatNumber(x)
	case string:
		return x
	case []any:
		var b strings.Builder
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if e != nil && !IsUndefined(e) {
				b.WriteString(ToString(e))
			}
		}
		return b.String()
	case map[string]any:
		return "[object Object]"
	case Func:
		return "function () { [native code] }"
	case *Regex:
		return "/" + x.Source + "/" + x.Flags
	}
	return fmt.Sprint(v)
}

// outputString is what {{ v }} prints: undefined and null print nothing.
func outputString(v any) string {
	switch x := v.(type) {
	case nil, undefinedType:
		return ""
	case string:
		return x
	}
	return ToString(v)
}

// FormatNumber prints a float64 the way JS Number.prototype.toString does:
// integers without a decimal point, shortest round-trip digits otherwise.
func FormatNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	abs := math.Abs(f)
	if abs >= 1e-6 && abs < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	// JS exponent form: 1e+21, 1.5e-7.
	s := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	sign := exp[0]
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		exp = "0"
	}
	return mant + "e" + string(sign) + exp
}

// ToNumber is JS Number(v).
func ToNumber(v any) float64 {
	switch x := v.(type) {
	case nil:
		return 0
	case undefinedType:
		return math.NaN()
	case bool:
		if x {
			return 1
		}
		return 0
	case float64:
		return x
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0
		}
		if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
			if n, err := strconv.ParseUint(s[2:], 16, 64); err == nil {
				return float64(n)
			}
			return math.NaN()
		}
		switch s {
		case "Infinity", "+Infinity":
			return math.Inf(1)
		case "-Infinity":
			return math.Inf(-1)
		}
		// Go accepts "inf", "nan" and underscores; JS does not.
		if strings.ContainsAny(s, "_iInN") {
			return math.NaN()
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return math.NaN()
		}
		return f
	case []any:
		return ToNumber(ToString(x))
	}
	return math.NaN()
}

// toPrimitive turns arrays and objects into their string form, as JS does
// before + and relational comparison.
func toPrimitive(v any) any {
	switch v.(type) {
	case []any, map[string]any, Func, *Regex:
		return ToString(v)
	}
	return v
}

// StrictEqual is JS ===.
func StrictEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case undefinedType:
		return IsUndefined(b)
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	}
	return sameReference(a, b)
}

// sameReference compares arrays, objects and functions by identity, as JS does.
func sameReference(a, b any) bool {
	ra, rb := reflect.ValueOf(a), reflect.ValueOf(b)
	if ra.Kind() != rb.Kind() {
		return false
	}
	switch ra.Kind() {
	case reflect.Map, reflect.Pointer, reflect.Func:
		return ra.Pointer() == rb.Pointer()
	case reflect.Slice:
		return ra.Pointer() == rb.Pointer() && ra.Len() == rb.Len()
	}
	return false
}

// LooseEqual is JS == (the abstract equality nunjucks compiles "==" to).
func LooseEqual(a, b any) bool {
	aNullish := a == nil || IsUndefined(a)
	bNullish := b == nil || IsUndefined(b)
	if aNullish || bNullish {
		return aNullish && bNullish
	}
	if sameKind(a, b) {
		return StrictEqual(a, b)
	}
	_, aObj := toPrimitive(a).(string)
	_, bObj := toPrimitive(b).(string)
	if isObject(a) && !isObject(b) && aObj {
		return LooseEqual(toPrimitive(a), b)
	}
	if isObject(b) && !isObject(a) && bObj {
		return LooseEqual(a, toPrimitive(b))
	}
	if isObject(a) || isObject(b) {
		return false
	}
	// Different primitive types: compare as numbers.
	return ToNumber(a) == ToNumber(b)
}

func isObject(v any) bool {
	switch v.(type) {
	case []any, map[string]any, Func, *Regex:
		return true
	}
	return false
}

func sameKind(a, b any) bool {
	return reflect.TypeOf(a) == reflect.TypeOf(b)
}

// compare implements JS relational operators; ok is false when the result is
// "undefined" (a NaN was involved), which makes every comparison false.
func compare(a, b any) (cmp int, ok bool) {
	pa, pb := toPrimitive(a), toPrimitive(b)
	sa, aStr := pa.(string)
	sb, bStr := pb.(string)
	if aStr && bStr {
		// JS compares UTF-16 code units; for BMP text this equals byte order
		// of UTF-8 except for surrogates, which is good enough here.
		return strings.Compare(sa, sb), true
	}
	na, nb := ToNumber(pa), ToNumber(pb)
	if math.IsNaN(na) || math.IsNaN(nb) {
		return 0, false
	}
	switch {
	case na < nb:
		return -1, true
	case na > nb:
		return 1, true
	}
	return 0, true
}

// jsLength is the .length of a string (in UTF-16 code units, like JS) or array.
func jsLength(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// utf16Units converts a string to UTF-16 so that index-based string methods
// (slice, substring, charAt, [i]) agree with JS on non-ASCII text.
func utf16Units(s string) []uint16 { return utf16.Encode([]rune(s)) }

func fromUnits(u []uint16) string { return string(utf16.Decode(u)) }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// sortedKeys gives a deterministic key order. JS keeps insertion order, which
// Go maps cannot; see testdata/README.md ("object key order").
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Normalize converts caller data (decoded JSON or YAML, Go slices and maps of
// other element types, integers) into the engine's value model. Anything it
// cannot represent becomes its JSON form, so a struct behaves like its JSON.
func Normalize(v any) (any, error) { return normalize(v, 0) }

const maxNormalizeDepth = 512

func normalize(v any, depth int) (any, error) {
	if depth > maxNormalizeDepth {
		return nil, fmt.Errorf("value nested deeper than %d levels", maxNormalizeDepth)
	}
	switch x := v.(type) {
	case nil, undefinedType, bool, float64, string, Func, *Regex:
		return v, nil
	case int:
		return float64(x), nil
	case int8:
		return float64(x), nil
	case int16:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint:
		return float64(x), nil
	case uint8:
		return float64(x), nil
	case uint16:
		return float64(x), nil
	case uint32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case float32:
		return float64(x), nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil, err
		}
		return f, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalize(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalize(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case map[any]any: // yaml.v2-style maps
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalize(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(k)] = n
		}
		return out, nil
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out, nil
	case map[string]string:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = e
		}
		return out, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			n, err := normalize(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			out := make(map[string]any, rv.Len())
			it := rv.MapRange()
			for it.Next() {
				n, err := normalize(it.Value().Interface(), depth+1)
				if err != nil {
					return nil, err
				}
				out[it.Key().String()] = n
			}
			return out, nil
		}
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, nil
		}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("value of type %T: %w", v, err)
	}
	var back any
	if err := json.Unmarshal(raw, &back); err != nil {
		return nil, err
	}
	return normalize(back, depth+1)
}
