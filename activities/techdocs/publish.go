package techdocs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/rigger-platform/rigger/activities/storage"
)

// Publishing: why in place, metadata last, stale files after.
//
// A site is published to fixed keys, techdocs/<namespace>/<kind>/<name>/<file>,
// not to a versioned prefix behind a pointer. Fixed keys are what Backstage's
// own publishers write and read (a Backstage pointed straight at the bucket
// sees our sites), and what internal/retrieval indexes; a pointer would need
// every reader to learn it. What readers are promised instead:
//
//  1. A build first lands complete in a staging prefix (techdocs-staging/...,
//     invisible to readers). Publishing starts only from a complete staged
//     build, so a build that fails or a worker that dies mid-build never
//     touches the live site.
//  2. Files are copied to their final keys, several at a time, and
//     techdocs_metadata.json — which Backstage treats as "a site is here" —
//     last. Each object write is atomic (storage.Store.Put), so whenever a
//     reader sees a metadata file, every file that metadata lists is there.
//     In particular a first publish is invisible until it is complete.
//  3. Only then are keys the new metadata does not list deleted. Until that
//     moment the previous metadata's files were all still present, so the
//     promise of (2) also holds for the previous version while it is the
//     one readers see. (A reader may meet new pages next to the previous
//     metadata for the few moments between 2 and its last write — each file
//     is whole, and the site is at worst a mix of two complete builds.)
//  4. Staging is deleted last. Every step repeats safely: a retried publish
//     copies again from staging; one that finds staging gone but the live
//     metadata naming its etag knows it already finished.
//
// Two builds of one entity must not publish at the same time (each would
// delete the other's new files), so the activity holds a per-entity lock
// around Publish (see store.WithTechDocsPublishLock).

// PublishStats counts what a publish did.
type PublishStats struct {
	Files   int   // files the site has (metadata included)
	Copied  int   // files written to the live prefix
	Bytes   int64 // bytes written
	Deleted int   // stale files removed from the live prefix
	// AlreadyPublished is set when staging was gone and the live site
	// already carries the expected etag (a repeat of a finished publish).
	AlreadyPublished bool
}

// Metadata is the part of techdocs_metadata.json a publisher needs.
type Metadata struct {
	SiteName       string   `json:"site_name"`
	Etag           string   `json:"etag"`
	BuildTimestamp int64    `json:"build_timestamp"`
	Files          []string `json:"files"`
}

// ErrStagingMissing means there is no staged build to publish.
var ErrStagingMissing = errors.New("techdocs: staged build is missing")

// ErrStagingIncomplete means the staged metadata names files that are not
// staged: the staging was damaged, and publishing it would break the site.
var ErrStagingIncomplete = errors.New("techdocs: staged build is incomplete")

const maxMetadataBytes = 32 << 20

// publishConcurrency is how many objects Publish copies (and then deletes)
// at once. An object store answers each request in tens of milliseconds,
// so a thousand-page site copied one file at a time would take most of a
// minute; the order among the files does not matter, only that the
// metadata goes last, after all of them.
const publishConcurrency = 8

// ReadMetadata reads and parses a site's techdocs_metadata.json at key.
func ReadMetadata(ctx context.Context, s storage.Store, key string) (Metadata, error) {
	rc, err := s.Get(ctx, key)
	if err != nil {
		return Metadata{}, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxMetadataBytes+1))
	if err != nil {
		return Metadata{}, err
	}
	if len(data) > maxMetadataBytes {
		return Metadata{}, fmt.Errorf("techdocs: %s is larger than %d bytes", key, maxMetadataBytes)
	}
	var m Metadata
	if err := json.Unmarshal(data, &m); err != nil {
		return Metadata{}, fmt.Errorf("techdocs: %s: %w", key, err)
	}
	return m, nil
}

