package techdocs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/yuin/goldmark"
)

// Input limits: a TechDocs source is a repository folder written by a
// tenant, so sizes are bounded before anything is read into memory.
const (
	maxConfigBytes = 1 << 20
	maxPageBytes   = 8 << 20
	maxPages       = 20000
)

// sharedMarkdown is built once: goldmark setup is the costliest part of a
// small build, and the instance is stateless.
var sharedMarkdown = sync.OnceValue(newMarkdown)

// builder holds one build's state.
type builder struct {
	opts     Options
	cfg      config
	cfgFile  string
	cfgData  []byte
	docsDir  string // docs_dir as a clean slash path relative to SourceDir
	docsFS   fs.FS
	files    map[string]*srcFile
	list     []*srcFile
	pages    []*page // MkDocs' walk order
	dirIndex map[string]*page
	warns    []Warning
	md       goldmark.Markdown
	nav      *siteNav
}

func (b *builder) warn(w Warning) { b.warns = append(b.warns, w) }

// Build renders the site in opts.SourceDir and hands its files to the sink.
// Warnings never stop a build unless opts.Strict; errors are reserved for
// input that cannot be a site (no docs_dir, docs_dir outside the source,
// unreadable mkdocs.yml) and for sink failures.
func Build(ctx context.Context, opts Options) (*Result, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	sink := opts.Sink
	if sink == nil {
		if opts.OutDir == "" {
			return nil, errors.New("techdocs: Options needs a Sink or an OutDir")
		}
		sink = DirSink{Dir: opts.OutDir}
	}
	root, err := os.OpenRoot(opts.SourceDir)
	if err != nil {
		return nil, fmt.Errorf("techdocs: source: %w", err)
	}
	defer root.Close()
	b := &builder{opts: opts, md: sharedMarkdown(), files: map[string]*srcFile{}, dirIndex: map[string]*page{}}
	if err := b.loadConfig(root); err != nil {
		return nil, err
	}
	docsRoot, err := root.OpenRoot(filepath.FromSlash(b.docsDir))
	if err != nil {
		return nil, fmt.Errorf("techdocs: docs_dir %q: %w", b.docsDir, err)
	}
	defer docsRoot.Close()
	b.docsFS = docsRoot.FS()
	b.checkSupport()
	if err := b.collect(); err != nil {
		return nil, err
	}
	if err := b.render(ctx); err != nil {
		return nil, err
	}
	nav := b.buildNav()
	b.finishPages(nav)
	b.checkAnchors()
	for _, p := range b.pages {
		b.warns = append(b.warns, p.warns...)
	}
	res := &Result{
		SiteName:        b.cfg.SiteName,
		SiteDescription: b.cfg.SiteDescription,
		Nav:             nav,
		Warnings:        b.warns,
		BuildTimestamp:  opts.Now().UnixMilli(),
	}
	for _, p := range b.pages {
		res.Pages = append(res.Pages, p.Page)
	}
	if opts.Strict && len(b.warns) > 0 {
		return res, &StrictError{Warnings: b.warns}
	}
	if err := b.write(ctx, sink, nav, res); err != nil {
		return res, err
	}
	return res, nil
}

