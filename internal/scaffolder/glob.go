package scaffolder

import (
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// copyMatcher decides which skeleton entries match copyWithoutTemplating /
// copyWithoutRender. Backstage runs globby with dot:true and the default
// expandDirectories, so a pattern naming a directory (".github/workflows/")
// matches everything below it, and "!pattern" excludes.
type copyMatcher struct {
	include, exclude []string
}

func newCopyMatcher(patterns []string, isDir func(string) bool) (*copyMatcher, error) {
	m := &copyMatcher{}
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		p = strings.TrimPrefix(p, "./")
		trimmed := strings.TrimSuffix(p, "/")
		if trimmed == "" {
			continue
		}
		if !doublestar.ValidatePattern(trimmed) {
			return nil, &PathError{Path: p, Msg: "invalid glob pattern"}
		}
		list := []string{trimmed}
		if strings.HasSuffix(p, "/") || (!hasGlobMeta(trimmed) && isDir(trimmed)) {
			list = []string{trimmed + "/**"}
		}
		if neg {
			m.exclude = append(m.exclude, list...)
		} else {
			m.include = append(m.include, list...)
		}
	}
	return m, nil
}

func hasGlobMeta(p string) bool { return strings.ContainsAny(p, "*?[{") }

func (m *copyMatcher) match(rel string) bool {
	if m == nil {
		return false
	}
	hit := false
	for _, p := range m.include {
		if ok, _ := doublestar.Match(p, rel); ok {
			hit = true
			break
		}
	}
	if !hit {
		return false
	}
	for _, p := range m.exclude {
		if ok, _ := doublestar.Match(p, rel); ok {
			return false
		}
	}
	return true
}

// extOf is Node's path.extname of a slash path.
func extOf(p string) string {
	base := path.Base(p)
	if strings.HasSuffix(p, "/") {
		return ""
	}
	i := strings.LastIndexByte(base, '.')
	if i <= 0 {
		return ""
	}
	return base[i:]
}
