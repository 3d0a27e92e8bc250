package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
)

// Local stores objects as files under one directory, for development and
// single-machine installs. Every path is resolved through an os.Root, so a
// symlink that points outside the directory is refused by the kernel-level
// lookup instead of by string checks that a race could defeat. Symlinks that
// stay inside are followed; the store itself never creates any.
//
// Unlike S3, a key cannot be both an object and a "directory" of others
// ("a" and "a/b"); such a Put fails.
type Local struct {
	root *os.Root
}

// NewLocal opens (creating if needed) the directory that holds the objects.
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("storage: local backend needs a directory")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("storage: create %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	return &Local{root: root}, nil
}

// Close releases the directory handle.
func (l *Local) Close() error { return l.root.Close() }

// Put writes to a temporary file in the target directory and renames it over
// the key, so readers never see a partial object and a crash leaves only a
// temp file that List ignores.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64, _ string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if dir := path.Dir(key); dir != "." {
		if err := l.root.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("storage: put %q: %w", key, err)
		}
	}
	tmp := path.Join(path.Dir(key), tempPrefix+randomHex())
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("storage: put %q: %w", key, err)
	}
	if err := writeAll(ctx, f, r, size); err != nil {
		f.Close()
		l.root.Remove(tmp)
		return fmt.Errorf("storage: put %q: %w", key, err)
	}
	if err := f.Close(); err != nil {
		l.root.Remove(tmp)
		return fmt.Errorf("storage: put %q: %w", key, err)
	}
	if err := l.root.Rename(tmp, key); err != nil {
		l.root.Remove(tmp)
		return fmt.Errorf("storage: put %q: %w", key, err)
	}
	return nil
}

// writeAll copies r into f, checks the length when it was given, and syncs
// so that the rename publishes durable content.
func writeAll(ctx context.Context, f *os.File, r io.Reader, size int64) error {
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err != nil {
		return err
	}
	if size >= 0 && n != size {
		return fmt.Errorf("read %d bytes, expected %d", n, size)
	}
	return f.Sync()
}

func (l *Local) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	f, err := l.root.Open(key)
	if err != nil {
		return nil, localErr("get", key, err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, localErr("get", key, notObject(err))
	}
	return f, nil
}

func (l *Local) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, err
	}
	st, err := l.root.Stat(key)
	if err == nil && !st.Mode().IsRegular() {
		err = notObject(nil)
	}
	if err != nil {
		return ObjectInfo{}, localErr("stat", key, err)
	}
	return ObjectInfo{Key: key, Size: st.Size(), ModTime: st.ModTime()}, nil
}

func (l *Local) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	start := "."
	if prefix != "" {
		start = strings.TrimSuffix(prefix, "/")
	}
	var out []ObjectInfo
	err := fs.WalkDir(l.root.FS(), start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start && isNotFound(err) {
				return fs.SkipAll // nothing under this prefix yet
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Only regular files are objects: not directories, not symlinks
		// (WalkDir does not follow them), not in-flight temp files, and not
		// the prefix itself when it names a file.
		if !d.Type().IsRegular() || p == start || strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		info, err := d.Info()
		if isNotFound(err) {
			return nil // deleted while we walked
		} else if err != nil {
			return err
		}
		out = append(out, ObjectInfo{Key: p, Size: info.Size(), ModTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: list %q: %w", prefix, err)
	}
	// WalkDir orders by path segment; S3 and callers expect plain byte order
	// ("a-b" sorts before "a/b").
	slices.SortFunc(out, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Delete removes the file and then any directories it leaves empty, so a
// deleted tenant leaves no trace on disk.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	st, err := l.root.Lstat(key)
	if isNotFound(err) || (err == nil && st.IsDir()) {
		return nil
	}
	if err == nil {
		err = l.root.Remove(key)
	}
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("storage: delete %q: %w", key, err)
	}
	l.pruneEmptyDirs(path.Dir(key))
	return nil
}

// pruneEmptyDirs walks up from dir removing directories until one is not
// empty (Remove refuses) or is not a real directory.
func (l *Local) pruneEmptyDirs(dir string) {
	for ; dir != "."; dir = path.Dir(dir) {
		st, err := l.root.Lstat(dir)
		if err != nil || !st.IsDir() || l.root.Remove(dir) != nil {
			return
		}
	}
}

// DeletePrefix deletes the objects, then the directories left empty under
// the prefix (a failed Put may have created some), so a deleted tenant leaves
// no trace on disk.
func (l *Local) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	n, err := deleteListed(ctx, l, prefix)
	if err != nil || prefix == "" {
		return n, err
	}
	dir := strings.TrimSuffix(prefix, "/")
	var dirs []string
	// WalkDir does not follow symlinks, so only real directories are seen.
	_ = fs.WalkDir(l.root.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for _, d := range slices.Backward(dirs) {
		l.root.Remove(d) // fails, as it should, on a directory that is not empty
	}
	l.pruneEmptyDirs(path.Dir(dir))
	return n, nil
}

// deleteListed deletes what List finds, one object at a time.
func deleteListed(ctx context.Context, s Store, prefix string) (int, error) {
	objs, err := s.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	for i, o := range objs {
		if err := s.Delete(ctx, o.Key); err != nil {
			return i, err
		}
	}
	return len(objs), nil
}

// notObject stands for "exists, but is not a file we stored".
func notObject(err error) error {
	if err != nil {
		return err
	}
	return fs.ErrNotExist
}

func isNotFound(err error) bool {
	// ENOTDIR: a parent path segment is a file, so the key cannot exist.
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

func localErr(op, key string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("storage: %s %q: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("storage: %s %q: %w", op, key, err)
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ctxReader stops a long copy when the activity is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
