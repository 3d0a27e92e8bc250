package retrieval

import (
	"bytes"
	"compress/flate"
	"encoding/gob"
	"errors"
	"fmt"
	"slices"
)

// formatVersion names everything that decides which terms a text yields or
// how they are stored: the analyser (word rules, stop words, the stemmer
// and its version) and the layout below. Change any of them and bump it, so
// an index cached by an older binary is rebuilt instead of silently
// mismatching the queries of a newer one.
const formatVersion = 1

const formatMagic = "rigger-retrieval-bm25f"

// ErrFormat means the bytes are not an index this binary can read (another
// version, or corrupt); the caller rebuilds from the sources.
var ErrFormat = errors.New("retrieval: unsupported or corrupt index")

// wireIndex is the serialised form. Terms are sorted so that the same
// documents always give the same bytes.
type wireIndex struct {
	Magic    string
	Version  int
	Params   Params
	Docs     []doc
	AvgLen   [numFields]float64
	Terms    []string
	Postings [][]Posting // parallel to Terms
}

// MarshalBinary serialises the index (gob, deflated) for caching.
func (ix *Index) MarshalBinary() ([]byte, error) {
	w := wireIndex{Magic: formatMagic, Version: formatVersion, Params: ix.params, Docs: ix.docs, AvgLen: ix.avgLen}
	w.Terms = make([]string, 0, len(ix.terms))
	for t := range ix.terms {
		w.Terms = append(w.Terms, t)
	}
	slices.Sort(w.Terms)
	w.Postings = make([][]Posting, len(w.Terms))
	for i, t := range w.Terms {
		w.Postings[i] = ix.postings[ix.terms[t]]
	}
	var buf bytes.Buffer
	// BestSpeed: the text compresses well even so, and a cache is for speed.
	zw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	if err := gob.NewEncoder(zw).Encode(&w); err != nil {
		return nil, fmt.Errorf("retrieval: encode index: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("retrieval: encode index: %w", err)
	}
	return buf.Bytes(), nil
}

// Unmarshal loads an index written by MarshalBinary. Anything else — an
// older format, truncated or tampered bytes — is ErrFormat, never a panic
// at search time: every document reference is checked here.
func Unmarshal(data []byte) (*Index, error) {
	var w wireIndex
	zr := flate.NewReader(bytes.NewReader(data))
	defer zr.Close()
	if err := gob.NewDecoder(zr).Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if w.Magic != formatMagic || w.Version != formatVersion {
		return nil, fmt.Errorf("%w: format %q version %d, want %q version %d", ErrFormat, w.Magic, w.Version, formatMagic, formatVersion)
	}
	if len(w.Postings) != len(w.Terms) {
		return nil, fmt.Errorf("%w: %d terms but %d posting lists", ErrFormat, len(w.Terms), len(w.Postings))
	}
	ix := &Index{params: w.Params, docs: w.Docs, avgLen: w.AvgLen,
		terms: make(map[string]int32, len(w.Terms)), postings: w.Postings}
	for i, t := range w.Terms {
		for _, p := range w.Postings[i] {
			if p.Doc < 0 || int(p.Doc) >= len(w.Docs) {
				return nil, fmt.Errorf("%w: term %q refers to document %d of %d", ErrFormat, t, p.Doc, len(w.Docs))
			}
		}
		ix.terms[t] = int32(i)
	}
	return ix, nil
}
