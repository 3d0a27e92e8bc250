package techdocs

import (
	"bytes"
	"encoding/json"
	"strings"

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

// searchEntries splits a page's rendered body at its headings.
func searchEntries(p *page) []searchDoc {
	type section struct {
		id    string
		title strings.Builder
		text  strings.Builder
	}
	var all strings.Builder
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
			attrs := map[string]string{}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				attrs[string(k)] = string(v)
			}
			switch tag := string(name); {
			case len(tag) == 2 && tag[0] == 'h' && tag[1] >= '1' && tag[1] <= '6' && attrs["id"] != "":
				cur = &section{id: attrs["id"]}
				sections = append(sections, cur)
				inHeading = true
			case tag == "a" && attrs["class"] == "headerlink" && inHeading:
				skip++ // the pilcrow is not part of the heading's title
			case tag == "script" || tag == "style":
				skip++
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch tag := string(name); {
			case len(tag) == 2 && tag[0] == 'h' && tag[1] >= '1' && tag[1] <= '6':
				inHeading = false
			case tag == "a" && skip > 0 && inHeading:
				skip--
			case (tag == "script" || tag == "style") && skip > 0:
				skip--
			}
		case html.TextToken:
			t := string(z.Text())
			all.WriteString(t)
			if skip > 0 || cur == nil {
				continue
			}
			if inHeading {
				cur.title.WriteString(t)
			} else {
				cur.text.WriteString(t)
			}
		}
	}
	out := []searchDoc{{Location: p.URL, Text: collapseSpace(all.String()), Title: p.Title}}
	for _, s := range sections {
		out = append(out, searchDoc{Location: p.URL + "#" + s.id, Text: collapseSpace(s.text.String()), Title: collapseSpace(s.title.String())})
	}
	return out
}

func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

func buildSearchIndex(pages []*page) ([]byte, error) {
	idx := searchIndex{Config: defaultSearchConfig(), Docs: []searchDoc{}}
	for _, p := range pages {
		idx.Docs = append(idx.Docs, searchEntries(p)...)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(idx); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