// Publish moves the build staged under staging to the live prefix live
// (both directory prefixes of s, ending in "/"), as described above. etag
// is the staged build's etag, used to recognise a publish that already
// finished. progress, when set, is told how far the copy is.
func Publish(ctx context.Context, s storage.Store, staging, live, etag string, progress func(done, total int)) (PublishStats, error) {
	if progress == nil {
		progress = func(int, int) {}
	}
	var st PublishStats
	meta, err := ReadMetadata(ctx, s, staging+MetadataFile)
	if errors.Is(err, storage.ErrNotFound) {
		cur, cerr := ReadMetadata(ctx, s, live+MetadataFile)
		if cerr == nil && etag != "" && cur.Etag == etag {
			return PublishStats{Files: len(cur.Files), AlreadyPublished: true}, nil
		}
		return st, fmt.Errorf("%w under %s", ErrStagingMissing, staging)
	}
	if err != nil {
		return st, err
	}
	staged, err := s.List(ctx, staging)
	if err != nil {
		return st, err
	}
	sizes := map[string]int64{}
	for _, o := range staged {
		sizes[strings.TrimPrefix(o.Key, staging)] = o.Size
	}
	files := append([]string(nil), meta.Files...)
	sort.Strings(files)
	want := map[string]bool{MetadataFile: true}
	for _, f := range files {
		if err := storage.ValidateKey(f); err != nil {
			return st, fmt.Errorf("%w: %v", ErrStagingIncomplete, err)
		}
		if _, ok := sizes[f]; !ok {
			return st, fmt.Errorf("%w: %s is listed but not staged", ErrStagingIncomplete, f)
		}
		want[f] = true
	}
	st.Files = len(want)

	current, err := s.List(ctx, live)
	if err != nil {
		return st, err
	}
	total := len(files) + 1
	var mu sync.Mutex // guards st and cleared
	cleared := map[string]bool{}
	copyOne := func(ctx context.Context, name string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		put := func() error {
			rc, err := s.Get(ctx, staging+name)
			if err != nil {
				return err
			}
			defer rc.Close()
			return s.Put(ctx, live+name, rc, sizes[name], ContentType(name))
		}
		err := put()
		if err != nil && ctx.Err() == nil {
			// The local backend cannot hold a key that is both a file and a
			// folder ("a" and "a/index.html"): an old key in the way of a
			// new one has to go first. This is the one case where a file of
			// the previous version disappears before the new metadata is
			// written; S3 never gets here.
			mu.Lock()
			removed := 0
			for _, o := range current {
				rel := strings.TrimPrefix(o.Key, live)
				if !want[rel] && !cleared[rel] && (strings.HasPrefix(name, rel+"/") || strings.HasPrefix(rel, name+"/")) {
					if derr := s.Delete(ctx, o.Key); derr != nil {
						mu.Unlock()
						return derr
					}
					cleared[rel] = true
					removed++
				}
			}
			st.Deleted += removed
			mu.Unlock()
			err = put()
		}
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		st.Copied++
		st.Bytes += sizes[name]
		if st.Copied%25 == 0 {
			progress(st.Copied, total)
		}
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(publishConcurrency)
	for _, name := range files {
		if name == MetadataFile {
			continue
		}
		g.Go(func() error {
			if err := copyOne(gctx, name); err != nil {
				return fmt.Errorf("techdocs: publish %s: %w", name, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return st, err
	}
	if err := copyOne(ctx, MetadataFile); err != nil {
		return st, fmt.Errorf("techdocs: publish %s: %w", MetadataFile, err)
	}
	progress(st.Copied, total)

	// The new site is complete and visible: the old files can go.
	current, err = s.List(ctx, live)
	if err != nil {
		return st, err
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(publishConcurrency)
	for _, o := range current {
		if want[strings.TrimPrefix(o.Key, live)] {
			continue
		}
		g.Go(func() error {
			if err := s.Delete(gctx, o.Key); err != nil {
				return err
			}
			mu.Lock()
			st.Deleted++
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return st, err
	}
	if _, err := s.DeletePrefix(ctx, staging); err != nil {
		return st, err
	}
	return st, nil
}

// stagingSink streams a build into staging. Build runs up to stagingPuts
// Puts at once, and the metadata's last and alone, once every other file
// is staged, so a staged metadata file still means a complete build. The
// order of the other files does not matter: nothing reads staging before
// Publish, which copies in its own order.
type stagingSink struct {
	store  storage.Store
	prefix string
	// onPut is called under mu, so progress heartbeats go out one at a
	// time with growing counts.
	onPut func(files int, bytes int64)

	mu    sync.Mutex
	files int
	bytes int64
}

// stagingPuts is how many files are uploaded at once: each Put is mostly a
// round trip to object storage (or an fsync on the local backend), which
// overlap well, while memory stays a few pages' worth.
const stagingPuts = 8

func (s *stagingSink) MaxConcurrentPuts() int { return stagingPuts }

// sinkError marks a storage failure during a build, so it is told apart
// from an error in the source.
type sinkError struct{ err error }

func (e *sinkError) Error() string { return e.err.Error() }
func (e *sinkError) Unwrap() error { return e.err }

func (s *stagingSink) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	cr := &countingReader{r: r}
	if err := s.store.Put(ctx, s.prefix+name, cr, size, ContentType(name)); err != nil {
		return &sinkError{err}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files++
	s.bytes += cr.n
	if s.onPut != nil {
		s.onPut(s.files, s.bytes)
	}
	return nil
}

// staged reports what was written.
func (s *stagingSink) staged() (files int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.files, s.bytes
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
