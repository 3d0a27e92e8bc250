package techdocs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Sink receives the built site one file at a time. Build calls Put from a
// single goroutine, in sorted name order, only after rendering succeeded, so
// an implementation can stream straight to object storage. name is a clean,
// relative, slash-separated path ("a/b/index.html"). r is only valid until
// Put returns: Build reuses the memory behind it.
type Sink interface {
	Put(ctx context.Context, name string, r io.Reader, size int64) error
}

// DirSink writes files under a local directory.
type DirSink struct{ Dir string }

func (s DirSink) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := checkOutputName(name); err != nil {
		return err
	}
	dst := filepath.Join(s.Dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// MemSink keeps files in memory: for tests, and for callers that hash or
// inspect a site before publishing it.
type MemSink struct {
	mu    sync.Mutex
	Files map[string][]byte
}

func (s *MemSink) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := checkOutputName(name); err != nil {
		return err
	}
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Files == nil {
		s.Files = map[string][]byte{}
	}
	s.Files[name] = b.Bytes()
	return nil
}

// Names returns the stored file names, sorted.
func (s *MemSink) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.Files))
	for n := range s.Files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// checkOutputName guards every Sink against a name that would leave its
// root, whatever produced it.
func checkOutputName(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || path.Clean(name) != name ||
		name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "\\") {
		return fmt.Errorf("techdocs: refusing output path %q", name)
	}
	return nil
}
