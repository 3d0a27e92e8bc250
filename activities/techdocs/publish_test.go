package techdocs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/rigger-platform/rigger/activities/storage"
)

const testBucket = "rigger-techdocs-test"

// backends are the stores publishing is checked against: the local
// directory and S3 through minio-go against an in-process S3 server.
var backends = []struct {
	name string
	new  func(t *testing.T) storage.Store
}{
	{"Local", func(t *testing.T) storage.Store {
		s, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"S3", func(t *testing.T) storage.Store {
		backend := s3mem.New()
		if err := backend.CreateBucket(testBucket); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(gofakes3.New(backend).Server())
		t.Cleanup(srv.Close)
		s, err := storage.NewS3(storage.Config{Backend: "s3", Endpoint: strings.TrimPrefix(srv.URL, "http://"), Insecure: true,
			Region: "us-east-1", Bucket: testBucket, AccessKey: "rigger", SecretKey: "not-a-secret", PathStyle: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

var testEntity = Entity{"default", "component", "payments"}

// writeSite writes a MkDocs source folder: files maps paths to contents.
func writeSite(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var siteV1 = map[string]string{
	"mkdocs.yml":       "site_name: Payments\nnav:\n  - Home: index.md\n  - A: a.md\n  - Old: old/page.md\n",
	"docs/index.md":    "# Payments\n\nVersion one. See [A](a.md).\n",
	"docs/a.md":        "# A\n\nFirst A.\n",
	"docs/old/page.md": "# Old page\n\nOnly in version one.\n",
	"docs/img/old.png": "\x89PNG old",
}

var siteV2 = map[string]string{
	"mkdocs.yml":       "site_name: Payments\nnav:\n  - Home: index.md\n  - A: a.md\n  - New: new.md\n",
	"docs/index.md":    "# Payments\n\nVersion two. See [A](a.md) and [New](new.md).\n",
	"docs/a.md":        "# A\n\nSecond A.\n",
	"docs/new.md":      "# New\n\nOnly in version two.\n",
	"docs/img/new.png": "\x89PNG new",
}

// stage builds a site folder (a path source under root/acme/) into the
// build's staging prefix through the real TechDocsStage activity.
func stage(t *testing.T, a *Activities, root, folder, commit string, files map[string]string) StageResult {
	t.Helper()
	writeSite(t, filepath.Join(root, "acme", folder), files)
	res, err := a.TechDocsStage(context.Background(), StageInput{
		BuildKey: BuildKey{Tenant: "acme", Namespace: "Default", Kind: "Component", Name: "Payments", Commit: commit},
		Source:   Source{Path: folder},
	})
	if err != nil {
		t.Fatalf("stage %s: %v", folder, err)
	}
	return res
}

// watched checks, after every write or delete, the promise readers rely
// on: when the live metadata exists, every file it lists exists too.
type watched struct {
	storage.Store
	live       string
	mu         sync.Mutex
	mutations  int
	violations []string
	sawMeta    []string // etags of the metadata seen, in order
}

func (w *watched) check(ctx context.Context, after string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mutations++
	m, err := ReadMetadata(ctx, w.Store, w.live+MetadataFile)
	if errors.Is(err, storage.ErrNotFound) {
		return
	}
	if err != nil {
		w.violations = append(w.violations, fmt.Sprintf("after %s: metadata unreadable: %v", after, err))
		return
	}
	if len(w.sawMeta) == 0 || w.sawMeta[len(w.sawMeta)-1] != m.Etag {
		w.sawMeta = append(w.sawMeta, m.Etag)
	}
	for _, f := range m.Files {
		if _, err := w.Store.Stat(ctx, w.live+f); err != nil {
			w.violations = append(w.violations, fmt.Sprintf("after %s: metadata %s lists %s, which is missing", after, m.Etag, f))
		}
	}
}

func (w *watched) Put(ctx context.Context, key string, r io.Reader, size int64, ct string) error {
	err := w.Store.Put(ctx, key, r, size, ct)
	w.check(ctx, "put "+key)
	return err
}

func (w *watched) Delete(ctx context.Context, key string) error {
	err := w.Store.Delete(ctx, key)
	w.check(ctx, "delete "+key)
	return err
}

func (w *watched) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	n, err := w.Store.DeletePrefix(ctx, prefix)
	w.check(ctx, "delete prefix "+prefix)
	return n, err
}

func liveFiles(t *testing.T, s storage.Store, prefix string) []string {
	t.Helper()
	objs, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, strings.TrimPrefix(o.Key, prefix))
	}
	return out
}

// TestPublishIsAtomicForReaders publishes a first site and then a second
// one that drops and adds pages, on each backend. After every single store
// mutation the live metadata's files all exist; a concurrent reader finds
// the same; the first version is invisible until complete; and after the
// second publish exactly its files are live and staging is gone.
func TestPublishIsAtomicForReaders(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			objects := b.new(t)
			root := t.TempDir()
			a := &Activities{Objects: objects, SourceRoot: root}
			scoped := storage.Scoped(objects, "acme")
			live := SitePrefix(testEntity)
			w := &watched{Store: scoped, live: live}

			// A concurrent reader, as Backstage polling the bucket would be:
			// it reads the metadata, checks the files, and re-reads the
			// metadata; a file missing while the same metadata is still
			// live is a torn read.
			stop := make(chan struct{})
			var torn atomic.Value
			var reads atomic.Int64
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					m, err := ReadMetadata(ctx, scoped, live+MetadataFile)
					if err != nil {
						continue
					}
					for _, f := range m.Files {
						if _, err := scoped.Stat(ctx, live+f); err != nil {
							if again, err2 := ReadMetadata(ctx, scoped, live+MetadataFile); err2 == nil && again.Etag == m.Etag {
								torn.Store(fmt.Sprintf("metadata %s live but %s missing", m.Etag, f))
							}
						}
					}
					reads.Add(1)
				}
			}()

			v1 := stage(t, a, root, "v1", "1111111111111111111111111111111111111111", siteV1)
			if got := liveFiles(t, scoped, live); len(got) != 0 {
				t.Fatalf("staging leaked into the live prefix: %v", got)
			}
			st1, err := Publish(ctx, w, StagingPrefix(testEntity, "1111111111111111111111111111111111111111"), live, v1.Etag, nil)
			if err != nil {
				t.Fatal(err)
			}
			if st1.Copied != v1.Files || st1.Deleted != 0 {
				t.Fatalf("first publish %+v, staged %d files", st1, v1.Files)
			}
			v2 := stage(t, a, root, "v2", "2222222222222222222222222222222222222222", siteV2)
			st2, err := Publish(ctx, w, StagingPrefix(testEntity, "2222222222222222222222222222222222222222"), live, v2.Etag, nil)
			if err != nil {
				t.Fatal(err)
			}
			close(stop)
			wg.Wait()

			if len(w.violations) > 0 {
				t.Fatalf("%d violations, first: %s", len(w.violations), w.violations[0])
			}
			if v, _ := torn.Load().(string); v != "" {
				t.Fatalf("concurrent reader saw a torn site: %s", v)
			}
			if !slices.Equal(w.sawMeta, []string{v1.Etag, v2.Etag}) {
				t.Fatalf("metadata versions seen %v, want [%s %s]", w.sawMeta, v1.Etag, v2.Etag)
			}
			m, err := ReadMetadata(ctx, scoped, live+MetadataFile)
			if err != nil {
				t.Fatal(err)
			}
			if got := liveFiles(t, scoped, live); !slices.Equal(got, m.Files) {
				t.Fatalf("live files after the second publish:\n got %v\nwant %v", got, m.Files)
			}
			for _, gone := range []string{"old/page/index.html", "img/old.png"} {
				if _, err := scoped.Stat(ctx, live+gone); !errors.Is(err, storage.ErrNotFound) {
					t.Fatalf("old file %s still live: %v", gone, err)
				}
			}
			for _, kept := range []string{"new/index.html", "img/new.png", "search/search_index.json", "index.html"} {
				if !slices.Contains(m.Files, kept) {
					t.Fatalf("%s missing from the new site", kept)
				}
			}
			if st2.Deleted < 2 {
				t.Fatalf("second publish removed %d stale files", st2.Deleted)
			}
			if left := liveFiles(t, scoped, "techdocs-staging/"); len(left) != 0 {
				t.Fatalf("staging left behind: %v", left)
			}
			if m.Etag != v2.Etag {
				t.Fatalf("live etag %s, want %s", m.Etag, v2.Etag)
			}
			body, err := getString(ctx, scoped, live+"index.html")
			if err != nil || !strings.Contains(body, "Version two") {
				t.Fatalf("live index: %v %.200q", err, body)
			}
			// A repeat of the finished publish (a retried activity whose
			// result was lost) recognises it and changes nothing.
			again, err := Publish(ctx, scoped, StagingPrefix(testEntity, "2222222222222222222222222222222222222222"), live, v2.Etag, nil)
			if err != nil || !again.AlreadyPublished {
				t.Fatalf("repeat publish: %+v %v", again, err)
			}
			t.Logf("%d store mutations checked, %d concurrent reads", w.mutations, reads.Load())
		})
	}
}

