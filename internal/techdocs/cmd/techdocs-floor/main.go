// Command techdocs-floor is what any TechDocs builder on chroma and
// goldmark pays before it builds anything, as a bare process:
// `techdocs-floor <source-dir>` loads the libraries (their package
// initialisation: chroma reads the definitions of all its lexers), reads the
// site's Markdown and has chroma compile the lexer of every fenced language
// in it, then exits. The benchmark times it next to `techdocs-build` and
// MkDocs: no builder on these libraries can beat MkDocs by more than MkDocs'
// time over this one's.
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
	_ "github.com/yuin/goldmark"
	_ "github.com/yuin/goldmark-emoji"
	_ "github.com/yuin/goldmark/extension"
)

var fenceRE = regexp.MustCompile("(?m)^[ \t]*(?:```|~~~)[ \t]*\\{?\\.?([A-Za-z0-9_+#-]+)")

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: techdocs-floor <source-dir>")
		os.Exit(2)
	}
	seen := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(os.Args[1], "docs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range fenceRE.FindAllSubmatch(data, -1) {
			lang := strings.ToLower(string(m[1]))
			if seen[lang] {
				continue
			}
			seen[lang] = true
			if err := compile(lexers.Get(lang)); err != nil {
				return fmt.Errorf("%s: %w", lang, err)
			}
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// compile makes chroma compile l's rules, which it does on first use.
func compile(l chroma.Lexer) error {
	if l == nil {
		return nil
	}
	it, err := l.Tokenise(nil, "\n")
	if err != nil {
		return err
	}
	for t := it(); t != chroma.EOF; t = it() {
	}
	return nil
}
