package techdocs

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// search/search_index.json in the MkDocs search plugin's format, which
// Backstage's TechDocs search collator reads: one entry for each page (its
// whole text) and one for each heading (the text up to the next heading).

type searchIndex struct {
	Config searchConfig `json:"config"`
	Docs   []searchDoc  `json:"docs"`
}

// searchConfig is MkDocs 1.4's default, keys in its (sorted) order.
type searchConfig struct {
	Indexing        string   `json:"indexing"`
	Lang            []string `json:"lang"`
	MinSearchLength int      `json:"min_search_length"`
	PrebuildIndex   bool     `json:"prebuild_index"`
	Separator       string   `json:"separator"`
}

type searchDoc struct {
	Location string `json:"location"`
	Text     string `json:"text"`
	Title    string `json:"title"`
}

func defaultSearchConfig() searchConfig {
	return searchConfig{Indexing: "full", Lang: []string{"en"}, MinSearchLength: 3, Separator: `[\s\-]+`}
}

// searchEntries splits a page's rendered body at its headings. The page's
// own entry comes first, without a title: titles are settled after pages
// render.
func searchEntries(p *page) []searchDoc {
	type section struct {
		id    string
		title strings.Builder
		text  strings.Builder
	}
	var all strings.Builder
	all.Grow(len(p.content) / 2)
	var sections []*section
	var cur *section
	inHeading, skip := false, 0
	z := html.NewTokenizer(bytes.NewReader(p.content))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		switch tt {
		case html.StartTagToken:
			name, hasAttr := z.TagName()
			switch tag := string(name); {
			case isHeadingTag(tag):
				// Only headings and links have attributes that matter: not
				// reading the rest spares a string per highlighted token.
				if id := tagAttr(z, hasAttr, "id"); id != "" {
					cur = &section{id: id}
					sections = append(sections, cur)
					inHeading = true
				}
			case tag == "a" && inHeading && tagAttr(z, hasAttr, "class") == "headerlink":
				skip++ // the pilcrow is not part of the heading's title
			case tag == "script" || tag == "style":
				skip++
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch tag := string(name); {
			case isHeadingTag(tag):
				inHeading = false
			case tag == "a" && skip > 0 && inHeading:
				skip--
			case (tag == "script" || tag == "style") && skip > 0:
				skip--
			}
		case html.TextToken:
			t := z.Text() // valid until the next token
			all.Write(t)
			if skip > 0 || cur == nil {
				continue
			}
			if inHeading {
				cur.title.Write(t)
			} else {
				cur.text.Write(t)
			}
		}
	}
	out := []searchDoc{{Location: p.URL, Text: collapseSpace(all.String())}}
	for _, s := range sections {
		out = append(out, searchDoc{Location: p.URL + "#" + s.id, Text: collapseSpace(s.text.String()), Title: collapseSpace(s.title.String())})
	}
	return out
}

func isHeadingTag(tag string) bool {
	return len(tag) == 2 && tag[0] == 'h' && tag[1] >= '1' && tag[1] <= '6'
}

// tagAttr is the value of the current start tag's last attribute called
// key (the tokenizer's order, as the loop it replaces kept the last one).
func tagAttr(z *html.Tokenizer, more bool, key string) string {
	var val string
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		if string(k) == key {
			val = string(v)
		}
	}
	return val
}

// collapseSpace is strings.Join(strings.Fields(s), " ") without the slice
// of words, which on a long page cost more than tokenizing it.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; ; {
		i = skipSpace(s, i, true)
		if i == len(s) {
			return b.String()
		}
		end := skipSpace(s, i, false)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:end])
		i = end
	}
}

// skipSpace returns the end of the run of spaces (or of non-spaces) at i.
func skipSpace(s string, i int, space bool) int {
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if asciiSpace[c] != space {
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) != space {
			break
		}
		i += size
	}
	return i
}

var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// searchJSON is a page's entries as they appear in search_index.json,
// encoded while pages render in parallel: everything but the page entry's
// title, which goes between head and rest.
type searchJSON struct {
	head []byte // {"location":…,"text":…,"title":
	rest []byte // ,{…} per heading
}

func encodeSearch(docs []searchDoc) searchJSON {
	var e searchJSON
	e.head = append(e.head, `{"location":`...)
	e.head = appendJSON(e.head, docs[0].Location)
	e.head = append(e.head, `,"text":`...)
	e.head = appendJSON(e.head, docs[0].Text)
	e.head = append(e.head, `,"title":`...)
	for _, d := range docs[1:] {
		e.rest = append(e.rest, ',')
		e.rest = appendJSON(e.rest, d)
	}
	return e
}

// buildSearchIndex writes what encoding/json writes for a searchIndex
// (HTML left unescaped, as MkDocs writes it) from the pages' parts;
// TestSearchIndexIsEncodingJSON holds it to that.
func buildSearchIndex(pages []*page) []byte {
	size := 256
	for _, p := range pages {
		size += len(p.search.head) + len(p.Title) + len(p.search.rest) + 8
	}
	out := make([]byte, 0, size)
	out = append(out, `{"config":`...)
	out = appendJSON(out, defaultSearchConfig())
	out = append(out, `,"docs":[`...)
	for i, p := range pages {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, p.search.head...)
		out = appendJSON(out, p.Title)
		out = append(out, '}')
		out = append(out, p.search.rest...)
	}
	return append(out, "]}"...)
}

// appendJSON appends v's JSON without HTML escaping. v is always
// encodable (strings and plain structs of them).
func appendJSON(dst []byte, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
