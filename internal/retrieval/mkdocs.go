package retrieval

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Document is one entry of MkDocs' search_index.json: a whole page
// (Location "page/") or one heading section of it ("page/#anchor"). Text may
// contain HTML (mkdocs-material keeps tags), which the index strips.
type Document struct {
	Location string `json:"location"`
	Title    string `json:"title"`
	Text     string `json:"text"`
}

// Site is one published documentation site: its documents and the base
// location that makes their locations unique across sites, for example
// "default/component/payments".
type Site struct {
	Base string
	Docs []Document
}

// searchIndexFile is the file MkDocs' search plugin writes. Config (lang,
// separator, pipeline) is for lunr.js in the browser; we have our own
// analyser, so it is ignored.
type searchIndexFile struct {
	Config json.RawMessage `json:"config"`
	Docs   []Document      `json:"docs"`
}

// ParseSearchIndex reads a search_index.json document list.
func ParseSearchIndex(data []byte) ([]Document, error) {
	var f searchIndexFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("retrieval: parse search_index.json: %w", err)
	}
	if f.Docs == nil {
		return nil, fmt.Errorf("retrieval: search_index.json has no \"docs\" array")
	}
	return f.Docs, nil
}

// joinLocation prefixes a site-relative location ("user-guide/#setup", ""
// for the home page) with the site base.
func joinLocation(base, loc string) string {
	base = strings.Trim(base, "/")
	if base == "" {
		return loc
	}
	return base + "/" + strings.TrimPrefix(loc, "/")
}
