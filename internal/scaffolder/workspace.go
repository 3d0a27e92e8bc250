package scaffolder

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"sort"
	"sync"
)

// Workspace is where fetch actions write: a directory for real runs, memory
// for dry runs (whose files are returned to the caller).
type Workspace interface {
	// Exists reports whether a file or directory exists at p.
	Exists(p string) (bool, error)
	MkdirAll(p string) error
	WriteFile(p string, data []byte, mode fs.FileMode) error
}

// WriteFiles writes rendered files in order. Like Backstage, an existing
// path is left alone unless replace is set (so the first of two entries that
// render to the same path wins). It returns the paths it wrote.
func WriteFiles(ws Workspace, files []File, replace bool) ([]string, error) {
	var written []string
	for _, f := range files {
		clean, err := SafeJoin(".", f.Path)
		if err != nil {
			return written, err
		}
		exists, err := ws.Exists(clean)
		if err != nil {
			return written, err
		}
		if f.Dir {
			if err := ws.MkdirAll(clean); err != nil {
				return written, err
			}
			continue
		}
		if exists && !replace {
			continue
		}
		if dir := path.Dir(clean); dir != "." {
			if err := ws.MkdirAll(dir); err != nil {
				return written, err
			}
		}
		if err := ws.WriteFile(clean, f.Data, f.Mode); err != nil {
			return written, err
		}
		written = append(written, clean)
	}
	return written, nil
}

// DirWorkspace writes below a directory through os.Root, which refuses any
// path (including through symlinks planted by an earlier step) that leaves
// the directory.
type DirWorkspace struct{ root *os.Root }

// OpenDirWorkspace opens dir, which must exist.
func OpenDirWorkspace(dir string) (*DirWorkspace, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &DirWorkspace{root: r}, nil
}

// Close releases the directory handle.
func (w *DirWorkspace) Close() error { return w.root.Close() }

func (w *DirWorkspace) Exists(p string) (bool, error) {
	_, err := w.root.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (w *DirWorkspace) MkdirAll(p string) error { return w.root.MkdirAll(p, 0o755) }

// WriteFile keeps the source's permission bits but always lets the owner
// write, so that later steps (fs:rename, a second fetch with replace) can
// change what a read-only skeleton produced.
func (w *DirWorkspace) WriteFile(p string, data []byte, mode fs.FileMode) error {
	perm := mode.Perm() | 0o200
	f, err := w.root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return w.root.Chmod(p, perm)
}

// MemWorkspace keeps files in memory, for dry runs and tests.
type MemWorkspace struct {
	mu    sync.Mutex
	files map[string]File
}

// NewMemWorkspace returns an empty in-memory workspace.
func NewMemWorkspace() *MemWorkspace { return &MemWorkspace{files: map[string]File{}} }

func (w *MemWorkspace) Exists(p string) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.files[path.Clean(p)]
	return ok, nil
}

func (w *MemWorkspace) MkdirAll(p string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for p = path.Clean(p); p != "." && p != "/"; p = path.Dir(p) {
		if f, ok := w.files[p]; ok {
			if !f.Dir {
				return &PathError{Path: p, Msg: "is a file, not a directory"}
			}
			continue
		}
		w.files[p] = File{Path: p, Dir: true, Mode: fs.ModeDir | 0o755}
	}
	return nil
}

func (w *MemWorkspace) WriteFile(p string, data []byte, mode fs.FileMode) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	p = path.Clean(p)
	if f, ok := w.files[p]; ok && f.Dir {
		return &PathError{Path: p, Msg: "is a directory"}
	}
	w.files[p] = File{Path: p, Mode: mode.Perm(), Data: append([]byte(nil), data...)}
	return nil
}

// Files lists the regular files, sorted by path (a dry run's result).
func (w *MemWorkspace) Files() []File {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]File, 0, len(w.files))
	for _, f := range w.files {
		if !f.Dir {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