func (b *builder) loadConfig(root *os.Root) error {
	names := []string{b.opts.ConfigFile}
	if b.opts.ConfigFile == "" {
		names = []string{"mkdocs.yml", "mkdocs.yaml"}
	}
	for _, name := range names {
		data, err := readLimited(root.FS(), filepath.ToSlash(name), maxConfigBytes)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("techdocs: %s: %w", name, err)
		}
		b.cfgFile, b.cfgData = name, data
		cfg, warns, err := parseConfig(data, name, b.opts.Env)
		if err != nil {
			return fmt.Errorf("techdocs: %w", err)
		}
		b.cfg = cfg
		b.warns = append(b.warns, warns...)
		break
	}
	if b.cfgFile == "" {
		if b.opts.ConfigFile != "" {
			return fmt.Errorf("techdocs: %s not found in %s", b.opts.ConfigFile, b.opts.SourceDir)
		}
		// Backstage generates a minimal mkdocs.yml in this case; so do we.
		b.cfgFile, b.cfg.DocsDir = configFileName, "docs"
		b.warn(Warning{File: configFileName, Message: "no mkdocs.yml found; using defaults (docs_dir: docs)"})
	}
	if b.cfg.SiteName == "" {
		b.cfg.SiteName = orDefault(b.opts.DefaultSiteName, "Documentation Site")
	}
	dd := path.Clean(filepath.ToSlash(b.cfg.DocsDir))
	if path.IsAbs(dd) || dd == ".." || strings.HasPrefix(dd, "../") || filepath.IsAbs(b.cfg.DocsDir) {
		return fmt.Errorf("techdocs: docs_dir %q must be a folder inside the source directory", b.cfg.DocsDir)
	}
	b.docsDir = dd
	return nil
}

// collect lists docs_dir, decides which Markdown files are pages and where
// each goes, and orders pages as MkDocs walks them.
func (b *builder) collect() error {
	list, err := scanDocs(b.docsFS, b.cfg.ExcludeDocs, b.warn)
	if err != nil {
		return fmt.Errorf("techdocs: docs_dir %q: %w", b.docsDir, err)
	}
	sortWalkOrder(list)
	outputs := map[string]string{}
	for _, f := range list {
		b.files[f.Path] = f
		if !isMarkdown(f.Path) {
			continue
		}
		if len(b.pages) >= maxPages {
			b.warn(Warning{File: b.fileName(f.Path), Message: fmt.Sprintf("more than %d pages; page skipped", maxPages)})
			continue
		}
		u, out := pageURL(f.Path)
		if prev, taken := outputs[out]; taken {
			// index.md beats README.md (sorted first); a.md vs a/index.md: first wins.
			b.warn(Warning{File: b.fileName(f.Path), Message: fmt.Sprintf("builds to %s, which %s already builds to; skipped", out, b.fileName(prev))})
			delete(b.files, f.Path)
			continue
		}
		outputs[out] = f.Path
		p := &page{Page: Page{Source: f.Path, URL: u, File: out}, file: b.fileName(f.Path), ids: idSet{}}
		f.Page = p
		b.pages = append(b.pages, p)
		if isIndexName(path.Base(f.Path)) {
			b.dirIndex[strings.TrimSuffix(u, "/")] = p
		}
	}
	for _, f := range list {
		if b.files[f.Path] == f {
			b.list = append(b.list, f)
		}
	}
	if len(b.pages) == 0 {
		b.warn(Warning{File: b.docsDir, Message: "no Markdown pages found"})
	}
	return nil
}

func (b *builder) fileName(p string) string { return path.Join(b.docsDir, p) }

// sortWalkOrder orders files as MkDocs lists them: per folder, index (then
// README) first, then the other files by name, then the subfolders.
func sortWalkOrder(files []*srcFile) {
	rank := func(name string) int {
		switch strings.ToLower(strings.TrimSuffix(name, path.Ext(name))) {
		case "index":
			if isMarkdown(name) {
				return 0
			}
		case "readme":
			if isMarkdown(name) {
				return 1
			}
		}
		return 2
	}
	sort.SliceStable(files, func(i, j int) bool {
		a, c := strings.Split(files[i].Path, "/"), strings.Split(files[j].Path, "/")
		for k := 0; k < len(a) && k < len(c); k++ {
			lastA, lastC := k == len(a)-1, k == len(c)-1
			if a[k] == c[k] && !lastA && !lastC {
				continue
			}
			switch {
			case lastA && !lastC:
				return true // a file in this folder before a subfolder
			case !lastA && lastC:
				return false
			case lastA && lastC:
				if ra, rc := rank(a[k]), rank(c[k]); ra != rc {
					return ra < rc
				}
			}
			return a[k] < c[k]
		}
		return len(a) < len(c)
	})
}