// A staged build whose metadata names a file that is not staged is refused
// before anything live changes.
func TestPublishRefusesIncompleteStaging(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			objects := b.new(t)
			root := t.TempDir()
			a := &Activities{Objects: objects, SourceRoot: root}
			scoped := storage.Scoped(objects, "acme")
			live := SitePrefix(testEntity)
			v1 := stage(t, a, root, "v1", "aaaa", siteV1)
			if _, err := Publish(ctx, scoped, StagingPrefix(testEntity, "aaaa"), live, v1.Etag, nil); err != nil {
				t.Fatal(err)
			}
			before := liveFiles(t, scoped, live)
			stage(t, a, root, "v2", "bbbb", siteV2)
			if err := scoped.Delete(ctx, StagingPrefix(testEntity, "bbbb")+"new/index.html"); err != nil {
				t.Fatal(err)
			}
			_, err := Publish(ctx, scoped, StagingPrefix(testEntity, "bbbb"), live, "", nil)
			if !errors.Is(err, ErrStagingIncomplete) {
				t.Fatalf("want ErrStagingIncomplete, got %v", err)
			}
			if after := liveFiles(t, scoped, live); !slices.Equal(before, after) {
				t.Fatalf("live site changed:\n%v\n%v", before, after)
			}
			if _, err := Publish(ctx, scoped, StagingPrefix(testEntity, "cccc"), live, "cccc", nil); !errors.Is(err, ErrStagingMissing) {
				t.Fatalf("want ErrStagingMissing, got %v", err)
			}
		})
	}
}

