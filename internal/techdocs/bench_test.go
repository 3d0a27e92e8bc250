package techdocs

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// discardSink measures building, not storage.
type discardSink struct{}

func (discardSink) Put(_ context.Context, _ string, r io.Reader, _ int64) error {
	_, err := io.Copy(io.Discard, r)
	return err
}

func benchBuild(b *testing.B, dir string) *Result {
	var res *Result
	for b.Loop() {
		var err error
		res, err = Build(context.Background(), Options{SourceDir: dir, Sink: discardSink{}, Now: fixedNow, Etag: "bench"})
		if err != nil {
			b.Fatal(err)
		}
	}
	return res
}

// BenchmarkBuildCorpus: one full build (parse, render, shell, search index,
// metadata) of each corpus site, in process.
func BenchmarkBuildCorpus(b *testing.B) {
	sites := corpusSites(b)
	names := make([]string, 0, len(sites))
	for n := range sites {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		b.Run(strings.ReplaceAll(name, "/", "_"), func(b *testing.B) {
			res := benchBuild(b, sites[name])
			b.ReportMetric(float64(len(res.Pages)), "pages")
		})
	}
}

// BenchmarkBuildGenerated builds generated sites of 100, 500 and 1000 pages;
// ns/page staying flat shows the linear growth.
func BenchmarkBuildGenerated(b *testing.B) {
	for _, n := range []int{100, 500, 1000} {
		b.Run(fmt.Sprintf("pages=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			generateSite(b, dir, n) // before b.Loop, which starts the clock
			benchBuild(b, dir)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/page")
		})
	}
}

