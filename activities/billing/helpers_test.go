package billing

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/pgtest"
	"github.com/rigger-platform/rigger/internal/store"
)

// October 2026: 31 days, and over by the time these tests run.
const period = "2026-10"

func oct(day, hour int) time.Time { return time.Date(2026, 10, day, hour, 0, 0, 0, time.UTC) }

func newStore(tb testing.TB) *store.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, pgtest.NewDatabase(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	if err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return s
}

func newActivities(tb testing.TB) *Activities {
	tb.Helper()
	objects, err := storage.NewLocal(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { objects.Close() })
	return &Activities{Store: newStore(tb), Objects: objects}
}

// span is a subscription to plan over [from, to); a zero to leaves it open.
type span struct {
	plan     string
	from, to time.Time
}

func addTenant(tb testing.TB, s *store.Store, slug, name string, spans ...span) {
	tb.Helper()
	ctx := context.Background()
	if _, _, err := s.ClaimTenant(ctx, store.TenantSpec{Slug: slug, DisplayName: name, Plan: spans[0].plan, Owner: "owner"}); err != nil {
		tb.Fatal(err)
	}
	for _, sp := range spans {
		var end *time.Time
		if !sp.to.IsZero() {
			end = &sp.to
		}
		if _, err := s.Pool.Exec(ctx, `INSERT INTO rigger.subscriptions (tenant_slug, plan_id, started_at, ended_at) VALUES ($1, $2, $3, $4)`,
			slug, sp.plan, sp.from, end); err != nil {
			tb.Fatal(err)
		}
	}
}

// addUsage records n events of quantity q each, spread over the days from
// first to last (inclusive) of October.
func addUsage(tb testing.TB, s *store.Store, slug, metric string, n int, q int64, first, last int) {
	tb.Helper()
	for i := range n {
		day := first + i%(last-first+1)
		e := store.UsageEvent{ID: fmt.Sprintf("%s/%s/%d", slug, metric, i), Tenant: slug, Metric: metric,
			Quantity: q, OccurredAt: oct(day, i%24)}
		if _, err := s.RecordUsage(context.Background(), e); err != nil {
			tb.Fatal(err)
		}
	}
}

// appErr asserts err is an application error of the given type and
// retryability.
func appErr(t *testing.T, err error, errType string, nonRetryable bool) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		t.Fatalf("want application error %s, got %T %v", errType, err, err)
	}
	if ae.Type() != errType || ae.NonRetryable() != nonRetryable {
		t.Fatalf("want %s (non-retryable %v), got %s (non-retryable %v): %v", errType, nonRetryable, ae.Type(), ae.NonRetryable(), err)
	}
	return ae
}
