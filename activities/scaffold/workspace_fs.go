package scaffold

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/rigger-platform/rigger/internal/scaffolder"
)

// FS returns a read-only fs.FS view of the workspace, so that a template
// location held in memory (a git checkout, a dry run's uploaded files) can
// be rendered from like a directory. It has no symbolic links.
func (w *Workspace) FS() fs.FS { return wsFS{w} }

type wsFS struct{ w *Workspace }

func (f wsFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &wsDir{info: wsInfo{name: ".", dir: true}, entries: f.children(".")}, nil
	}
	e, ok := f.w.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	info := infoOf(e)
	if e.Dir {
		return &wsDir{info: info, entries: f.children(name)}, nil
	}
	return &wsFile{info: info, r: bytes.NewReader(e.Data)}, nil
}

func (f wsFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name != "." {
		e, ok := f.w.files[name]
		if !ok || !e.Dir {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
		}
	}
	return f.children(name), nil
}

func (f wsFS) children(dir string) []fs.DirEntry {
	var out []fs.DirEntry
	for p, e := range f.w.files {
		if path.Dir(p) == dir {
			out = append(out, fs.FileInfoToDirEntry(infoOf(e)))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

func infoOf(e scaffolder.File) wsInfo {
	return wsInfo{name: path.Base(e.Path), size: int64(len(e.Data)), mode: e.Mode, dir: e.Dir}
}

type wsInfo struct {
	name string
	size int64
	mode fs.FileMode
	dir  bool
}

func (i wsInfo) Name() string { return i.name }
func (i wsInfo) Size() int64  { return i.size }
func (i wsInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return i.mode.Perm()
}
func (i wsInfo) ModTime() time.Time { return time.Time{} }
func (i wsInfo) IsDir() bool        { return i.dir }
func (i wsInfo) Sys() any           { return nil }

type wsFile struct {
	info wsInfo
	r    *bytes.Reader
}

func (f *wsFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *wsFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *wsFile) Close() error               { return nil }

type wsDir struct {
	info    wsInfo
	entries []fs.DirEntry
	pos     int
}

func (d *wsDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *wsDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: fs.ErrInvalid}
}
func (d *wsDir) Close() error { return nil }
func (d *wsDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.pos:]
	if n <= 0 {
		d.pos = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.pos += n
	return rest[:n], nil
}

// workspaceFromFiles builds a workspace from path -> content (e.g. a git
// tree); paths that would leave the root are refused.
func workspaceFromFiles(files map[string][]byte, executable map[string]bool) (*Workspace, error) {
	w := NewWorkspace()
	for p, data := range files {
		mode := fs.FileMode(0o644)
		if executable[p] {
			mode = 0o755
		}
		if strings.HasPrefix(p, "/") {
			return nil, &scaffolder.PathError{Path: p, Msg: "absolute paths are not allowed"}
		}
		if err := w.WriteFile(p, data, mode); err != nil {
			return nil, err
		}
	}
	return w, nil
}
