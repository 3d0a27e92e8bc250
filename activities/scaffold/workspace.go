package scaffold

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/klauspost/compress/zstd"

	"github.com/rigger-platform/rigger/internal/scaffolder"
)

// Workspace is a run's working directory, held in memory: the actions read
// and write it, and between steps it lives in object storage as a snapshot
// (see snapshot.go). Paths are slash-separated and relative to the root.
// It implements scaffolder.Workspace, so rendered skeletons are written with
// scaffolder.WriteFiles.
type Workspace struct {
	files map[string]scaffolder.File // files and directories by clean path
	size  int64
}

// MaxWorkspaceBytes bounds a workspace (and so a snapshot).
const MaxWorkspaceBytes = 512 << 20

// NewWorkspace returns an empty workspace.
func NewWorkspace() *Workspace { return &Workspace{files: map[string]scaffolder.File{}} }

func clean(p string) (string, error) {
	c, err := scaffolder.SafeJoin(".", p)
	if err != nil {
		return "", err
	}
	return c, nil
}

// Exists reports whether a file or directory exists at p.
func (w *Workspace) Exists(p string) (bool, error) {
	c, err := clean(p)
	if err != nil {
		return false, err
	}
	if c == "." {
		return true, nil
	}
	_, ok := w.files[c]
	return ok, nil
}

// IsDir reports whether p is a directory (the root is one).
func (w *Workspace) IsDir(p string) bool {
	c, err := clean(p)
	if err != nil {
		return false
	}
	f, ok := w.files[c]
	return c == "." || ok && f.Dir
}

// MkdirAll creates p and its parents.
func (w *Workspace) MkdirAll(p string) error {
	c, err := clean(p)
	if err != nil {
		return err
	}
	for ; c != "."; c = path.Dir(c) {
		if f, ok := w.files[c]; ok {
			if !f.Dir {
				return &scaffolder.PathError{Path: c, Msg: "is a file, not a directory"}
			}
			continue
		}
		w.files[c] = scaffolder.File{Path: c, Dir: true, Mode: fs.ModeDir | 0o755}
	}
	return nil
}

// WriteFile writes a file, creating its parents.
func (w *Workspace) WriteFile(p string, data []byte, mode fs.FileMode) error {
	c, err := clean(p)
	if err != nil {
		return err
	}
	if c == "." {
		return &scaffolder.PathError{Path: p, Msg: "is the workspace root"}
	}
	if f, ok := w.files[c]; ok && f.Dir {
		return &scaffolder.PathError{Path: c, Msg: "is a directory"}
	}
	if err := w.MkdirAll(path.Dir(c)); err != nil {
		return err
	}
	old := int64(len(w.files[c].Data))
	if w.size-old+int64(len(data)) > MaxWorkspaceBytes {
		return fmt.Errorf("workspace larger than %d bytes", MaxWorkspaceBytes)
	}
	w.size += int64(len(data)) - old
	w.files[c] = scaffolder.File{Path: c, Mode: mode.Perm() | 0o200, Data: append([]byte(nil), data...)}
	return nil
}

// ReadFile returns a file's contents.
func (w *Workspace) ReadFile(p string) ([]byte, error) {
	c, err := clean(p)
	if err != nil {
		return nil, err
	}
	f, ok := w.files[c]
	if !ok || f.Dir {
		return nil, &scaffolder.PathError{Path: c, Msg: "is not a file in the workspace"}
	}
	return f.Data, nil
}

// Remove deletes p and, for a directory, everything below it. It reports
// whether anything was there.
func (w *Workspace) Remove(p string) (bool, error) {
	c, err := clean(p)
	if err != nil {
		return false, err
	}
	found := false
	for k, f := range w.files {
		if c == "." || k == c || strings.HasPrefix(k, c+"/") {
			w.size -= int64(len(f.Data))
			delete(w.files, k)
			found = true
		}
	}
	return found, nil
}

