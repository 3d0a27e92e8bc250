package techdocs

import (
	"bytes"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// page is one Markdown page through the build.
type page struct {
	Page
	file     string // path relative to SourceDir, for warnings
	navTitle string
	h1       string
	meta     string // front matter title
	toc      []tocEntry
	ids      idSet
	content  []byte // rendered Markdown body
	search   searchJSON
	editURL  string
	anchors  []anchorRef
	warns    []Warning
	err      error
	sum      []byte // sha256 of the source, for the content etag
	prev     *page
	next     *page
}

// anchorRef is a link to a fragment, checked once every page has its ids.
type anchorRef struct {
	line   int
	target *page
	anchor string
	raw    string
}

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// resolveLink rewrites one link destination on page p. Links to pages
// become their built URLs, links to other docs files their copied paths,
// both relative to p's URL as MkDocs writes them; what cannot be resolved is
// left as written and reported.
func (b *builder) resolveLink(p *page, dest string, line int) string {
	if dest == "" || schemeRE.MatchString(dest) || strings.HasPrefix(dest, "//") || strings.HasPrefix(dest, "/") {
		return dest // external, or absolute on the host: not ours to check
	}
	rawPath, frag, hasFrag := strings.Cut(dest, "#")
	rawPath, query, hasQuery := strings.Cut(rawPath, "?")
	if rawPath == "" {
		if hasFrag && frag != "" {
			p.anchors = append(p.anchors, anchorRef{line: line, target: p, anchor: frag, raw: dest})
		}
		return dest
	}
	decoded, err := url.PathUnescape(rawPath)
	if err != nil {
		decoded = rawPath
	}
	target := path.Join(path.Dir(p.Source), decoded)
	if target == ".." || strings.HasPrefix(target, "../") {
		p.warn(line, "link %q points outside docs_dir %q", dest, b.docsDir)
		return dest
	}
	suffix := ""
	if hasQuery {
		suffix += "?" + query
	}
	if hasFrag {
		suffix += "#" + frag
	}
	if f := b.files[target]; f != nil {
		if f.Page != nil {
			if hasFrag && frag != "" {
				p.anchors = append(p.anchors, anchorRef{line: line, target: f.Page, anchor: frag, raw: dest})
			}
			return relURL(f.Page.URL, p.URL) + suffix
		}
		return relURL(target, p.URL) + suffix
	}
	// A link to a folder that has an index page.
	if idx := b.dirIndex[strings.TrimSuffix(target, "/")]; idx != nil && (strings.HasSuffix(rawPath, "/") || !isMarkdown(target)) {
		return relURL(idx.URL, p.URL) + suffix
	}
	p.warn(line, "link %q points to %q, which is not in the documentation files", dest, path.Join(b.docsDir, target))
	return dest
}

func (p *page) warn(line int, format string, args ...any) {
	p.warns = append(p.warns, Warning{File: p.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// relURL is the relative URL from the page at directory URL from ("a/b/",
// "" for the root) to the site path to ("c/" for a page, "img/x.png" for a
// file), percent-encoded for an href.
func relURL(to, from string) string {
	fromParts := splitPath(from)
	dirTarget := to == "" || strings.HasSuffix(to, "/")
	toParts := splitPath(to)
	limit := len(toParts)
	if !dirTarget {
		limit-- // the last part is a file name, never a shared folder
	}
	i := 0
	for i < len(fromParts) && i < limit && fromParts[i] == toParts[i] {
		i++
	}
	var b strings.Builder
	for range len(fromParts) - i {
		b.WriteString("../")
	}
	for j, part := range toParts[i:] {
		if j > 0 {
			b.WriteByte('/')
		}
		b.WriteString(url.PathEscape(part))
	}
	if dirTarget && len(toParts) > i {
		b.WriteByte('/')
	}
	if b.Len() == 0 {
		return "./"
	}
	return b.String()
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// splitFrontMatter removes a leading YAML block (--- … --- or ...) and
// returns its title, if any, and how many lines it took. Invalid YAML is left
// in the page, as MkDocs does.
func splitFrontMatter(src []byte) (body []byte, title string, lines int) {
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	if !bytes.HasPrefix(src, []byte("---\n")) && !bytes.HasPrefix(src, []byte("---\r\n")) {
		return src, "", 0
	}
	rest := src[bytes.IndexByte(src, '\n')+1:]
	end, n := -1, 1
	for pos := 0; pos < len(rest); {
		nl := bytes.IndexByte(rest[pos:], '\n')
		lineEnd := len(rest)
		if nl >= 0 {
			lineEnd = pos + nl + 1
		}
		n++
		l := strings.TrimRight(string(rest[pos:lineEnd]), "\r\n")
		if l == "---" || l == "..." {
			end = lineEnd
			break
		}
		pos = lineEnd
	}
	if end < 0 {
		return src, "", 0
	}
	var meta yaml.Node
	if err := safeYAML(rest[:end], &meta); err != nil {
		return src, "", 0
	}
	if m := deref(&meta, 0); m != nil && m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "title" {
				if v := deref(m.Content[i+1], 0); v != nil && v.Kind == yaml.ScalarNode {
					title = v.Value
				}
			}
		}
	}
	return rest[end:], title, n
}

// safeYAML is yaml.Unmarshal that turns a library panic into an error.
func safeYAML(data []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	if bytes.HasSuffix(data, []byte("---\n")) {
		data = data[:len(data)-4]
	}
	return yaml.Unmarshal(data, n)
}
