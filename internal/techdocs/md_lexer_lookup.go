package techdocs

import (
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
)

// lookupLexer is lexers.Get, faster where it is slow. A fence name that is
// not a lexer's name or alias ("yml", "txt", "plantuml", "output") sends
// chroma through filepath.Match for every file pattern of every lexer, each
// also with a dozen backup suffixes: 7-10 ms per name, a fifth of a small
// site's build. Here a pattern is only matched when the file name ends with
// the pattern's literal tail, which every match must; what is left is
// chroma's own procedure, so the answer is the same
// (TestLookupLexerMatchesChroma).
func lookupLexer(name string) chroma.Lexer {
	reg := lexers.GlobalLexerRegistry
	if known := registeredNames(); known[name] || known[strings.ToLower(name)] {
		return reg.Get(name)
	}
	var candidates chroma.PrioritisedLexers
	if l := matchFilename(reg, "filename."+name); l != nil {
		candidates = append(candidates, l)
	}
	if l := matchFilename(reg, name); l != nil {
		candidates = append(candidates, l)
	}
	if len(candidates) == 0 {
		return nil
	}
	sort.Sort(candidates)
	return candidates[0]
}

// registeredNames are the registry's names and aliases, as Register keys
// them.
var registeredNames = sync.OnceValue(func() map[string]bool {
	known := map[string]bool{}
	for _, l := range lexers.GlobalLexerRegistry.Lexers {
		cfg := l.Config()
		for _, n := range append([]string{cfg.Name}, cfg.Aliases...) {
			known[n], known[strings.ToLower(n)] = true, true
		}
	}
	return known
})

// ignoredSuffixes are chroma's (unexported) backup and template suffixes.
var ignoredSuffixes = [...]string{"~", ".bak", ".old", ".orig", ".dpkg-dist", ".dpkg-old", ".ucf-dist", ".ucf-new", ".ucf-old", ".rpmnew", ".rpmorig", ".rpmsave", ".in"}

// matchFilename is LexerRegistry.Match: file patterns first, then alias
// file patterns, the highest priority match of the first pass that finds
// any.
func matchFilename(reg *chroma.LexerRegistry, filename string) chroma.Lexer {
	filename = filepath.Base(filename)
	for _, aliases := range []bool{false, true} {
		var matched chroma.PrioritisedLexers
		for _, l := range reg.Lexers {
			globs := l.Config().Filenames
			if aliases {
				globs = l.Config().AliasFilenames
			}
			for _, glob := range globs {
				if globMatches(glob, filename) {
					matched = append(matched, l)
					continue
				}
				for _, suf := range ignoredSuffixes {
					if globMatches(glob+suf, filename) {
						matched = append(matched, l)
						break
					}
				}
			}
		}
		if len(matched) > 0 {
			sort.Sort(matched)
			return matched[0]
		}
	}
	return nil
}

// globMatches is filepath.Match, skipped when name lacks the text after
// the pattern's last special character.
func globMatches(glob, name string) bool {
	if i := strings.LastIndexAny(glob, `*?[]\`); !strings.HasSuffix(name, glob[i+1:]) {
		return false
	}
	ok, err := filepath.Match(glob, name)
	if err != nil {
		panic(err) // as chroma: its patterns are checked when lexers load
	}
	return ok
}
