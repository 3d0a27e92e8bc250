package retrieval

import (
	"strings"
	"sync"
)

// termCacheMax bounds the memo: documentation reuses a limited vocabulary,
// but a flood of unique tokens (hashes, generated names) must cost CPU, not
// memory.
const termCacheMax = 1 << 18

// termCache memoises normalise for every build and search in the process.
// Stemming is most of the cost of indexing and of snippets (which re-read a
// hit's text), and every tenant's docs share most of their words.
type termCache struct {
	mu sync.RWMutex
	m  map[string]string
}

var normalised = termCache{m: map[string]string{}}

func (c *termCache) get(raw string) string {
	c.mu.RLock()
	t, ok := c.m[raw]
	c.mu.RUnlock()
	if ok {
		return t
	}
	t = normalise(raw)
	c.mu.Lock()
	if len(c.m) < termCacheMax {
		// raw points into a document's text; a copy keeps the key from
		// pinning the whole text in memory.
		c.m[strings.Clone(raw)] = t
	}
	c.mu.Unlock()
	return t
}
