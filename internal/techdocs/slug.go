package techdocs

import (
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// slugify is Python-Markdown's toc slugify: NFKD, drop what is not ASCII,
// keep word characters, spaces and hyphens, lower-case, and join runs of
// spaces and hyphens with one '-'. Heading ids, and so every `page.md#anchor`
// link written for MkDocs, depend on matching it exactly.
func slugify(s string) string {
	s = norm.NFKD.String(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 32)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			b.WriteByte(' ')
		}
	}
	out := strings.TrimSpace(b.String())
	var r strings.Builder
	sep := false
	for i := 0; i < len(out); i++ {
		if out[i] == ' ' || out[i] == '-' {
			sep = true
			continue
		}
		if sep {
			r.WriteByte('-')
			sep = false
		}
		r.WriteByte(out[i])
	}
	if sep { // only reachable for a trailing hyphen, which Python keeps
		r.WriteByte('-')
	}
	return r.String()
}

// idSet hands out unique ids the way Python-Markdown's toc does: a taken
// or empty id gets "_1", then "_2", ...
type idSet map[string]bool

func (s idSet) unique(id string) string {
	for id == "" || s[id] {
		base, n := id, 0
		if i := strings.LastIndexByte(id, '_'); i >= 0 {
			if v, err := strconv.Atoi(id[i+1:]); err == nil && v >= 0 && id[i+1:] != "" && isDigits(id[i+1:]) {
				base, n = id[:i], v
			}
		}
		id = base + "_" + strconv.Itoa(n+1)
	}
	s[id] = true
	return id
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
