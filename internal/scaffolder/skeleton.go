package scaffolder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/rigger-platform/rigger/internal/scaffolder/nunjucks"
)

// File is one entry produced by a fetch action, before it is written.
type File struct {
	// Path is slash-separated, relative to the workspace root.
	Path string `json:"path"`
	Dir  bool   `json:"dir,omitempty"`
	// Mode holds the permission bits of the source file.
	Mode fs.FileMode `json:"mode"`
	Data []byte      `json:"-"`
}

// SkeletonLimits bound one skeleton render in total; each file is also
// bounded by the Engine's nunjucks.Limits.
type SkeletonLimits struct {
	MaxFiles      int   // entries (files and directories)
	MaxTotalBytes int64 // bytes read plus bytes produced
}

func (l SkeletonLimits) withDefaults() SkeletonLimits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = 20_000
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = 512 << 20
	}
	return l
}

// renderer holds what one skeleton render shares across files.
type renderer struct {
	e    *Engine
	env  *nunjucks.Env
	vars map[string]any
	read int64
	lim  SkeletonLimits
}

func (e *Engine) newRenderer(o TemplateOptions) (*renderer, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	vals, err := nunjucks.Normalize(o.Values)
	if err != nil {
		return nil, err
	}
	if vals == nil {
		vals = map[string]any{}
	}
	name := "values"
	if o.CookiecutterCompat {
		name = "cookiecutter"
	}
	return &renderer{
		e:    e,
		env:  e.env(envKey{cookiecutter: o.CookiecutterCompat, trimBlocks: o.TrimBlocks, lstripBlocks: o.LStripBlocks}),
		vars: map[string]any{name: vals},
		lim:  e.opts.SkeletonLimits,
	}, nil
}

func (r *renderer) render(ctx context.Context, name, src string) (string, error) {
	if !strings.Contains(src, r.env.Options().Tags.VariableStart) && !hasTemplateSyntax(src) {
		return src, nil // nothing nunjucks would change: skip the parse
	}
	t, err := r.env.Compile(name, src)
	if err != nil {
		return "", err
	}
	return t.Render(ctx, r.vars)
}

func (r *renderer) charge(n int) error {
	r.read += int64(n)
	if r.read > r.lim.MaxTotalBytes {
		return fmt.Errorf("skeleton larger than %d bytes", r.lim.MaxTotalBytes)
	}
	return nil
}

// containsSkippedContent: a rendered path that is empty, absolute or has an
// empty component was templated away (e.g. "${{ 'x' if values.y }}/f").
func containsSkippedContent(p string) bool {
	return p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "//")
}

// entry is one item of a skeleton walk.
type entry struct {
	rel string // relative to the skeleton dir, no trailing slash
	dir bool
}

func walkSkeleton(src fs.FS, dir string, max int) ([]entry, error) {
	if err := checkNoSymlinks(src, dir); err != nil {
		return nil, err
	}
	fi, err := fs.Stat(src, dir)
	if err != nil {
		return nil, &PathError{Path: dir, Msg: "does not exist in the template location"}
	}
	if !fi.IsDir() {
		return nil, &PathError{Path: dir, Msg: "is not a directory"}
	}
	var out []entry
	err = fs.WalkDir(src, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return &PathError{Path: p, Msg: "is a symbolic link; links are refused in skeletons"}
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return &PathError{Path: p, Msg: "is not a regular file"}
		}
		rel := strings.TrimPrefix(p, dir+"/")
		if dir == "." {
			rel = p
		}
		out = append(out, entry{rel: rel, dir: d.IsDir()})
		if len(out) > max {
			return fmt.Errorf("skeleton has more than %d entries", max)
		}
		return nil
	})
	return out, err
}

// plannedEntry is what fetch:template decides for one skeleton entry before
// rendering: whether its path and its contents go through the template
// engine. Kept apart from RenderDir so tests can hand the same decisions to
// nunjucks on Node and compare.
type plannedEntry struct {
	entry
	loc            string // rel, with a trailing slash for directories
	local          string // loc with templateFileExtension stripped
	renderPath     bool
	renderContents bool // before the binary check
}

