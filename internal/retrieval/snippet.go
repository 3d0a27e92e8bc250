package retrieval

import (
	"strings"
	"unicode/utf8"
)

// SnippetLen bounds a hit's snippet in bytes (before the "…" marks).
const SnippetLen = 240

// snippetLead is how much text before the first matching word a snippet
// keeps, so the match is read in its sentence rather than at the edge.
const snippetLead = 40

// snippet picks the SnippetLen-byte window of text holding the most
// occurrences of query terms, cut at spaces.
func snippet(text string, qterms []string) string {
	if len(text) <= SnippetLen {
		return text
	}
	want := make(map[string]bool, len(qterms))
	for _, t := range qterms {
		want[t] = true
	}
	var hits []int // start offsets of matching words
	terms(text, func(t string, start, _ int) {
		if want[t] && (len(hits) == 0 || hits[len(hits)-1] != start) {
			hits = append(hits, start)
		}
	})
	from, most := 0, 0
	for i, j := 0, 0; i < len(hits); i++ {
		for j < len(hits) && hits[j]-hits[i] < SnippetLen-snippetLead {
			j++
		}
		if j-i > most {
			most, from = j-i, hits[i]
		}
	}
	start := max(0, from-snippetLead)
	if start > 0 {
		if sp := strings.IndexByte(text[start:from], ' '); sp >= 0 {
			start += sp + 1
		}
	}
	end := min(len(text), start+SnippetLen)
	if end < len(text) {
		if sp := strings.LastIndexByte(text[start:end], ' '); sp > 0 {
			end = start + sp
		}
	}
	for start > 0 && !utf8.RuneStart(text[start]) {
		start--
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end--
	}
	out := text[start:end]
	if start > 0 {
		out = "…" + out
	}
	if end < len(text) {
		out += "…"
	}
	return out
}
