package retrieval_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/internal/retrieval"
)

// generated builds a site shaped like MkDocs output: pages of ten sections,
// a page entry each, words drawn Zipf-like from a 5,000-word vocabulary
// (so some are everywhere and most are rare, as in prose), 60–200 words a
// section.
func generated(sections int) (retrieval.Site, []string) {
	r := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 5000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%dx%c", i, 'a'+rune(i%26))
	}
	zipf := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	words := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(vocab[zipf.Uint64()])
			b.WriteByte(' ')
		}
		return b.String()
	}
	var site retrieval.Site
	site.Base = "default/component/generated"
	for p := 0; p < sections/10; p++ {
		loc := fmt.Sprintf("page-%d/", p)
		var page []string
		for s := range 10 {
			d := retrieval.Document{Location: fmt.Sprintf("%s#s%d", loc, s), Title: words(2 + r.IntN(4)), Text: words(60 + r.IntN(141))}
			page = append(page, d.Text)
			site.Docs = append(site.Docs, d)
		}
		site.Docs = append(site.Docs, retrieval.Document{Location: loc, Title: words(3), Text: strings.Join(page, " ")})
	}
	queries := make([]string, 200)
	for i := range queries {
		queries[i] = "how do I " + words(3+r.IntN(5))
	}
	return site, queries
}

// BenchmarkRetrievalBuild: time to index 5,000 sections (plus their 500 page
// entries).
func BenchmarkRetrievalBuild(b *testing.B) {
	site, _ := generated(5000)
	for b.Loop() {
		retrieval.Build(site)
	}
}

// BenchmarkRetrievalLoad: time to load the same index from its cached bytes.
func BenchmarkRetrievalLoad(b *testing.B) {
	site, _ := generated(5000)
	data, _ := retrieval.Build(site).MarshalBinary()
	b.ReportMetric(float64(len(data))/(1<<20), "MiB")
	for b.Loop() {
		if _, err := retrieval.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRetrievalSearch reports per-query latency percentiles (top 5,
// snippets included) over the 5,000-section index.
func BenchmarkRetrievalSearch(b *testing.B) {
	site, queries := generated(5000)
	start := time.Now()
	ix := retrieval.Build(site)
	build := time.Since(start)
	var lat []time.Duration
	i := 0
	for b.Loop() {
		t := time.Now()
		ix.Search(queries[i%len(queries)], 5)
		lat = append(lat, time.Since(t))
		i++
	}
	slices.Sort(lat)
	p50, p95 := lat[len(lat)*50/100], lat[len(lat)*95/100]
	b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(p95.Microseconds()), "p95-µs")
	if len(lat) >= 100 {
		fmt.Printf("retrieval over %d documents: build %v, search p50 %v p95 %v (%d queries)\n",
			ix.Len(), build.Round(time.Millisecond), p50.Round(time.Microsecond), p95.Round(time.Microsecond), len(lat))
	}
}