func planDir(src fs.FS, dir string, o TemplateOptions, lim SkeletonLimits) ([]plannedEntry, error) {
	entries, err := walkSkeleton(src, dir, lim.MaxFiles)
	if err != nil {
		return nil, err
	}
	isDir := map[string]bool{}
	for _, en := range entries {
		isDir[en.rel] = en.dir
	}
	patterns, renderFilename := o.CopyWithoutTemplating, true
	if o.CopyWithoutRender != nil {
		patterns, renderFilename = o.CopyWithoutRender, false
	}
	matcher, err := newCopyMatcher(patterns, func(p string) bool { return isDir[p] })
	if err != nil {
		return nil, err
	}
	ext := o.TemplateFileExtension
	plan := make([]plannedEntry, 0, len(entries))
	for _, en := range entries {
		pe := plannedEntry{entry: en, loc: en.rel}
		if en.dir {
			pe.loc += "/" // globby marks directories; rendering sees the slash
		}
		pe.local = pe.loc
		if ext != "" {
			// The extension is exclusive with the copy lists, so every path
			// is rendered.
			pe.renderContents = !en.dir && extOf(pe.loc) == ext
			if pe.renderContents {
				pe.local = strings.TrimSuffix(pe.local, ext)
			}
			pe.renderPath = true
		} else {
			pe.renderContents = !en.dir && !matcher.match(en.rel)
			// copyWithoutTemplating still renders the path of a copied file;
			// the deprecated copyWithoutRender leaves it alone.
			pe.renderPath = renderFilename || !matcher.match(en.rel)
		}
		plan = append(plan, pe)
	}
	return plan, nil
}

// RenderDir renders the skeleton directory dir of src (fetch:template):
// every path is rendered, file contents are rendered unless binary or
// excluded by the options, and entries whose rendered path is empty or has an
// empty component are skipped. It writes nothing; see WriteFiles.
func (e *Engine) RenderDir(ctx context.Context, src fs.FS, dir string, o TemplateOptions) ([]File, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	r, err := e.newRenderer(o)
	if err != nil {
		return nil, err
	}
	target := o.TargetPath
	if target == "" {
		target = "./"
	}
	outDir, err := SafeJoin(".", target)
	if err != nil {
		return nil, fmt.Errorf("targetPath: %w", err)
	}
	plan, err := planDir(src, dir, o, r.lim)
	if err != nil {
		return nil, err
	}
	var files []File
	for _, pe := range plan {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		local := pe.local
		if pe.renderPath {
			if local, err = r.render(ctx, pe.loc, local); err != nil {
				return nil, fmt.Errorf("rendering path %s: %w", pe.loc, err)
			}
		}
		if containsSkippedContent(local) {
			continue
		}
		outPath, err := SafeJoin(outDir, strings.TrimSuffix(local, "/"))
		if err != nil {
			return nil, fmt.Errorf("rendered path of %s: %w", pe.loc, err)
		}
		if pe.dir {
			files = append(files, File{Path: outPath, Dir: true, Mode: fs.ModeDir | 0o755})
			continue
		}
		f, err := r.file(ctx, src, path.Join(dir, pe.rel), outPath, pe.renderContents)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

func (r *renderer) file(ctx context.Context, src fs.FS, srcPath, outPath string, renderContents bool) (File, error) {
	data, err := fs.ReadFile(src, srcPath)
	if err != nil {
		return File{}, err
	}
	if err := r.charge(len(data)); err != nil {
		return File{}, err
	}
	mode := fs.FileMode(0o644)
	if fi, err := fs.Stat(src, srcPath); err == nil && fi.Mode().Perm() != 0 {
		mode = fi.Mode().Perm()
	}
	if renderContents && !isBinary(data) {
		out, err := r.render(ctx, srcPath, string(data))
		if err != nil {
			return File{}, fmt.Errorf("rendering %s: %w", srcPath, err)
		}
		if err := r.charge(len(out)); err != nil {
			return File{}, err
		}
		data = []byte(out)
	}
	return File{Path: outPath, Mode: mode, Data: data}, nil
}

// RenderFile renders one template file (fetch:template:file) to
// o.TargetPath. Its path is not templated.
func (e *Engine) RenderFile(ctx context.Context, src fs.FS, file string, o TemplateOptions) (File, error) {
	if o.TargetPath == "" {
		return File{}, errors.New("targetPath is required")
	}
	r, err := e.newRenderer(o)
	if err != nil {
		return File{}, err
	}
	outPath, err := SafeJoin(".", o.TargetPath)
	if err != nil {
		return File{}, fmt.Errorf("targetPath: %w", err)
	}
	if err := checkRegularFile(src, file); err != nil {
		return File{}, err
	}
	f, err := r.file(ctx, src, file, outPath, true)
	f.Mode = 0o644 // Backstage writes with the default mode here
	return f, err
}

func checkRegularFile(src fs.FS, file string) error {
	if err := checkNoSymlinks(src, file); err != nil {
		return err
	}
	fi, err := fs.Stat(src, file)
	if err != nil {
		return &PathError{Path: file, Msg: "does not exist in the template location"}
	}
	if !fi.Mode().IsRegular() {
		return &PathError{Path: file, Msg: "is not a regular file"}
	}
	return nil
}
