package retrieval

import (
	"html"
	"strings"
	"unicode"
)

// inlineTags join their content to the surrounding text ("<code>site</code>_dir"
// stays one identifier); every other tag separates words.
var inlineTags = map[string]bool{
	"a": true, "abbr": true, "b": true, "code": true, "em": true, "i": true,
	"kbd": true, "mark": true, "small": true, "span": true, "strong": true,
	"sub": true, "sup": true, "tt": true, "u": true,
}

// plainText turns a search entry's text (plain, or HTML as mkdocs-material
// writes it) into plain text with single spaces: tags and comments removed,
// script and style bodies dropped, entities decoded. It is a tolerant
// scanner, not an HTML parser: a "<" that does not start a tag is text.
func plainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return collapseSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '<' || !startsTag(s[i:]) {
			j := i + 1
			for j < len(s) && s[j] != '<' {
				j++
			}
			b.WriteString(html.UnescapeString(s[i:j]))
			i = j
			continue
		}
		if strings.HasPrefix(s[i:], "<!--") {
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		end := strings.IndexByte(s[i:], '>')
		if end < 0 {
			break // an unterminated tag at the end: drop it
		}
		name, closing := tagName(s[i+1 : i+end])
		i += end + 1
		if !closing && (name == "script" || name == "style") {
			if k := strings.Index(strings.ToLower(s[i:]), "</"+name); k >= 0 {
				i += k
			} else {
				i = len(s)
			}
			continue
		}
		if !inlineTags[name] {
			b.WriteByte(' ')
		}
	}
	return collapseSpace(b.String())
}

// startsTag: "<p", "</p", "<!--" — but not "a < b" or "<= 3".
func startsTag(s string) bool {
	if len(s) < 2 {
		return false
	}
	c := s[1]
	return c == '/' || c == '!' || c < 0x80 && unicode.IsLetter(rune(c))
}

func tagName(inner string) (name string, closing bool) {
	inner, closing = strings.CutPrefix(inner, "/")
	end := strings.IndexFunc(inner, func(r rune) bool { return unicode.IsSpace(r) || r == '/' })
	if end >= 0 {
		inner = inner[:end]
	}
	return strings.ToLower(inner), closing
}

func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
