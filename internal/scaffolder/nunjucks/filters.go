package nunjucks

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
)

// builtinFilters are nunjucks' built-in filters that templates in the wild
// use, implemented from nunjucks' documented behaviour (filters.js). Left out
// on purpose: random (non-deterministic output breaks replay and dry runs),
// and the HTML helpers urlize, striptags, nl2br, forceescape.
var builtinFilters = map[string]FilterFunc{
	"abs":        filterAbs,
	"capitalize": strFilter(capitalize),
	"default":    filterDefault,
	"d":          filterDefault,
	"dump":       filterDump,
	"escape":     strFilter(htmlEscape),
	"e":          strFilter(htmlEscape),
	"first":      filterFirst,
	"float":      filterFloat,
	"indent":     filterIndent,
	"int":        filterInt,
	"join":       filterJoin,
	"last":       filterLast,
	"length":     filterLength,
	"list":       filterList,
	"lower":      strFilter(strings.ToLower),
	"replace":    filterReplace,
	"reverse":    filterReverse,
	"round":      filterRound,
	"safe":       func(v any, _ []any, _ map[string]any) (any, error) { return v, nil },
	"sort":       filterSort,
	"string":     filterString,
	"sum":        filterSum,
	"title":      strFilter(titleCase),
	"trim":       strFilter(func(s string) string { return strings.TrimFunc(s, isJSSpace) }),
	"truncate":   filterTruncate,
	"upper":      strFilter(strings.ToUpper),
	"urlencode":  filterURLEncode,
	"wordcount":  filterWordcount,
}

// normalizeStr is nunjucks' normalize(value, ""): null, undefined and false
// become the empty string.
func normalizeStr(v any) string {
	switch x := v.(type) {
	case nil, undefinedType:
		return ""
	case bool:
		if !x {
			return ""
		}
	}
	return ToString(v)
}

func strFilter(f func(string) string) FilterFunc {
	return func(v any, _ []any, _ map[string]any) (any, error) { return f(normalizeStr(v)), nil }
}

func capitalize(s string) string {
	s = strings.ToLower(s)
	if s == "" {
		return s
	}
	u := utf16Units(s)
	return strings.ToUpper(fromUnits(u[:1])) + fromUnits(u[1:])
}

