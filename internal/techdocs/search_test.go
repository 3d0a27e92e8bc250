package techdocs

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestSearchIndexIsEncodingJSON: the index is assembled from parts encoded
// in parallel; it must be byte for byte what encoding/json makes of it.
func TestSearchIndexIsEncodingJSON(t *testing.T) {
	dirs := corpusSites(t)
	dirs["links"] = writeSite(t, map[string]string{
		"mkdocs.yml":    "site_name: S\n",
		"docs/index.md": "# <Home> & \"quotes\"\n\nText with <b>tags</b>, \\u2028 and \u2028.\n\n## Two\n\nmore\n",
		"docs/empty.md": "",
	})
	for name, dir := range dirs {
		_, sink := buildMem(t, dir, Options{})
		got := sink.Files["search/search_index.json"]
		var idx searchIndex
		if err := json.Unmarshal(got, &idx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(idx); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("%s: search index differs from encoding/json's", name)
		}
	}
}
