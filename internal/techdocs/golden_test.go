package techdocs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoldenMarkdown renders each testdata/golden/<feature>.md and compares
// it with <feature>.html: Python-Markdown 3.4 + pymdownx 9.5's output for the
// same input with techdocs-core's settings (testdata/golden/oracle.py shows
// how it was produced; mermaid.html comes from pymdownx.superfences alone
// with the documented custom fence {name: mermaid, class: mermaid, format:
// fence_code_format}). Byte equality, not just class names: the TechDocs
// reader's styles and scripts key on this exact markup.
func TestGoldenMarkdown(t *testing.T) {
	inputs, err := filepath.Glob("testdata/golden/*.md")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	md := newMarkdown()
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".md")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(in, ".md") + ".html")
			if err != nil {
				t.Fatal(err)
			}
			ps := newPageState(src, name+".md", 0)
			if err := convert(md, ps); err != nil {
				t.Fatal(err)
			}
			got := strings.TrimSpace(string(ps.html))
			if w := strings.TrimSpace(string(want)); got != w {
				t.Errorf("%s: output differs from Python-Markdown's\n--- want\n%s\n--- got\n%s", name, w, got)
			}
		})
	}
}