// Rename moves a file or directory; an existing destination is an error
// unless overwrite is set.
func (w *Workspace) Rename(from, to string, overwrite bool) error {
	src, err := clean(from)
	if err != nil {
		return err
	}
	dst, err := clean(to)
	if err != nil {
		return err
	}
	if src == "." || dst == "." {
		return &scaffolder.PathError{Path: from, Msg: "cannot rename the workspace root"}
	}
	if _, ok := w.files[src]; !ok {
		return &scaffolder.PathError{Path: from, Msg: "does not exist in the workspace"}
	}
	if dst == src || strings.HasPrefix(dst, src+"/") {
		return &scaffolder.PathError{Path: to, Msg: "is inside the path being renamed"}
	}
	if _, ok := w.files[dst]; ok {
		if !overwrite {
			return &scaffolder.PathError{Path: to, Msg: "already exists (set overwrite to replace it)"}
		}
		if _, err := w.Remove(dst); err != nil {
			return err
		}
	}
	if err := w.MkdirAll(path.Dir(dst)); err != nil {
		return err
	}
	moved := map[string]scaffolder.File{}
	for k, f := range w.files {
		if k == src || strings.HasPrefix(k, src+"/") {
			nk := dst + strings.TrimPrefix(k, src)
			f.Path = nk
			moved[nk] = f
			delete(w.files, k)
		}
	}
	for k, f := range moved {
		w.files[k] = f
	}
	return nil
}

// Glob lists the paths matching a doublestar pattern (files and
// directories), sorted.
func (w *Workspace) Glob(pattern string) ([]string, error) {
	pattern = strings.TrimPrefix(path.Clean(strings.TrimPrefix(pattern, "./")), "/")
	if !doublestar.ValidatePattern(pattern) {
		return nil, &scaffolder.PathError{Path: pattern, Msg: "invalid glob pattern"}
	}
	var out []string
	for k := range w.files {
		if ok, _ := doublestar.Match(pattern, k); ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Entries lists every file and directory, sorted by path.
func (w *Workspace) Entries() []scaffolder.File {
	out := make([]scaffolder.File, 0, len(w.files))
	for _, f := range w.files {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Files lists the regular files below dir ("." or "" for all), sorted,
// with paths relative to dir.
func (w *Workspace) Files(dir string) ([]scaffolder.File, error) {
	base := "."
	if dir != "" {
		var err error
		if base, err = clean(dir); err != nil {
			return nil, err
		}
	}
	var out []scaffolder.File
	for _, f := range w.Entries() {
		if f.Dir {
			continue
		}
		rel := f.Path
		if base != "." {
			var ok bool
			if rel, ok = strings.CutPrefix(f.Path, base+"/"); !ok {
				continue
			}
		}
		f.Path = rel
		out = append(out, f)
	}
	return out, nil
}

// Encode writes the workspace as a zstd-compressed tar archive, entries in
// path order with no timestamps, so equal workspaces encode identically.
func (w *Workspace) Encode() ([]byte, error) {
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	for _, f := range w.Entries() {
		h := &tar.Header{Name: f.Path, Mode: int64(f.Mode.Perm()), Format: tar.FormatPAX}
		if f.Dir {
			h.Typeflag, h.Name = tar.TypeDir, f.Path+"/"
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeWorkspace reads what Encode wrote, refusing entries that are not
// plain files or directories or that would leave the workspace.
func DecodeWorkspace(data []byte) (*Workspace, error) {
	zr, err := zstd.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	w := NewWorkspace()
	tr := tar.NewReader(io.LimitReader(zr, MaxWorkspaceBytes+1<<20))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return w, nil
		}
		if err != nil {
			return nil, fmt.Errorf("workspace snapshot: %w", err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := w.MkdirAll(strings.TrimSuffix(h.Name, "/")); err != nil {
				return nil, err
			}
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			if err != nil {
				return nil, err
			}
			if err := w.WriteFile(h.Name, data, fs.FileMode(h.Mode).Perm()); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("workspace snapshot: entry %q is not a file or directory", h.Name)
		}
	}
}
