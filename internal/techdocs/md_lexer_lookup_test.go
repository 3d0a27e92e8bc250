package techdocs

import (
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2/lexers"
)

// TestLookupLexerMatchesChroma compares lookupLexer with lexers.Get on
// every name, alias and file extension chroma knows, with backup suffixes,
// and on names it does not know.
func TestLookupLexerMatchesChroma(t *testing.T) {
	names := []string{"", "yml", "txt", "plantuml", "output", "none", "log", "curl", "env", "cs", "Dockerfile", "makefile",
		"CMakeLists.txt", "py.orig", "yml.in", "x~", "c++", "F#", "objective-c", "shell-session", "no.such.thing"}
	exts := map[string]bool{}
	for _, l := range lexers.GlobalLexerRegistry.Lexers {
		cfg := l.Config()
		names = append(names, cfg.Name, strings.ToUpper(cfg.Name))
		names = append(names, cfg.Aliases...)
		for _, g := range append(slices.Clone(cfg.Filenames), cfg.AliasFilenames...) {
			if ext, ok := strings.CutPrefix(g, "*."); ok && !exts[ext] {
				exts[ext] = true
				names = append(names, ext)
			}
		}
	}
	for _, n := range names {
		if want, got := lexers.Get(n), lookupLexer(n); want != got {
			t.Errorf("%q: lexers.Get gives %v, lookupLexer %v", n, want, got)
		}
	}
}
