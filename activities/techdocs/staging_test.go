package techdocs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/rigger-platform/rigger/activities/storage"
	site "github.com/rigger-platform/rigger/internal/techdocs"
)

// manyPages is a site big enough for staging Puts to overlap.
func manyPages(n int) map[string]string {
	files := map[string]string{"mkdocs.yml": "site_name: Many\n", "docs/index.md": "# Many\n"}
	for i := range n {
		files[fmt.Sprintf("docs/p%02d.md", i)] = fmt.Sprintf("# Page %d\n\nText of page %d.\n", i, i)
		files[fmt.Sprintf("docs/img/p%02d.png", i)] = fmt.Sprintf("\x89PNG %d", i)
	}
	return files
}

// TestStagingConcurrentPuts stages a site through concurrent Puts on each
// backend: the progress callback sees counts one at a time and growing, the
// byte count matches what is staged, and the metadata is staged last.
func TestStagingConcurrentPuts(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			src := t.TempDir()
			writeSite(t, src, manyPages(40))
			objects := b.new(t)
			var order []string
			var mu sync.Mutex
			store := &recordingStore{Store: objects, put: func(key string) {
				mu.Lock()
				order = append(order, key)
				mu.Unlock()
			}}
			var progress [][2]int64
			sink := &stagingSink{store: store, prefix: "staging/", onPut: func(files int, bytes int64) {
				progress = append(progress, [2]int64{int64(files), bytes})
			}}
			if sink.MaxConcurrentPuts() < 2 {
				t.Fatal("stagingSink is not concurrent")
			}
			res, err := site.Build(ctx, site.Options{SourceDir: src, Sink: sink})
			if err != nil {
				t.Fatal(err)
			}
			files, bytes := sink.staged()
			if files != len(res.Files) || len(progress) != files {
				t.Fatalf("staged %d files, %d progress calls; the site has %d", files, len(progress), len(res.Files))
			}
			for i, p := range progress {
				if p[0] != int64(i+1) || (i > 0 && p[1] < progress[i-1][1]) {
					t.Fatalf("progress call %d: %v after %v", i, p, progress[max(i-1, 0)])
				}
			}
			var total int64
			for _, o := range mustList(t, objects, "staging/") {
				total += o.Size
			}
			if total == 0 || bytes != total || progress[len(progress)-1][1] != total {
				t.Errorf("counted %d bytes; %d are staged", bytes, total)
			}
			if order[len(order)-1] != "staging/"+MetadataFile {
				t.Errorf("last Put was %s, not the metadata", order[len(order)-1])
			}
		})
	}
}

// TestStagingFailureStagesNoMetadata: when one upload fails, the build
// fails with that storage error and leaves no metadata in staging, so the
// staging can never pass for a complete build.
func TestStagingFailureStagesNoMetadata(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			src := t.TempDir()
			writeSite(t, src, manyPages(40))
			objects := b.new(t)
			errDown := errors.New("storage is down")
			store := &recordingStore{Store: objects, fail: func(key string) error {
				if strings.HasSuffix(key, "/p10/index.html") {
					return errDown
				}
				return nil
			}}
			sink := &stagingSink{store: store, prefix: "staging/"}
			_, err := site.Build(ctx, site.Options{SourceDir: src, Sink: sink})
			var se *sinkError
			if !errors.As(err, &se) || !errors.Is(err, errDown) {
				t.Fatalf("err = %v; want the storage error", err)
			}
			for _, o := range mustList(t, objects, "staging/") {
				if path.Base(o.Key) == MetadataFile {
					t.Fatal("a failed build staged its metadata")
				}
			}
		})
	}
}

// recordingStore sees every Put, and may fail some.
type recordingStore struct {
	storage.Store
	put  func(key string)
	fail func(key string) error
}

func (s *recordingStore) Put(ctx context.Context, key string, r io.Reader, size int64, ct string) error {
	if s.fail != nil {
		if err := s.fail(key); err != nil {
			return err
		}
	}
	if err := s.Store.Put(ctx, key, r, size, ct); err != nil {
		return err
	}
	if s.put != nil {
		s.put(key)
	}
	return nil
}

func mustList(t *testing.T, s storage.Store, prefix string) []storage.ObjectInfo {
	t.Helper()
	objs, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}