// titleCase capitalizes each space-separated word (only ' ' separates, as in
// nunjucks, so "a-b" stays one word).
func titleCase(s string) string {
	words := strings.Split(s, " ")
	for i, w := range words {
		words[i] = capitalize(w)
	}
	return strings.Join(words, " ")
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", `"`, "&quot;", "'", "&#39;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func kwOrArg(args []any, kw map[string]any, i int, name string) any {
	if v, ok := kw[name]; ok {
		return v
	}
	return arg(args, i)
}

func filterAbs(v any, _ []any, _ map[string]any) (any, error) { return math.Abs(ToNumber(v)), nil }

// filterDefault: with boolean=true any falsy value is replaced, otherwise
// only undefined (null is kept, unlike Jinja's None handling).
func filterDefault(v any, args []any, kw map[string]any) (any, error) {
	def := kwOrArg(args, kw, 0, "default_value")
	if Truthy(kwOrArg(args, kw, 1, "boolean")) {
		if Truthy(v) {
			return v, nil
		}
		return def, nil
	}
	if IsUndefined(v) {
		return def, nil
	}
	return v, nil
}

func filterDump(v any, args []any, kw map[string]any) (any, error) {
	indent := ""
	switch sp := kwOrArg(args, kw, 0, "spaces").(type) {
	case float64:
		indent = strings.Repeat(" ", min(max(int(sp), 0), 10))
	case string:
		if len(sp) > 10 {
			sp = sp[:10]
		}
		indent = sp
	}
	s, ok, err := Stringify(v, indent)
	if err != nil {
		return nil, err
	}
	if !ok {
		return Undefined, nil
	}
	return s, nil
}

func filterFirst(v any, _ []any, _ map[string]any) (any, error) {
	return memberLookup(v, 0.0, false), nil
}

func filterLast(v any, _ []any, _ map[string]any) (any, error) {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return Undefined, nil
		}
		return x[len(x)-1], nil
	case string:
		u := utf16Units(x)
		if len(u) == 0 {
			return Undefined, nil
		}
		return fromUnits(u[len(u)-1:]), nil
	}
	return Undefined, nil
}

func filterFloat(v any, args []any, kw map[string]any) (any, error) {
	f := ToNumber(v)
	if math.IsNaN(f) {
		return kwOrArg(args, kw, 0, "default"), nil
	}
	return f, nil
}

func filterInt(v any, args []any, kw map[string]any) (any, error) {
	// parseInt semantics: leading integer digits of the string form.
	s := strings.TrimLeftFunc(ToString(v), isJSSpace)
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	digits := end
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == digits {
		return kwOrArg(args, kw, 0, "default"), nil
	}
	return ToNumber(s[:end]), nil
}

func filterIndent(v any, args []any, kw map[string]any) (any, error) {
	s := normalizeStr(v)
	if s == "" {
		return "", nil
	}
	width := 4
	if w := kwOrArg(args, kw, 0, "width"); !IsUndefined(w) {
		width = min(max(int(ToNumber(w)), 0), 1000)
	}
	first := Truthy(kwOrArg(args, kw, 1, "indentfirst"))
	pad := strings.Repeat(" ", width)
	lines := strings.Split(s, "\n")
	for i := range lines {
		if i == 0 && !first {
			continue
		}
		if lines[i] != "" || i == 0 {
			lines[i] = pad + lines[i]
		}
	}
	return strings.Join(lines, "\n"), nil
}

func filterJoin(v any, args []any, kw map[string]any) (any, error) {
	a, ok := v.([]any)
	if !ok {
		return v, nil // nunjucks calls arr.join; a string would fail, keep it
	}
	sep := ""
	if d := kwOrArg(args, kw, 0, "delimiter"); Truthy(d) {
		sep = ToString(d)
	}
	if attr := kwOrArg(args, kw, 1, "attribute"); !IsUndefined(attr) {
		mapped := make([]any, len(a))
		for i, e := range a {
			mapped[i] = memberLookup(e, attr, false)
		}
		a = mapped
	}
	return joinValues(a, sep), nil
}

func filterLength(v any, _ []any, _ map[string]any) (any, error) {
	switch x := v.(type) {
	case nil, undefinedType:
		return 0.0, nil
	case bool:
		if !x {
			return 0.0, nil
		}
		return Undefined, nil
	case string:
		return float64(jsLength(x)), nil
	case []any:
		return float64(len(x)), nil
	case map[string]any:
		return float64(len(x)), nil
	}
	return Undefined, nil
}

func filterList(v any, _ []any, _ map[string]any) (any, error) {
	switch x := v.(type) {
	case string:
		return jsSplit(x, "", Undefined), nil
	case []any:
		return x, nil
	case map[string]any:
		out := make([]any, 0, len(x))
		for _, k := range sortedKeys(x) {
			out = append(out, map[string]any{"key": k, "value": x[k]})
		}
		return out, nil
	}
	return nil, fmt.Errorf("list filter: type not iterable")
}

// filterReplace: a string pattern replaces every occurrence (unlike JS),
// up to maxCount; a regex pattern behaves like String.prototype.replace.
func filterReplace(v any, args []any, kw map[string]any) (any, error) {
	old, repl := arg(args, 0), arg(args, 1)
	if re, ok := old.(*Regex); ok {
		return jsReplace(normalizeStr(v), re, repl, false)
	}
	max := -1
	if m := kwOrArg(args, kw, 2, "maxCount"); !IsUndefined(m) {
		max = int(ToNumber(m))
	}
	var oldS string
	switch o := old.(type) {
	case float64:
		oldS = FormatNumber(o)
	case string:
		oldS = o
	default:
		return v, nil
	}
	var s string
	switch x := v.(type) {
	case float64:
		s = FormatNumber(x)
	case string:
		s = x
	default:
		return v, nil
	}
	r := ToString(repl)
	if oldS == "" {
		chars := jsSplit(s, "", Undefined)
		parts := make([]string, len(chars))
		for i, c := range chars {
			parts[i] = c.(string)
		}
		return r + strings.Join(parts, r) + r, nil
	}
	if max == 0 {
		return s, nil
	}
	return strings.Replace(s, oldS, r, max), nil
}

func filterReverse(v any, _ []any, _ map[string]any) (any, error) {
	switch x := v.(type) {
	case string:
		u := utf16Units(x)
		for i, j := 0, len(u)-1; i < j; i, j = i+1, j-1 {
			u[i], u[j] = u[j], u[i]
		}
		return fromUnits(u), nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[len(x)-1-i] = e
		}
		return out, nil
	}
	return v, nil
}

func filterRound(v any, args []any, kw map[string]any) (any, error) {
	f := ToNumber(v)
	prec := 0
	if p := kwOrArg(args, kw, 0, "precision"); !IsUndefined(p) {
		prec = min(max(int(ToNumber(p)), 0), 15)
	}
	factor := math.Pow(10, float64(prec))
	x := f * factor
	switch ToString(kwOrArg(args, kw, 1, "method")) {
	case "ceil":
		x = math.Ceil(x)
	case "floor":
		x = math.Floor(x)
	default:
		x = math.Floor(x + 0.5) // Math.round
	}
	return x / factor, nil
}

func filterSort(v any, args []any, kw map[string]any) (any, error) {
	a, ok := v.([]any)
	if !ok {
		return v, nil
	}
	reverse := Truthy(kwOrArg(args, kw, 0, "reverse"))
	caseSens := Truthy(kwOrArg(args, kw, 1, "caseSensitive"))
	attr := kwOrArg(args, kw, 2, "attribute")
	out := append([]any(nil), a...)
	key := func(e any) any {
		if !IsUndefined(attr) {
			e = memberLookup(e, attr, false)
		}
		if s, ok := e.(string); ok && !caseSens {
			return strings.ToLower(s)
		}
		return e
	}
	sort.SliceStable(out, func(i, j int) bool {
		c, ok := compare(key(out[i]), key(out[j]))
		if !ok {
			return false
		}
		if reverse {
			return c > 0
		}
		return c < 0
	})
	return out, nil
}

// filterString is String(v). nunjucks throws on undefined and null
// (v.toString()); we print them as "" instead, see testdata/README.md.
func filterString(v any, _ []any, _ map[string]any) (any, error) {
	if v == nil || IsUndefined(v) {
		return "", nil
	}
	return ToString(v), nil
}

func filterSum(v any, args []any, kw map[string]any) (any, error) {
	a, ok := v.([]any)
	if !ok {
		return 0.0, nil
	}
	attr := kwOrArg(args, kw, 0, "attribute")
	var total any = 0.0
	if st := kwOrArg(args, kw, 1, "start"); !IsUndefined(st) {
		total = st
	}
	for _, e := range a {
		if !IsUndefined(attr) {
			e = memberLookup(e, attr, false)
		}
		pl, pr := toPrimitive(total), toPrimitive(e)
		_, ls := pl.(string)
		_, rs := pr.(string)
		if ls || rs {
			total = ToString(pl) + ToString(pr)
		} else {
			total = ToNumber(pl) + ToNumber(pr)
		}
	}
	return total, nil
}

func filterTruncate(v any, args []any, kw map[string]any) (any, error) {
	s := normalizeStr(v)
	length := 255
	if l := kwOrArg(args, kw, 0, "length"); Truthy(l) {
		length = max(int(ToNumber(l)), 0)
	}
	u := utf16Units(s)
	if len(u) <= length {
		return s, nil
	}
	cut := length
	if !Truthy(kwOrArg(args, kw, 1, "killwords")) {
		// input.lastIndexOf(' ', length): the last space at or before length.
		cut = -1
		for i := min(length, len(u)-1); i >= 0; i-- {
			if u[i] == ' ' {
				cut = i
				break
			}
		}
		if cut == -1 {
			cut = length
		}
	}
	end := "..."
	if e := kwOrArg(args, kw, 2, "end"); !IsUndefined(e) && e != nil {
		end = ToString(e)
	}
	return fromUnits(u[:cut]) + end, nil
}

func filterURLEncode(v any, _ []any, _ map[string]any) (any, error) {
	enc := func(s string) string {
		// encodeURIComponent: like QueryEscape but spaces as %20 and
		// !'()* kept.
		e := url.QueryEscape(s)
		e = strings.ReplaceAll(e, "+", "%20")
		for _, c := range []string{"!", "'", "(", ")", "*"} {
			e = strings.ReplaceAll(e, url.QueryEscape(c), c)
		}
		return e
	}
	switch x := v.(type) {
	case string:
		return enc(x), nil
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range sortedKeys(x) {
			parts = append(parts, enc(k)+"="+enc(ToString(x[k])))
		}
		return strings.Join(parts, "&"), nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			pair, _ := e.([]any)
			parts = append(parts, enc(ToString(arg(pair, 0)))+"="+enc(ToString(arg(pair, 1))))
		}
		return strings.Join(parts, "&"), nil
	}
	return enc(ToString(v)), nil
}

func filterWordcount(v any, _ []any, _ map[string]any) (any, error) {
	s := normalizeStr(v)
	n := len(strings.FieldsFunc(s, isJSSpace))
	if n == 0 {
		return nil, nil
	}
	return float64(n), nil
}
