package techdocs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// orderSink is a ConcurrentSink that records how Build called it and
// holds each Put a moment, so that Puts overlap.
type orderSink struct {
	MemSink
	limit int
	fail  string                                       // this file's Put fails
	hold  func(ctx context.Context, name string) error // runs inside every Put but fail's

	mu       sync.Mutex
	running  int
	maxRun   int
	metaPut  bool
	returned []string // names whose Put returned nil, in order
	problems []string
}

var errBoom = errors.New("boom")

func (s *orderSink) MaxConcurrentPuts() int { return s.limit }

func (s *orderSink) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	s.mu.Lock()
	s.running++
	s.maxRun = max(s.maxRun, s.running)
	switch {
	case name == metadataFile && s.running != 1:
		s.problems = append(s.problems, "metadata Put while another Put runs")
	case name == metadataFile:
		s.metaPut = true
	case s.metaPut:
		s.problems = append(s.problems, name+" Put after the metadata")
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}()
	if name == s.fail {
		time.Sleep(20 * time.Millisecond) // later files' Puts start meanwhile
		return errBoom
	}
	if s.hold != nil {
		if err := s.hold(ctx, name); err != nil {
			return err
		}
	}
	if err := s.MemSink.Put(ctx, name, r, size); err != nil {
		return err
	}
	s.mu.Lock()
	s.returned = append(s.returned, name)
	s.mu.Unlock()
	return nil
}

func (s *orderSink) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running == 0
}

// sequentialSink hides a sink's MaxConcurrentPuts: Build must treat it as
// a plain Sink.
type sequentialSink struct{ Sink }

func buildWith(t *testing.T, ctx context.Context, dir string, sink Sink) (*Result, error) {
	t.Helper()
	return Build(ctx, Options{SourceDir: dir, Sink: sink, Now: fixedNow})
}

func TestConcurrentSinkGetsMetadataLast(t *testing.T) {
	dir := t.TempDir()
	generateSite(t, dir, 60)
	sink := &orderSink{limit: 4, hold: func(context.Context, string) error {
		time.Sleep(200 * time.Microsecond)
		return nil
	}}
	res, err := buildWith(t, context.Background(), dir, sink)
	if err != nil {
		t.Fatal(err)
	}
	if len(sink.problems) > 0 {
		t.Fatal(sink.problems)
	}
	if sink.maxRun < 2 || sink.maxRun > sink.limit {
		t.Errorf("at most %d Puts ran at once; want 2..%d", sink.maxRun, sink.limit)
	}
	n := len(sink.returned)
	if n != len(res.Files) || sink.returned[n-1] != metadataFile {
		t.Fatalf("%d Puts, last %q; want %d, metadata last", n, sink.returned[n-1], len(res.Files))
	}
	got := append([]string(nil), sink.returned...)
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(res.Files, "\n") {
		t.Errorf("files put differ from res.Files")
	}
	if !sort.StringsAreSorted(res.Files) {
		t.Errorf("res.Files is not sorted")
	}
}

// TestSinkErrorStopsBuild: the first failing Put is Build's error, the Puts
// running then are cancelled rather than waited out, none starts after,
// and the metadata is never written; for plain and concurrent sinks alike.
func TestSinkErrorStopsBuild(t *testing.T) {
	dir := t.TempDir()
	generateSite(t, dir, 60)
	const bad = "section-00/page-0010/index.html"
	for _, limit := range []int{1, 4} {
		sink := &orderSink{limit: limit, fail: bad}
		sink.hold = func(ctx context.Context, name string) error {
			if name < bad {
				return nil
			}
			// Files after the bad one wait for the cancellation; a build
			// that does not cancel them takes a minute.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Minute):
				return nil
			}
		}
		start := time.Now()
		_, err := buildWith(t, context.Background(), dir, sink)
		if !errors.Is(err, errBoom) || err.Error() != "techdocs: writing "+bad+": boom" {
			t.Fatalf("limit %d: err = %v; want the failing Put's", limit, err)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("limit %d: Build took %v to stop", limit, d)
		}
		if !sink.idle() {
			t.Errorf("limit %d: Build returned with Puts still running", limit)
		}
		for _, name := range sink.Names() {
			if name == metadataFile || name >= bad {
				t.Errorf("limit %d: %s was written", limit, name)
			}
		}
		if limit == 1 && len(sink.Names()) != len(sink.returned) {
			t.Errorf("plain sink: %d files written before the failing one, %d returned", len(sink.Names()), len(sink.returned))
		}
	}
}

func TestCancelledBuildWritesNoMetadata(t *testing.T) {
	dir := t.TempDir()
	generateSite(t, dir, 30)
	for _, limit := range []int{1, 4} {
		ctx, cancel := context.WithCancel(context.Background())
		var once sync.Once
		sink := &orderSink{limit: limit, hold: func(context.Context, string) error {
			once.Do(cancel)
			return nil
		}}
		_, err := buildWith(t, ctx, dir, sink)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("limit %d: err = %v; want context.Canceled", limit, err)
		}
		if slices.Contains(sink.Names(), metadataFile) {
			t.Errorf("limit %d: metadata written by a cancelled build", limit)
		}
		if !sink.idle() {
			t.Errorf("limit %d: Build returned with Puts still running", limit)
		}
	}
}

// TestConcurrentOutputMatchesSequential: DirSink, written concurrently,
// holds byte for byte what a sequential sink receives, content etag
// included, for every corpus site.
func TestConcurrentOutputMatchesSequential(t *testing.T) {
	for name, dir := range corpusSites(t) {
		t.Run(name, func(t *testing.T) {
			seq := &MemSink{}
			want, err := buildWith(t, context.Background(), dir, sequentialSink{seq})
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			got, err := buildWith(t, context.Background(), dir, DirSink{Dir: out})
			if err != nil {
				t.Fatal(err)
			}
			if got.Etag != want.Etag || strings.Join(got.Files, "\n") != strings.Join(want.Files, "\n") {
				t.Fatalf("etag %s, %d files; sequential: etag %s, %d files", got.Etag, len(got.Files), want.Etag, len(want.Files))
			}
			var onDisk []string
			err = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(out, p)
				rel = filepath.ToSlash(rel)
				onDisk = append(onDisk, rel)
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				if !bytes.Equal(data, seq.Files[rel]) {
					t.Errorf("%s differs from the sequential build's", rel)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(onDisk)
			if strings.Join(onDisk, "\n") != strings.Join(seq.Names(), "\n") {
				t.Errorf("files on disk differ from the sequential build's")
			}
		})
	}
}

// panicSink panics on one file's Put, as a buggy storage client might.
type panicSink struct{ orderSink }

func (s *panicSink) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	if name == s.fail {
		panic("storage client bug")
	}
	return s.orderSink.Put(ctx, name, r, size)
}

// A panic on a Put goroutine must come back from Build as an error: left
// alone it would end the worker process, and every tenant's activity in it.
func TestConcurrentSinkPanicIsAnError(t *testing.T) {
	dir := t.TempDir()
	generateSite(t, dir, 20)
	sink := &panicSink{orderSink{limit: 4, fail: "section-00/page-0005/index.html"}}
	_, err := buildWith(t, context.Background(), dir, sink)
	if err == nil || !strings.Contains(err.Error(), "sink panicked: storage client bug") {
		t.Fatalf("err = %v; want the sink's panic as an error", err)
	}
	for _, name := range sink.Names() {
		if name == metadataFile {
			t.Fatal("metadata written after a Put panicked")
		}
	}
}