// On the local backend a key cannot be a file and a folder at once: a new
// site whose page folder has the name of an old file still publishes.
func TestPublishReplacesFileWithFolder(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			objects := b.new(t)
			root := t.TempDir()
			a := &Activities{Objects: objects, SourceRoot: root}
			scoped := storage.Scoped(objects, "acme")
			live := SitePrefix(testEntity)
			v1 := stage(t, a, root, "v1", "aaaa", map[string]string{
				"mkdocs.yml": "site_name: S\n", "docs/index.md": "# Home\n", "docs/guide": "a file named guide",
			})
			if _, err := Publish(ctx, scoped, StagingPrefix(testEntity, "aaaa"), live, v1.Etag, nil); err != nil {
				t.Fatal(err)
			}
			v2 := stage(t, a, root, "v2", "bbbb", map[string]string{
				"mkdocs.yml": "site_name: S\n", "docs/index.md": "# Home\n", "docs/guide.md": "# Guide\n",
			})
			if _, err := Publish(ctx, scoped, StagingPrefix(testEntity, "bbbb"), live, v2.Etag, nil); err != nil {
				t.Fatal(err)
			}
			if body, err := getString(ctx, scoped, live+"guide/index.html"); err != nil || !strings.Contains(body, "Guide") {
				t.Fatalf("guide page: %v", err)
			}
		})
	}
}