// generateSite writes n pages in folders of 50, each with headings, a
// table, a list, code, an admonition and links to its neighbours: the
// Markdown MkDocs' stock extensions render too, so both builders do the
// same work in BenchmarkVsMkDocs.
func generateSite(tb testing.TB, dir string, n int) {
	tb.Helper()
	cfg := "site_name: Generated\nmarkdown_extensions:\n  - toc:\n      permalink: true\n  - tables\n  - admonition\n  - attr_list\n  - def_list\n  - footnotes\n  - abbr\n"
	write := func(rel, content string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write("mkdocs.yml", cfg)
	name := func(i int) string { return fmt.Sprintf("section-%02d/page-%04d.md", i/50, i) }
	write("docs/index.md", "# Generated site\n\nStart at [the first page]("+name(0)+").\n")
	for i := range n {
		var s strings.Builder
		fmt.Fprintf(&s, "# Page %d\n\nThis page documents *component %d* with **bold** text, `inline code` and a [link to the next page](../%s).\n\n", i, i, name((i+1)%n))
		for sec := range 4 {
			fmt.Fprintf(&s, "## Section %d.%d\n\nLorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation.\n\n", i, sec)
			s.WriteString("- first item\n- second item with `code`\n- third item\n\n")
			s.WriteString("| Key | Value |\n| --- | ----- |\n| a | 1 |\n| b | 2 |\n\n")
			s.WriteString("```python\ndef handler(event, context):\n    return {\"status\": 200, \"body\": event}\n```\n\n")
			s.WriteString("!!! note \"Remember\"\n    Admonitions render as call-outs.\n\n")
		}
		write("docs/"+name(i), s.String())
	}
}

// BenchmarkVsMkDocs times whole processes, cold start included: `mkdocs
// build` (MkDocs from Debian, default theme) against this builder compiled
// as a small binary, on the same pages, and prints both and the ratio. The
// corpus sites are copied with a config both tools accept (MkDocs 1.4 would
// stop at the corpus' unknown plugins).
//
// Two MkDocs figures are printed. "stock" is MkDocs' default theme and
// stock extensions, which highlight nothing on the server (the theme leaves
// that to highlight.js in the browser). "+pygments" adds Python-Markdown's
// codehilite, so MkDocs highlights every fence with Pygments as
// techdocs-core's pymdownx.highlight does in Backstage, and as this builder
// always does: the same work on both sides.
func BenchmarkVsMkDocs(b *testing.B) {
	mkdocs, err := exec.LookPath("mkdocs")
	if err != nil {
		b.Skip("mkdocs is not installed (apt-get install -y mkdocs); skipping the comparison")
	}
	tmp := b.TempDir()
	outs := filepath.Join(tmp, "out") // removed with tmp, after every site
	if err := os.Mkdir(outs, 0o755); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(tmp, "techdocs-build")
	floor := filepath.Join(tmp, "techdocs-floor")
	for out, pkg := range map[string]string{bin: "./cmd/techdocs-build", floor: "./cmd/techdocs-floor"} {
		if msg, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, msg)
		}
	}
	sites := map[string]string{}
	for name, dir := range corpusSites(b) {
		dst := filepath.Join(tmp, "src", strings.ReplaceAll(name, "/", "_"))
		copyForMkDocs(b, dir, dst)
		sites[strings.ReplaceAll(name, "/", "_")] = dst
	}
	gen := filepath.Join(tmp, "src", "generated-1000")
	generateSite(b, gen, 1000)
	writeHighlightConfig(b, gen)
	sites["generated-1000"] = gen
	names := make([]string, 0, len(sites))
	for n := range sites {
		names = append(names, n)
	}
	sort.Strings(names)
	// Earlier benchmarks removed their temporary sites: let ext4 forget
	// those inodes (see timeRun) before anything is timed.
	syscall.Sync()
	time.Sleep(time.Minute)
	// "floor" is techdocs-floor: loading chroma and goldmark and compiling
	// the site's lexers, which any builder on them pays; "max" is the best
	// ratio to stock MkDocs that leaves a builder on these libraries.
	fmt.Printf("\n%-44s %10s %10s %10s %8s %8s %10s %7s\n", "site (whole process, best of n)", "mkdocs", "+pygments", "rigger", "ratio", "ratio+p", "floor", "max")
	for _, name := range names {
		src := sites[name]
		// Small sites take a fraction of a second per run, so more runs
		// are cheap and steady the best figure.
		runs := 15
		if name == "generated-1000" {
			runs = 5
		}
		b.Run(name, func(b *testing.B) {
			var best []time.Duration
			for b.Loop() {
				best = bestOf(b, outs, runs,
					func(out string) *exec.Cmd {
						return exec.Command(mkdocs, "build", "-q", "-f", filepath.Join(src, "mkdocs.yml"), "-d", out)
					},
					func(out string) *exec.Cmd {
						return exec.Command(mkdocs, "build", "-q", "-f", filepath.Join(src, highlightConfig), "-d", out)
					},
					func(out string) *exec.Cmd { return exec.Command(bin, "-q", src, out) },
					func(string) *exec.Cmd { return exec.Command(floor, src) })
			}
			mk, mkp, go_, fl := best[0], best[1], best[2], best[3]
			b.ReportMetric(float64(mk.Milliseconds()), "mkdocs-ms")
			b.ReportMetric(float64(mkp.Milliseconds()), "mkdocs-pygments-ms")
			b.ReportMetric(float64(go_.Microseconds())/1000, "rigger-ms")
			b.ReportMetric(float64(mk)/float64(go_), "x-faster")
			b.ReportMetric(float64(mkp)/float64(go_), "x-faster-same-work")
			b.ReportMetric(float64(fl.Microseconds())/1000, "floor-ms")
			fmt.Printf("%-44s %8.0fms %8.0fms %8.1fms %7.1fx %7.1fx %8.1fms %6.1fx\n", fmt.Sprintf("%s (n=%d)", name, runs),
				ms(mk), ms(mkp), ms(go_), float64(mk)/float64(go_), float64(mkp)/float64(go_), ms(fl), float64(mk)/float64(fl))
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// bestOf runs the commands n times, in turn, and returns each one's fastest
// run: on a shared machine, load that comes and goes then weighs on all
// figures alike.
func bestOf(b *testing.B, outs string, n int, cmds ...func(out string) *exec.Cmd) []time.Duration {
	best := make([]time.Duration, len(cmds))
	for i := range best {
		best[i] = time.Duration(1<<63 - 1)
	}
	outs, err := os.MkdirTemp(outs, "runs")
	if err != nil {
		b.Fatal(err)
	}
	for run := range n {
		for i, cmd := range cmds {
			out := filepath.Join(outs, fmt.Sprintf("%d-%d", run, i))
			best[i] = min(best[i], timeRun(b, cmd(out)))
		}
	}
	return best
}

// timeRun times c writing to a folder of its own. Outputs are removed only
// after the whole comparison: ext4 without a journal (as on the machines
// here) steers new inodes away from ones freed in the last minutes, and
// scanning past them makes creating files after a mass delete slow, which
// would charge one tool, or site, for another's clean-up. sync first, so the
// previous run's write-back does not land inside this one.
func timeRun(b *testing.B, c *exec.Cmd) time.Duration {
	syscall.Sync()
	start := time.Now()
	msg, err := c.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		b.Fatalf("%s: %v\n%s", strings.Join(c.Args, " "), err, msg)
	}
	return d
}

// copyForMkDocs copies a corpus site's docs with a config MkDocs 1.4 can
// load: the site name and the stock extensions, no third-party plugins.
func copyForMkDocs(tb testing.TB, src, dst string) {
	tb.Helper()
	err := filepath.WalkDir(filepath.Join(src, "docs"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := "site_name: " + filepath.Base(dst) + "\nmarkdown_extensions:\n  - toc:\n      permalink: true\n  - tables\n  - admonition\n  - attr_list\n  - def_list\n  - footnotes\n  - abbr\n"
	if err := os.WriteFile(filepath.Join(dst, "mkdocs.yml"), []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	writeHighlightConfig(tb, dst)
}

// highlightConfig is the site's mkdocs.yml plus codehilite, which
// highlights fences with Pygments on the server (guess_lang off: a fence
// without a language stays plain, as in this builder).
const highlightConfig = "mkdocs-pygments.yml"

func writeHighlightConfig(tb testing.TB, dir string) {
	tb.Helper()
	cfg, err := os.ReadFile(filepath.Join(dir, "mkdocs.yml"))
	if err != nil {
		tb.Fatal(err)
	}
	cfg = append(cfg, "  - codehilite:\n      guess_lang: false\n"...)
	if err := os.WriteFile(filepath.Join(dir, highlightConfig), cfg, 0o644); err != nil {
		tb.Fatal(err)
	}
}
