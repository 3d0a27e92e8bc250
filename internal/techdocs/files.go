package techdocs

import (
	"io/fs"
	"path"
	"sort"
	"strings"
)

// srcFile is one file under docs_dir.
type srcFile struct {
	Path string // slash path under docs_dir
	Page *page  // nil for assets
	Size int64
}

// markdownExts are the extensions MkDocs treats as pages.
var markdownExts = map[string]bool{".md": true, ".markdown": true, ".mdown": true, ".mkdn": true, ".mkd": true}

func isMarkdown(p string) bool { return markdownExts[strings.ToLower(path.Ext(p))] }

// scanDocs lists docs_dir. Hidden files and folders are skipped, as are
// exclude_docs matches and anything that is not a regular file once symlinks
// are resolved inside the root (fsys refuses links leaving it).
func scanDocs(fsys fs.FS, exclude []string, warn func(Warning)) ([]*srcFile, error) {
	var out []*srcFile
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			warn(Warning{Message: "cannot read " + p + ": " + err.Error()})
			return nil
		}
		if p == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") || excluded(p, exclude) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		info, err := fs.Stat(fsys, p) // follows a symlink, inside the root only
		if err != nil {
			warn(Warning{Message: "skipping " + p + ": " + err.Error()})
			return nil
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		out = append(out, &srcFile{Path: p, Size: info.Size()})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}

// excluded matches exclude_docs' gitignore-style patterns: a pattern without
// a slash matches a name at any depth, one with a slash is anchored at
// docs_dir, a trailing slash matches folders (and so everything below).
func excluded(p string, patterns []string) bool {
	for _, pat := range patterns {
		neg := strings.HasPrefix(pat, "!")
		if neg {
			continue // re-inclusion is rare in mkdocs.yml; not supported
		}
		pat = strings.TrimSuffix(pat, "/")
		if strings.Contains(pat, "/") {
			if ok, _ := path.Match(strings.TrimPrefix(pat, "/"), p); ok {
				return true
			}
			continue
		}
		for _, part := range strings.Split(p, "/") {
			if ok, _ := path.Match(pat, part); ok {
				return true
			}
		}
	}
	return false
}

// pageURL maps a page source to its directory URL and output file, as
// MkDocs does with use_directory_urls: a/b.md → a/b/, a/index.md and
// a/README.md → a/.
func pageURL(src string) (url, out string) {
	dir, name := path.Split(src)
	stem := strings.TrimSuffix(name, path.Ext(name))
	if isIndexName(name) {
		url = dir
	} else {
		url = dir + stem + "/"
	}
	return url, url + "index.html"
}

func isIndexName(name string) bool {
	stem := strings.ToLower(strings.TrimSuffix(name, path.Ext(name)))
	return stem == "index" || stem == "readme"
}

// titleFromPath is MkDocs' fallback title: the file (or, for an index, the
// folder) name with - and _ as spaces, capitalised when all lower case.
func titleFromPath(src string) string {
	dir, name := path.Split(src)
	stem := strings.TrimSuffix(name, path.Ext(name))
	if isIndexName(name) {
		dir = strings.TrimSuffix(dir, "/")
		if dir == "" {
			return "Home"
		}
		stem = path.Base(dir)
	}
	return dirTitle(stem)
}

func dirTitle(s string) string {
	t := strings.NewReplacer("-", " ", "_", " ").Replace(s)
	if strings.ToLower(t) == t {
		t = capitalize(t)
	}
	return t
}
