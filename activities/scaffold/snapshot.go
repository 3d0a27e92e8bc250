package scaffold

import (
	"bytes"
	"container/list"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/rigger-platform/rigger/activities/storage"
)

// Snapshots: after every step that changes the workspace, the step's
// activity stores the whole workspace as one object in the tenant's prefix
// of object storage, under a key the workflow chose before the step ran:
//
//	tenants/<slug>/scaffolder/<task>/<run>/<step>.<iteration>.tar.zst
//
// The next step starts from that key. A retried step (on any worker)
// starts again from the snapshot its first attempt started from, and writes
// the same key again, so a worker that died mid-step leaves nothing the
// retry could trip over. The worker keeps recently written snapshots in
// memory too, so consecutive steps on one worker skip the download.

// SnapshotPrefix is the run's folder of snapshots inside the tenant prefix.
func SnapshotPrefix(task, run string) string { return "scaffolder/" + task + "/" + run + "/" }

// SnapshotKey names the workspace after step (0-based) and iteration
// (0-based; 0 for steps without `each`).
func SnapshotKey(task, run string, step, iteration int) string {
	return fmt.Sprintf("%s%03d.%03d.tar.zst", SnapshotPrefix(task, run), step, iteration)
}

func (a *Activities) loadWorkspace(ctx context.Context, tenant, key string) (*Workspace, error) {
	if key == "" {
		return NewWorkspace(), nil
	}
	data, ok := a.snapCache().get(tenant + "/" + key)
	if !ok {
		if a.Objects == nil {
			return nil, errNotConfigured("object storage")
		}
		r, err := storage.Scoped(a.Objects, tenant).Get(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("load workspace snapshot %s: %w", key, err)
		}
		defer r.Close()
		if data, err = io.ReadAll(io.LimitReader(r, MaxWorkspaceBytes)); err != nil {
			return nil, fmt.Errorf("load workspace snapshot %s: %w", key, err)
		}
		a.snapCache().put(tenant+"/"+key, data)
	}
	return DecodeWorkspace(data)
}

func (a *Activities) saveWorkspace(ctx context.Context, tenant, key string, ws *Workspace) error {
	if a.Objects == nil {
		return errNotConfigured("object storage")
	}
	data, err := ws.Encode()
	if err != nil {
		return err
	}
	if err := storage.Scoped(a.Objects, tenant).Put(ctx, key, bytes.NewReader(data), int64(len(data)), "application/zstd"); err != nil {
		return fmt.Errorf("save workspace snapshot %s: %w", key, err)
	}
	a.snapCache().put(tenant+"/"+key, data)
	return nil
}

// snapshotCache is a small LRU of encoded snapshots by tenant/key.
type snapshotCache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order *list.List // of *cacheEntry, most recent first
	byKey map[string]*list.Element
}

type cacheEntry struct {
	key  string
	data []byte
}

const snapshotCacheBytes = 256 << 20

func (a *Activities) snapCache() *snapshotCache {
	a.once.Do(func() {
		a.cache = &snapshotCache{max: snapshotCacheBytes, order: list.New(), byKey: map[string]*list.Element{}}
	})
	return a.cache
}

func (c *snapshotCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*cacheEntry).data, true
	}
	return nil, false
}

func (c *snapshotCache) put(key string, data []byte) {
	if int64(len(data)) > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.size -= int64(len(e.Value.(*cacheEntry).data))
		c.order.Remove(e)
	}
	c.byKey[key] = c.order.PushFront(&cacheEntry{key, data})
	c.size += int64(len(data))
	for c.size > c.max {
		last := c.order.Back()
		ent := last.Value.(*cacheEntry)
		c.order.Remove(last)
		delete(c.byKey, ent.key)
		c.size -= int64(len(ent.data))
	}
}

func (c *snapshotCache) dropPrefix(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.byKey {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			c.size -= int64(len(e.Value.(*cacheEntry).data))
			c.order.Remove(e)
			delete(c.byKey, k)
		}
	}
}
