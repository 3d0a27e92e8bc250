package retrieval

import (
	"container/heap"
	"math"
)

// Hit is one retrieved document.
type Hit struct {
	// Location is the site base plus MkDocs' location, e.g.
	// "default/component/payments/user-guide/#databases"; prefix it with
	// the portal's /docs/ path to link to the section.
	Location string
	Title    string
	// PageTitle is, for a section, the title of its page, so a citation
	// can read "Deploying your docs › 404 Pages".
	PageTitle string
	// Snippet is the passage of Text that best matches the query, at most
	// about SnippetLen bytes, "…" marking cuts.
	Snippet string
	// Text is the whole plain text of the page or section, for building a
	// prompt from; callers bound its length.
	Text  string
	Score float64
}

// Search returns up to k documents by descending BM25F score; documents
// sharing no term with the query are never returned.
func (ix *Index) Search(query string, k int) []Hit {
	if k <= 0 || len(ix.docs) == 0 {
		return nil
	}
	qterms := queryTerms(query)
	scores := make([]float64, len(ix.docs))
	var touched []int32
	n := float64(len(ix.docs))
	p := ix.params
	w, b := p.weights(), p.bs()
	for _, t := range qterms {
		ti, ok := ix.terms[t]
		if !ok {
			continue
		}
		list := ix.postings[ti]
		df := float64(len(list))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		for _, post := range list {
			d := &ix.docs[post.Doc]
			tf := 0.0
			for f := range numFields {
				tf += w[f] * norm(post.Freq[f], d.Len[f], ix.avgLen[f], b[f])
			}
			if scores[post.Doc] == 0 {
				touched = append(touched, post.Doc)
			}
			scores[post.Doc] += idf * tf * (p.K1 + 1) / (p.K1 + tf)
		}
	}
	top := &topK{k: k}
	for _, id := range touched {
		s := scores[id]
		if ix.docs[id].Page {
			s *= p.PageWeight
		}
		top.offer(scored{id, s})
	}
	hits := make([]Hit, top.Len())
	for i := len(hits) - 1; i >= 0; i-- {
		best := heap.Pop(top).(scored)
		d := &ix.docs[best.doc]
		hits[i] = Hit{Location: d.Location, Title: d.Title, PageTitle: d.PageTitle, Text: d.Text, Score: best.score,
			Snippet: snippet(d.Text, qterms)}
	}
	return hits
}

// queryTerms analyses the query; a repeated word counts once, as people
// repeat words for grammar, not for weight.
func queryTerms(q string) []string {
	var out []string
	seen := map[string]bool{}
	terms(q, func(t string, _, _ int) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	})
	return out
}

// norm is BM25's length-normalised term frequency of one field.
func norm(freq uint16, length int32, avg, b float64) float64 {
	if freq == 0 {
		return 0
	}
	if avg == 0 {
		return float64(freq)
	}
	return float64(freq) / (1 - b + b*float64(length)/avg)
}

type scored struct {
	doc   int32
	score float64
}

// topK is a min-heap of the best k so far: O(n log k) instead of sorting
// every matching document. Ties go to the earlier document, so results are
// deterministic.
type topK struct {
	k     int
	items []scored
}

func (t *topK) offer(s scored) {
	if len(t.items) < t.k {
		heap.Push(t, s)
	} else if t.less(t.items[0], s) {
		t.items[0] = s
		heap.Fix(t, 0)
	}
}

// less orders worse before better.
func (t *topK) less(a, b scored) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	return a.doc > b.doc
}

func (t *topK) Len() int           { return len(t.items) }
func (t *topK) Less(i, j int) bool { return t.less(t.items[i], t.items[j]) }
func (t *topK) Swap(i, j int)      { t.items[i], t.items[j] = t.items[j], t.items[i] }
func (t *topK) Push(x any)         { t.items = append(t.items, x.(scored)) }
func (t *topK) Pop() any {
	last := t.items[len(t.items)-1]
	t.items = t.items[:len(t.items)-1]
	return last
}
