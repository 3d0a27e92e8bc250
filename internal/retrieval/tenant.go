package retrieval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/rigger-platform/rigger/activities/storage"
)

// TechDocsPrefix is where published sites live inside a tenant's storage
// scope (so "tenants/<slug>/techdocs/" in the bucket).
const TechDocsPrefix = "techdocs/"

// maxIndexFile bounds one search_index.json read into memory; MkDocs'
// own index of a large handbook is a few MiB.
const maxIndexFile = 64 << 20

// SearchIndexKey is the key, relative to the tenant's scope, at which the
// TechDocs publisher stores a site's MkDocs search index.
func SearchIndexKey(namespace, kind, name string) string {
	return TechDocsPrefix + namespace + "/" + kind + "/" + name + "/search/search_index.json"
}

// siteBase returns "<namespace>/<kind>/<name>" when key (relative to the
// tenant's scope) is a site's search index; deeper or shallower keys named
// search_index.json (a page that happens to be called so) are not.
func siteBase(key string) (string, bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 6 || parts[0]+"/" != TechDocsPrefix || parts[4] != "search" || parts[5] != "search_index.json" {
		return "", false
	}
	return strings.Join(parts[1:4], "/"), true
}

// LoadTenantIndex builds the index of every site the tenant has published.
// Isolation is by construction: it reads only through
// storage.Scoped(store, slug), which cannot name another tenant's objects,
// so the index holds this tenant's text and nothing else.
func LoadTenantIndex(ctx context.Context, store storage.Store, slug string) (*Index, error) {
	sites, err := LoadTenantSites(ctx, store, slug)
	if err != nil {
		return nil, err
	}
	return Build(sites...), nil
}

// LoadTenantSites reads the tenant's search_index.json files. A file that
// does not parse or is too large is skipped with a warning — one broken site
// must not take the assistant away from all the others — while storage
// failures are errors (the caller retries).
func LoadTenantSites(ctx context.Context, store storage.Store, slug string) ([]Site, error) {
	scoped := storage.Scoped(store, slug)
	objs, err := listTechDocs(ctx, scoped, slug)
	if err != nil {
		return nil, err
	}
	return readSites(ctx, scoped, slug, objs)
}

func listTechDocs(ctx context.Context, scoped storage.Store, slug string) ([]storage.ObjectInfo, error) {
	objs, err := scoped.List(ctx, TechDocsPrefix)
	if err != nil {
		return nil, fmt.Errorf("retrieval: list %s of tenant %s: %w", TechDocsPrefix, slug, err)
	}
	out := objs[:0]
	for _, o := range objs {
		if _, ok := siteBase(o.Key); ok {
			out = append(out, o)
		}
	}
	return out, nil
}

// readSites reads the listed search indexes through the scoped store.
func readSites(ctx context.Context, scoped storage.Store, slug string, objs []storage.ObjectInfo) ([]Site, error) {
	var sites []Site
	for _, o := range objs {
		base, _ := siteBase(o.Key)
		data, err := readObject(ctx, scoped, o.Key)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			continue // unpublished between List and Get
		case errors.Is(err, errTooLarge):
		case err != nil:
			return nil, fmt.Errorf("retrieval: read %s of tenant %s: %w", o.Key, slug, err)
		default:
			var docs []Document
			if docs, err = ParseSearchIndex(data); err == nil {
				sites = append(sites, Site{Base: base, Docs: docs})
				continue
			}
		}
		slog.WarnContext(ctx, "skipping unusable TechDocs search index", "tenant", slug, "key", o.Key, "error", err)
	}
	return sites, nil
}

var errTooLarge = fmt.Errorf("retrieval: search index larger than %d bytes", maxIndexFile)

func readObject(ctx context.Context, s storage.Store, key string) ([]byte, error) {
	r, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxIndexFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxIndexFile {
		return nil, errTooLarge
	}
	return data, nil
}
