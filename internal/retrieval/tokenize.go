package retrieval

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// maxTermLen drops base64 blobs, hashes and other run-on strings that would
// only bloat the vocabulary.
const maxTermLen = 64

// terms turns text into index terms, calling emit for each with the byte
// span it came from. Documents and queries go through the same function, so
// whatever it does to one it does to the other.
//
// A word is a run of letters, digits and "_", with ".", "-" and "'" allowed
// between two such characters ("mkdocs.yml", "gh-deploy", "1.5.3"). Each
// word yields its parts — split at connectors, underscores and, for code
// identifiers, at case changes — lowercased, stop words dropped, stemmed
// (Snowball English, "configuring" → "configur"). A word of several parts
// also yields itself whole, lowercased and unstemmed ("site_dir",
// "createchatcompletion"), so a question naming an identifier exactly
// prefers the section that has it over one that has its parts scattered.
func terms(s string, emit func(term string, start, end int)) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) {
			i += n
			continue
		}
		end := wordEnd(s, i)
		word(s, i, end, emit)
		i = end
	}
}

// wordEnd finds where the word starting at i ends: connectors count only
// between two word runes.
func wordEnd(s string, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if isWordRune(r) {
			i += n
			continue
		}
		if isConnector(r) && i+n < len(s) {
			if next, _ := utf8.DecodeRuneInString(s[i+n:]); isWordRune(next) {
				i += n
				continue
			}
		}
		break
	}
	return i
}

func word(s string, start, end int, emit func(string, int, int)) {
	w := s[start:end]
	if plainLower(w) { // most prose words: one part, nothing to split
		if t := part(w); t != "" {
			emit(t, start, end)
		}
		return
	}
	camel := splitCamel(w)
	parts := 0
	for ps, pe := range partSpans(w, camel) {
		parts++
		if t := part(w[ps:pe]); t != "" {
			emit(t, start+ps, start+pe)
		}
	}
	// Apostrophes make contractions and possessives, not identifiers.
	if parts > 1 && !strings.ContainsAny(w, "'’") && len(w) <= maxTermLen {
		emit(strings.ToLower(w), start, end)
	}
}

// part is the term one part of a word yields ("" for none), memoised.
func part(raw string) string { return normalised.get(raw) }

// normalise lowercases, drops stop words and single letters, and stems
// anything but numbers.
func normalise(raw string) string {
	p := strings.ToLower(raw)
	switch {
	case len(p) > maxTermLen, stopWords[p], utf8.RuneCountInString(p) < 2 && !isDigits(p):
		return ""
	case isDigits(p):
		return p
	}
	return english.Stem(p, true)
}

// plainLower: only ASCII lowercase letters and digits.
func plainLower(w string) bool {
	for i := 0; i < len(w); i++ {
		if c := w[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// partSpans yields the byte spans of w's parts.
func partSpans(w string, camel bool) func(yield func(int, int) bool) {
	return func(yield func(int, int) bool) {
		start := -1
		var prev rune
		for i, r := range w {
			sep := !unicode.IsLetter(r) && !unicode.IsDigit(r)
			boundary := camel && start >= 0 && unicode.IsUpper(r) &&
				(unicode.IsLower(prev) || nextIsLower(w, i, r) && unicode.IsUpper(prev))
			if (sep || boundary) && start >= 0 {
				if !yield(start, i) {
					return
				}
				start = -1
			}
			if !sep && start < 0 {
				start = i
			}
			prev = r
		}
		if start >= 0 {
			yield(start, len(w))
		}
	}
}

// splitCamel decides whether case changes separate parts. Splitting every
// capital would turn each "MkDocs" and "GitHub" into "mk doc" and "git hub"
// and flood common terms, so only identifiers that look like code split:
// lowerCamelCase ("useDirectoryUrls") or three and more humps
// ("CreateChatCompletion", "HTTPServerError").
func splitCamel(w string) bool {
	humps, first := 0, true
	var prev rune
	for i, r := range w {
		if unicode.IsUpper(r) && (first || !unicode.IsUpper(prev) || nextIsLower(w, i, r)) {
			humps++
		}
		if first && unicode.IsLower(r) && strings.ContainsFunc(w, unicode.IsUpper) {
			return true
		}
		first, prev = false, r
	}
	return humps >= 3
}

// nextIsLower reports whether the rune after r (at byte i of w) is lowercase:
// the "S" in "HTTPServer" starts a hump.
func nextIsLower(w string, i int, r rune) bool {
	j := i + utf8.RuneLen(r)
	if j >= len(w) {
		return false
	}
	next, _ := utf8.DecodeRuneInString(w[j:])
	return unicode.IsLower(next)
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isConnector(r rune) bool { return r == '.' || r == '-' || r == '\'' || r == '’' }

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
