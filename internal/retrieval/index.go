package retrieval

import (
	"math"
	"strings"
)

// The fields scored by BM25F. A section's page title is a field of its own
// because MkDocs headings are often bare ("Usage", "Installation"): the page
// they sit on ("Localizing Your Theme") says what they are about.
const (
	fieldTitle = iota
	fieldText
	fieldPage // title of the page a section belongs to; empty for pages
	numFields
)

// Params are the BM25F constants. K1 and the body's b are the textbook
// values; the weights say how much one occurrence in a field counts against
// one in the body. They were checked, not fitted, on the TechDocs corpus of
// the retrieval quality test: its score stayed within 20–22 of 25 questions
// when k1 (0.9–1.6), body b (0.5–0.9) and the page title weight (0.5–2)
// were varied; adding the page title field lifted it from 20 to 22.
type Params struct {
	K1              float64 // term-frequency saturation
	TitleWeight     float64 // a heading occurrence counts this many body ones
	TitleB          float64 // length normalisation of headings
	TextB           float64 // length normalisation of bodies
	PageTitleWeight float64 // a section's page title, as weak context
	PageTitleB      float64
	// PageWeight scales whole-page entries. MkDocs writes each page once
	// whole and once per section; the whole page repeats every section's
	// words, so unweighted it outranks the section that actually answers.
	PageWeight float64
}

// DefaultParams are used by Build.
var DefaultParams = Params{K1: 1.2, TitleWeight: 3, TitleB: 0.3, TextB: 0.75,
	PageTitleWeight: 1, PageTitleB: 0.3, PageWeight: 0.6}

func (p Params) weights() [numFields]float64 {
	return [numFields]float64{p.TitleWeight, 1, p.PageTitleWeight}
}

func (p Params) bs() [numFields]float64 {
	return [numFields]float64{p.TitleB, p.TextB, p.PageTitleB}
}

// Index is an immutable BM25F index over the documents of one or more
// sites. It is safe for concurrent searches.
type Index struct {
	params   Params
	docs     []doc
	avgLen   [numFields]float64
	terms    map[string]int32 // term -> index into postings
	postings [][]Posting
}

// doc is a stored document: what a hit shows, and the field lengths BM25
// normalises by.
type doc struct {
	Location  string // site base + "/" + MkDocs location
	Title     string // plain text
	PageTitle string // for a section, its page's title
	Text      string // plain text
	Len       [numFields]int32
	Page      bool // a whole-page entry (location without "#")
}

// Posting is one document's term frequencies for one term, per field.
// Exported only so encoding/gob can serialise it.
type Posting struct {
	Doc  int32
	Freq [numFields]uint16
}

// Build indexes every document of the given sites. Locations are prefixed
// with their site's base; documents are kept in site order.
func Build(sites ...Site) *Index {
	return BuildWithParams(DefaultParams, sites...)
}

// BuildWithParams is Build with other BM25F constants.
func BuildWithParams(p Params, sites ...Site) *Index {
	ix := &Index{params: p, terms: map[string]int32{}}
	freq := map[string]*[numFields]uint16{} // reused per document
	var sum [numFields]float64
	for _, site := range sites {
		pageTitles := map[string]string{}
		for _, d := range site.Docs {
			if !strings.Contains(d.Location, "#") {
				pageTitles[d.Location] = d.Title
			}
		}
		for _, d := range site.Docs {
			id := int32(len(ix.docs))
			clear(freq)
			page, _, section := strings.Cut(d.Location, "#")
			sd := doc{
				Location: joinLocation(site.Base, d.Location),
				Title:    plainText(d.Title),
				Text:     plainText(d.Text),
				Page:     !section,
			}
			if section {
				sd.PageTitle = plainText(pageTitles[page])
			}
			for f, text := range [numFields]string{sd.Title, sd.Text, sd.PageTitle} {
				sd.Len[f] = count(text, freq, f)
				sum[f] += float64(sd.Len[f])
			}
			ix.docs = append(ix.docs, sd)
			ix.addPostings(id, freq)
		}
	}
	if n := float64(len(ix.docs)); n > 0 {
		for f := range sum {
			ix.avgLen[f] = sum[f] / n
		}
	}
	return ix
}

// count adds the terms of one field to freq and returns how many there were.
func count(s string, freq map[string]*[numFields]uint16, field int) int32 {
	var n int32
	terms(s, func(t string, _, _ int) {
		f := freq[t]
		if f == nil {
			f = new([numFields]uint16)
			freq[t] = f
		}
		if f[field] < math.MaxUint16 {
			f[field]++
		}
		n++
	})
	return n
}

// addPostings appends the document to each of its terms' lists, which so
// stay sorted by document.
func (ix *Index) addPostings(id int32, freq map[string]*[numFields]uint16) {
	for t, f := range freq {
		ti, ok := ix.terms[t]
		if !ok {
			ti = int32(len(ix.postings))
			ix.terms[t] = ti
			ix.postings = append(ix.postings, nil)
		}
		ix.postings[ti] = append(ix.postings[ti], Posting{Doc: id, Freq: *f})
	}
}

// Len is the number of documents (pages and sections) in the index.
func (ix *Index) Len() int { return len(ix.docs) }
