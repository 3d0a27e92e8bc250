package techdocs

import (
	"fmt"
	"time"
)

// Options says what to build and where the files go.
type Options struct {
	// SourceDir holds mkdocs.yml (or mkdocs.yaml) and, by default, docs/.
	SourceDir string
	// ConfigFile overrides the config file name inside SourceDir.
	ConfigFile string

	// Sink receives every output file. When nil, files are written under
	// OutDir (which must then be set). A publisher passes its own Sink to
	// stream the site to storage without a local copy.
	Sink   Sink
	OutDir string

	// Strict fails the build when any warning was reported, before a single
	// file reaches the Sink, so a strict build never publishes half a site.
	Strict bool

	// Etag identifies the source (commit SHA or content hash) and is written
	// to techdocs_metadata.json; empty means a hash of the source files.
	Etag string

	// Now is the clock for build_timestamp and sitemap dates; nil means
	// time.Now. Tests and reproducible builds pass a fixed clock.
	Now func() time.Time

	// Env answers `!ENV` tags in mkdocs.yml. It is never the process
	// environment implicitly: in a multi-tenant worker that would let a
	// tenant's mkdocs.yml publish the worker's secrets.
	Env map[string]string

	// DefaultSiteName is used when mkdocs.yml has no site_name (Backstage
	// uses the entity name); empty means "Documentation Site".
	DefaultSiteName string

	// Workers bounds page rendering parallelism; 0 means GOMAXPROCS.
	Workers int
}

// Result describes a finished build.
type Result struct {
	SiteName        string
	SiteDescription string
	Etag            string
	// BuildTimestamp is milliseconds since the epoch, as techdocs-node writes it.
	BuildTimestamp int64
	Pages          []Page
	Nav            []NavItem
	// Files lists every file handed to the Sink, slash-separated and sorted;
	// it is the same list as techdocs_metadata.json's "files".
	Files    []string
	Warnings []Warning
}

// Page is one built Markdown page.
type Page struct {
	Source string // path under docs_dir, e.g. "a/b.md"
	URL    string // directory URL relative to the site root, e.g. "a/b/" ("" for the home page)
	File   string // output file, e.g. "a/b/index.html"
	Title  string
	InNav  bool
}

// NavItem is one entry of the navigation tree: a page, an external link or a
// section (Children set, URL empty).
type NavItem struct {
	Title    string
	URL      string // site-relative page URL or absolute external URL
	Source   string // page source path; empty for links and sections
	External bool
	Children []NavItem
}

// Warning is something wrong with the input that did not stop the build.
type Warning struct {
	File    string // path relative to SourceDir ("mkdocs.yml", "docs/a.md"); may be empty
	Line    int    // 1-based; 0 when unknown
	Message string
}

func (w Warning) String() string {
	switch {
	case w.File != "" && w.Line > 0:
		return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Message)
	case w.File != "":
		return w.File + ": " + w.Message
	}
	return w.Message
}

// StrictError is returned by a Strict build that reported warnings.
type StrictError struct{ Warnings []Warning }

func (e *StrictError) Error() string {
	msg := fmt.Sprintf("techdocs: aborted with %d warning(s) in strict mode", len(e.Warnings))
	if len(e.Warnings) > 0 {
		msg += "; first: " + e.Warnings[0].String()
	}
	return msg
}
