// Package storage keeps Rigger's objects (tenant markers, TechDocs sites,
// backups) behind one small interface with a local-directory and an
// S3-compatible backend, and confines each tenant to its own prefix.
package storage

import (
	"context"
	"errors"
	"io"
	"time"
)

// Store is an object store addressed by keys: slash-separated relative paths
// such as "tenants/acme/docs/index.html" (see ValidateKey). Every method
// validates its key or prefix before touching the backend.
type Store interface {
	// Put writes the object atomically: readers see the old object or the
	// whole new one. size is the exact length, or -1 when unknown.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens the object for reading; the caller closes it. A missing
	// object is ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat describes the object, or returns ErrNotFound.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List returns every object under prefix, recursively, sorted by key.
	// prefix is "" (everything) or a directory-like prefix ending in "/".
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Delete removes the object; a missing object is not an error.
	Delete(ctx context.Context, key string) error
	// DeletePrefix removes every object under prefix (as in List) and
	// returns how many it removed.
	DeletePrefix(ctx context.Context, prefix string) (int, error)
}

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// ErrNotFound is returned (wrapped) by Get and Stat for a missing object.
var ErrNotFound = errors.New("storage: object not found")
