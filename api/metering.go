package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/rigger-platform/rigger/internal/store"
)

// callMeter counts tenants' API calls in memory and flushes them as usage
// events, so billing sees API calls without a database write per request.
// Each flush's events carry IDs unique to this process and flush, so a
// retried flush records once; a crash loses at most one interval's counts.
type callMeter struct {
	mu       sync.Mutex
	counts   map[string]int64
	instance string
	seq      int64
}

func newCallMeter() *callMeter {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &callMeter{counts: map[string]int64{}, instance: hex.EncodeToString(b)}
}

func (m *callMeter) add(tenant string) {
	m.mu.Lock()
	m.counts[tenant]++
	m.mu.Unlock()
}

// FlushMetering records the API calls counted since the last flush.
func (s *Server) FlushMetering(ctx context.Context) error {
	m := s.meter
	m.mu.Lock()
	counts := m.counts
	m.counts = map[string]int64{}
	m.seq++
	seq := m.seq
	m.mu.Unlock()
	now := time.Now().UTC()
	var firstErr error
	for tenant, n := range counts {
		_, err := s.Store.RecordUsage(ctx, store.UsageEvent{
			ID: fmt.Sprintf("api:%s:%s:%d", tenant, m.instance, seq), Tenant: tenant,
			Metric: store.MetricAPICalls, Quantity: n, OccurredAt: now, Source: "api",
		})
		if err != nil && firstErr == nil {
			firstErr = err
			// Keep the counts for the next flush rather than lose them.
			m.mu.Lock()
			m.counts[tenant] += n
			m.mu.Unlock()
		}
	}
	return firstErr
}

// RunMetering flushes every interval until ctx ends, then once more.
func (s *Server) RunMetering(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := s.FlushMetering(fctx); err != nil {
				s.Logger.Warn("final API call metering flush failed", "error", err)
			}
			return
		case <-t.C:
			if err := s.FlushMetering(ctx); err != nil {
				s.Logger.Warn("API call metering flush failed", "error", err)
			}
		}
	}
}