func getString(ctx context.Context, s storage.Store, key string) (string, error) {
	rc, err := s.Get(ctx, key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := rc.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String(), nil
}

// localPublish is a local store for the tests that need one backend: the
// activities staging path sources under root, tenant acme's view of the
// store, and testEntity's live prefix.
func localPublish(t *testing.T) (a *Activities, root string, scoped storage.Store, live string) {
	objects := backends[0].new(t)
	root = t.TempDir()
	return &Activities{Objects: objects, SourceRoot: root}, root, storage.Scoped(objects, "acme"), SitePrefix(testEntity)
}

// The checker above is able to fail: a publisher that writes the metadata
// first (as a naive copy in any other order would) is caught.
func TestAtomicityCheckerCatchesMetadataFirst(t *testing.T) {
	ctx := context.Background()
	a, root, scoped, live := localPublish(t)
	stage(t, a, root, "v1", "aaaa", siteV1)
	staging := StagingPrefix(testEntity, "aaaa")
	w := &watched{Store: scoped, live: live}
	m, err := ReadMetadata(ctx, scoped, staging+MetadataFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append([]string{MetadataFile}, m.Files...) {
		body, err := getString(ctx, scoped, staging+name)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Put(ctx, live+name, strings.NewReader(body), int64(len(body)), ""); err != nil {
			t.Fatal(err)
		}
	}
	if len(w.violations) == 0 {
		t.Fatal("metadata-first publishing was not caught")
	}
}

// paced is a store whose site writes take a while, as an object store's
// do; it records how many overlap and what was written before the
// metadata.
type paced struct {
	storage.Store
	live        string
	inFlight    atomic.Int32
	maxInFlight atomic.Int32
	mu          sync.Mutex
	written     []string
	beforeMeta  []string // written when the metadata's write began
	metaOverlap int32    // other writes in flight when it began
}

func (p *paced) Put(ctx context.Context, key string, r io.Reader, size int64, ct string) error {
	if !strings.HasPrefix(key, p.live) {
		return p.Store.Put(ctx, key, r, size, ct)
	}
	n := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for m := p.maxInFlight.Load(); n > m && !p.maxInFlight.CompareAndSwap(m, n); m = p.maxInFlight.Load() {
	}
	if strings.HasSuffix(key, "/"+MetadataFile) {
		p.mu.Lock()
		p.beforeMeta = slices.Clone(p.written)
		p.metaOverlap = n - 1
		p.mu.Unlock()
	} else {
		time.Sleep(5 * time.Millisecond)
	}
	err := p.Store.Put(ctx, key, r, size, ct)
	p.mu.Lock()
	p.written = append(p.written, strings.TrimPrefix(key, p.live))
	p.mu.Unlock()
	return err
}

// Publish copies several files at once, within its bound, and still
// writes the metadata alone, after every file it lists.
func TestPublishCopiesConcurrentlyMetadataLast(t *testing.T) {
	ctx := context.Background()
	a, root, scoped, live := localPublish(t)
	v := stage(t, a, root, "many", "cccc", manyPages(40))
	p := &paced{Store: scoped, live: live}
	st, err := Publish(ctx, p, StagingPrefix(testEntity, "cccc"), live, v.Etag, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Copied != v.Files {
		t.Fatalf("copied %d of %d files", st.Copied, v.Files)
	}
	if got := p.maxInFlight.Load(); got < 2 || got > publishConcurrency {
		t.Fatalf("%d writes at once at most, want 2..%d", got, publishConcurrency)
	}
	m, err := ReadMetadata(ctx, scoped, live+MetadataFile)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, f := range m.Files {
		if f != MetadataFile {
			listed = append(listed, f)
		}
	}
	slices.Sort(p.beforeMeta)
	if p.metaOverlap != 0 || !slices.Equal(p.beforeMeta, listed) {
		t.Fatalf("metadata written with %d writes in flight, after %d of the %d files it lists", p.metaOverlap, len(p.beforeMeta), len(listed))
	}
}
