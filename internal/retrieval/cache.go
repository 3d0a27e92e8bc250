package retrieval

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"

	"github.com/rigger-platform/rigger/activities/storage"
)

// CacheKey is where CachedTenantIndex keeps the serialised index, inside the
// tenant's scope; deleting the tenant's prefix deletes it with the docs.
const CacheKey = "assistant/retrieval-index.bin"

// CachedTenantIndex is LoadTenantIndex with the built index cached in the
// tenant's own storage. The cache is keyed by a fingerprint of the search
// index objects (key, size, modification time), so publishing, removing or
// republishing a site rebuilds it; the check costs one List and one Get
// instead of one Get per site. A cache that cannot be read or written is
// only logged: the index is rebuilt from the sources.
func CachedTenantIndex(ctx context.Context, store storage.Store, slug string) (*Index, error) {
	scoped := storage.Scoped(store, slug)
	objs, err := listTechDocs(ctx, scoped, slug)
	if err != nil {
		return nil, err
	}
	header := []byte(fingerprint(objs) + "\n")
	if data, err := readObject(ctx, scoped, CacheKey); err == nil {
		if rest, ok := bytes.CutPrefix(data, header); ok {
			if ix, err := Unmarshal(rest); err == nil {
				return ix, nil
			}
		}
	}
	sites, err := readSites(ctx, scoped, slug, objs)
	if err != nil {
		return nil, err
	}
	ix := Build(sites...)
	if data, err := ix.MarshalBinary(); err == nil {
		data = append(header, data...)
		err = scoped.Put(ctx, CacheKey, bytes.NewReader(data), int64(len(data)), "application/octet-stream")
		if err != nil {
			slog.WarnContext(ctx, "could not cache retrieval index", "tenant", slug, "error", err)
		}
	}
	return ix, nil
}

// fingerprint identifies a set of search index objects and the index
// format, so a new binary with another analyser also rebuilds.
func fingerprint(objs []storage.ObjectInfo) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s/%d\n", formatMagic, formatVersion)
	for _, o := range objs {
		fmt.Fprintf(h, "%s\x00%d\x00%d\n", o.Key, o.Size, o.ModTime.UnixNano())
	}
	return "v1:" + hex.EncodeToString(h.Sum(nil))
}