// render converts every page's Markdown, in parallel; results land in the
// pages themselves so order stays deterministic.
func (b *builder) render(ctx context.Context) error {
	work := make(chan *page)
	var wg sync.WaitGroup
	for range min(b.workers(), max(len(b.pages), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				b.renderPage(p)
			}
		}()
	}
	var err error
feed:
	for _, p := range b.pages {
		select {
		case work <- p:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err != nil {
		return err
	}
	for _, p := range b.pages {
		if p.err != nil {
			return fmt.Errorf("techdocs: %s: %w", p.file, p.err)
		}
	}
	return nil
}

func (b *builder) workers() int {
	if b.opts.Workers > 0 {
		return b.opts.Workers
	}
	return runtime.GOMAXPROCS(0)
}

func (b *builder) renderPage(p *page) {
	raw, err := readLimited(b.docsFS, p.Source, maxPageBytes)
	if err != nil {
		p.err = err
		return
	}
	body, metaTitle, fmLines := splitFrontMatter(raw)
	p.meta = metaTitle
	p.sum = sumBytes(raw)
	ps := newPageState(body, p.file, fmLines)
	ps.resolve = func(dest string, line int) string { return b.resolveLink(p, dest, line) }
	if err := convert(b.md, ps); err != nil {
		// One broken page must not sink the site: show the source instead.
		p.warn(0, "could not render: %v", err)
		ps.html = []byte("<pre>" + escText(string(body)) + "</pre>\n")
	}
	p.content, p.toc, p.ids, p.h1 = ps.html, ps.toc, ps.ids, ps.h1
	p.search = encodeSearch(searchEntries(p))
}

// finishPages settles titles, edit links and prev/next now that the nav is
// known.
func (b *builder) finishPages(nav []NavItem) {
	for _, p := range b.pages {
		switch {
		case p.navTitle != "":
			p.Title = p.navTitle
		case p.meta != "":
			p.Title = p.meta
		case p.h1 != "":
			p.Title = p.h1
		default:
			p.Title = titleFromPath(p.Source)
		}
		p.editURL = editURL(b.cfg, b.docsDir, p.Source)
	}
	b.fillNavTitles(nav)
	ordered := navPages(nav, b.files, map[string]bool{}, nil)
	for i, p := range ordered {
		if i > 0 {
			p.prev = ordered[i-1]
		}
		if i+1 < len(ordered) {
			p.next = ordered[i+1]
		}
	}
}

// checkAnchors reports `page.md#anchor` links whose anchor is not an id on
// the target page.
func (b *builder) checkAnchors() {
	scanned := map[*page]bool{}
	for _, p := range b.pages {
		for _, a := range p.anchors {
			if a.target.ids[a.anchor] {
				continue
			}
			if !scanned[a.target] { // ids from raw HTML, footnotes, tabs: only looked for when needed
				scanned[a.target] = true
				collectRawIDs(a.target.content, a.target.ids)
				if a.target.ids[a.anchor] {
					continue
				}
			}
			p.warn(a.line, "link %q points to anchor #%s, which %s does not have", a.raw, a.anchor, a.target.file)
		}
	}
}

func readLimited(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return data, nil
}

// contentEtag hashes the config and every input file (name and bytes) when
// the caller has no commit to name the source by.
func contentEtag(cfg []byte, entries []hashEntry) string {
	h := sha256.New()
	h.Write(cfg)
	for _, e := range entries {
		fmt.Fprintf(h, "\x00%s\x00%d\x00", e.name, len(e.sum))
		h.Write(e.sum)
	}
	return hex.EncodeToString(h.Sum(nil))[:40]
}

type hashEntry struct {
	name string
	sum  []byte
}

func sumBytes(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
