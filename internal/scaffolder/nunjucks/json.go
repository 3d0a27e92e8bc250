package nunjucks

import (
	"fmt"
	"math"
	"strings"
)

// Stringify is JSON.stringify(v, null, indent) as V8 prints it. Go's
// encoding/json differs in ways a generated file would show: it escapes <, >
// and &, U+2028/U+2029, and prints 1e21 as 1e+21 the Go way. ok is false when
// JS would return undefined (v is undefined or a function), which prints as
// nothing.
func Stringify(v any, indent string) (s string, ok bool, err error) {
	switch v.(type) {
	case undefinedType, Func:
		return "", false, nil
	}
	var b strings.Builder
	if err := writeJSON(&b, v, indent, "", 0); err != nil {
		return "", false, err
	}
	return b.String(), true, nil
}

func writeJSON(b *strings.Builder, v any, indent, cur string, depth int) error {
	if depth > maxNormalizeDepth {
		return fmt.Errorf("dump: value nested deeper than %d levels", maxNormalizeDepth)
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b.WriteString("null")
		} else {
			b.WriteString(FormatNumber(x))
		}
	case string:
		writeJSONString(b, x)
	case *Regex:
		b.WriteString("{}")
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return nil
		}
		inner := cur + indent
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if indent != "" {
				b.WriteByte('\n')
				b.WriteString(inner)
			}
			switch e.(type) {
			case undefinedType, Func:
				b.WriteString("null") // JS writes null for holes in arrays
				continue
			}
			if err := writeJSON(b, e, indent, inner, depth+1); err != nil {
				return err
			}
		}
		if indent != "" {
			b.WriteByte('\n')
			b.WriteString(cur)
		}
		b.WriteByte(']')
	case map[string]any:
		inner := cur + indent
		b.WriteByte('{')
		n := 0
		for _, k := range sortedKeys(x) {
			e := x[k]
			switch e.(type) {
			case undefinedType, Func:
				continue // JS drops these keys
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			if indent != "" {
				b.WriteByte('\n')
				b.WriteString(inner)
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			if indent != "" {
				b.WriteByte(' ')
			}
			if err := writeJSON(b, e, indent, inner, depth+1); err != nil {
				return err
			}
		}
		if n > 0 && indent != "" {
			b.WriteByte('\n')
			b.WriteString(cur)
		}
		b.WriteByte('}')
	default:
		b.WriteString("null")
	}
	return nil
}

const hexDigits = "0123456789abcdef"

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
