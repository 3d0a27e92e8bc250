package techdocs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Sink receives the built site one file at a time, only after rendering
// succeeded, so an implementation can stream straight to object storage.
// name is a clean, relative, slash-separated path ("a/b/index.html"). r is
// only valid until Put returns: Build reuses the memory behind it.
//
// A plain Sink gets its Puts from a single goroutine, in sorted name order.
// A ConcurrentSink gets them from several goroutines at once, in no
// particular order. Either way techdocs_metadata.json comes last and alone,
// only once every other Put has returned nil: Backstage treats that file as
// "a site is here". After a failed Put, Build cancels the ctx it passes to
// the others (one racing with the failure may still start, with that ctx
// done) and starts no more. Build returns only once every Put it started
// has returned, so a caller may clean up or read a sink's counters then.
type Sink interface {
	Put(ctx context.Context, name string, r io.Reader, size int64) error
}

// ConcurrentSink is a Sink whose Put is safe to call from several
// goroutines at once, which pays when each write waits on a disk or a
// network round trip.
type ConcurrentSink interface {
	Sink
	// MaxConcurrentPuts bounds how many Puts run at once; 1 or less means
	// the plain Sink contract.
	MaxConcurrentPuts() int
}

// DirSink writes files under a local directory.
type DirSink struct{ Dir string }

// MaxConcurrentPuts is one writer per CPU: writing a page costs about as
// much kernel time as rendering it, so a single writer would be the
// bottleneck of a large build.
func (s DirSink) MaxConcurrentPuts() int { return runtime.GOMAXPROCS(0) }

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

// MaxConcurrentPuts lets Puts overlap: only the map needs the lock.
func (s *MemSink) MaxConcurrentPuts() int { return runtime.GOMAXPROCS(0) }

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
