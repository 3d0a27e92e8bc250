package retrieval_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/rigger-platform/rigger/internal/retrieval"
)

// A material-style search_index.json: HTML in text and titles, a page entry
// and its sections.
const materialIndex = `{"config":{"lang":["en"],"separator":"[\\s\\-]+","pipeline":["stopWordFilter"]},
 "docs":[
  {"location":"","title":"Payments service","text":"<p>The payments service charges cards.</p><h2 id=\"databases\">Databases</h2><p>Ask for a <code>postgres</code> database in <code>catalog-info.yaml</code>.</p>"},
  {"location":"#databases","title":"Databases","text":"<p>Ask for a <code>postgres</code> database in <code>catalog-info.yaml</code> &amp; wait.</p>"},
  {"location":"runbook/#rollback","title":"Roll<em>back</em>","text":"<p>Run <code>make rollback</code> to restore the previous release.</p>"}
 ]}`

func TestParseAndSearchSearchIndex(t *testing.T) {
	docs, err := retrieval.ParseSearchIndex([]byte(materialIndex))
	if err != nil {
		t.Fatal(err)
	}
	ix := retrieval.Build(retrieval.Site{Base: "default/component/payments", Docs: docs})
	hits := ix.Search("How do I get a database for my service?", 3)
	if len(hits) == 0 || hits[0].Location != "default/component/payments/#databases" {
		t.Fatalf("hits %+v", hits)
	}
	h := hits[0]
	if h.Title != "Databases" || h.PageTitle != "Payments service" || h.Text != "Ask for a postgres database in catalog-info.yaml & wait." {
		t.Errorf("hit %+v", h)
	}
	if hits := ix.Search("rollback", 1); len(hits) != 1 || hits[0].Title != "Rollback" {
		t.Errorf("rollback: %+v", hits)
	}
	if hits := ix.Search("kubernetes ingress", 3); len(hits) != 0 {
		t.Errorf("unrelated query returned %+v", hits)
	}
	if _, err := retrieval.ParseSearchIndex([]byte(`{"config":{}}`)); err == nil {
		t.Error("index without docs accepted")
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	ix := retrieval.Build(corpusSites(t)...)
	data, err := ix.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := ix.MarshalBinary()
	if !bytes.Equal(data, again) {
		t.Error("serialisation is not deterministic")
	}
	loaded, err := retrieval.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Len() != ix.Len() {
		t.Fatalf("loaded %d docs, built %d", loaded.Len(), ix.Len())
	}
	for _, c := range qualityCases {
		if a, b := ix.Search(c.question, 5), loaded.Search(c.question, 5); !reflect.DeepEqual(a, b) {
			t.Fatalf("%q: built %+v\nloaded %+v", c.question, a, b)
		}
	}
	t.Logf("corpus: %d documents, serialised index %d KiB", ix.Len(), len(data)>>10)

	for _, bad := range [][]byte{nil, []byte("junk"), data[:len(data)/2]} {
		if _, err := retrieval.Unmarshal(bad); !errors.Is(err, retrieval.ErrFormat) {
			t.Errorf("Unmarshal(%d bytes) = %v, want ErrFormat", len(bad), err)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	small, _ := retrieval.Build(retrieval.Site{Base: "x", Docs: []retrieval.Document{{Location: "a/", Title: "A", Text: "alpha beta"}}}).MarshalBinary()
	f.Add(small)
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, err := retrieval.Unmarshal(data)
		if err == nil {
			ix.Search("alpha beta", 3) // must not panic on whatever loaded
		}
	})
}
