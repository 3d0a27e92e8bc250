package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/internal/pgtest"
	"github.com/rigger-platform/rigger/internal/store"
)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMigrateConcurrentlyAndTwice(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := store.Open(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(ctx)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent migrate: %v", err)
		}
	}
	s, _ := store.Open(ctx, url)
	defer s.Close()
	for _, plan := range []string{"free", "team", "enterprise"} {
		if ok, err := s.PlanExists(ctx, plan); err != nil || !ok {
			t.Fatalf("plan %s seeded: ok=%v err=%v", plan, ok, err)
		}
	}
}

func TestClaimTenant(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	spec := store.TenantSpec{Slug: "acme", DisplayName: "Acme", Plan: "team", Owner: "alice", Admins: []string{"alice"}}

	got, created, err := s.ClaimTenant(ctx, spec)
	if err != nil || !created || got.Status != store.StatusProvisioning {
		t.Fatalf("first claim: %+v created=%v err=%v", got, created, err)
	}
	// A retry of the same request is the same tenant, not a conflict.
	if _, created, err := s.ClaimTenant(ctx, spec); err != nil || created {
		t.Fatalf("retry: created=%v err=%v", created, err)
	}
	other := spec
	other.Owner = "mallory"
	if _, _, err := s.ClaimTenant(ctx, other); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("other owner: want ErrConflict, got %v", err)
	}
	// A failed tenant's slug can be claimed again, even by a new request.
	if _, err := s.SetTenantStatus(ctx, "acme", nil, store.StatusFailed, "boom"); err != nil {
		t.Fatal(err)
	}
	got, created, err = s.ClaimTenant(ctx, other)
	if err != nil || !created || got.Owner != "mallory" || got.StatusReason != "" {
		t.Fatalf("reclaim failed slug: %+v created=%v err=%v", got, created, err)
	}
}

func TestSetTenantStatusGuardsTransitions(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	spec := store.TenantSpec{Slug: "beta", DisplayName: "Beta", Plan: "free", Owner: "bob"}
	if _, _, err := s.ClaimTenant(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if changed, err := s.SetTenantStatus(ctx, "beta", nil, store.StatusOffboarding, ""); err != nil || !changed {
		t.Fatalf("to offboarding: %v %v", changed, err)
	}
	// A late compensation that expects provisioning must not win.
	if changed, err := s.SetTenantStatus(ctx, "beta", []string{store.StatusProvisioning}, store.StatusFailed, "cancelled"); err != nil || changed {
		t.Fatalf("guarded transition changed=%v err=%v", changed, err)
	}
	if got, _ := s.GetTenant(ctx, "beta"); got.Status != store.StatusOffboarding {
		t.Fatalf("status = %s", got.Status)
	}
	if _, err := s.SetTenantStatus(ctx, "nobody", nil, store.StatusFailed, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown tenant: %v", err)
	}
}

func TestSubscriptionIdempotent(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, _, err := s.ClaimTenant(ctx, store.TenantSpec{Slug: "gamma", DisplayName: "G", Plan: "team", Owner: "g"}); err != nil {
		t.Fatal(err)
	}
	a, created, err := s.Subscribe(ctx, "gamma", "team")
	if err != nil || !created {
		t.Fatalf("subscribe: %v %v", created, err)
	}
	b, created, err := s.Subscribe(ctx, "gamma", "team")
	if err != nil || created || a.ID != b.ID {
		t.Fatalf("second subscribe: %+v created=%v err=%v", b, created, err)
	}
	if ended, err := s.EndSubscription(ctx, "gamma"); err != nil || !ended {
		t.Fatalf("end: %v %v", ended, err)
	}
	if ended, err := s.EndSubscription(ctx, "gamma"); err != nil || ended {
		t.Fatalf("end again: %v %v", ended, err)
	}
}

func TestListTenants(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for _, slug := range []string{"aaa", "bbb", "ccc"} {
		if _, _, err := s.ClaimTenant(ctx, store.TenantSpec{Slug: slug, DisplayName: slug, Plan: "free", Owner: "o"}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.ListTenants(ctx, "", "aaa", 1)
	if err != nil || len(page) != 1 || page[0].Slug != "bbb" {
		t.Fatalf("page after aaa: %+v %v", page, err)
	}
}

func TestRecordUsageOnce(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, _, err := s.ClaimTenant(ctx, store.TenantSpec{Slug: "usage", DisplayName: "U", Plan: "team", Owner: "u"}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	e := store.UsageEvent{ID: "run/1", Tenant: "usage", Metric: store.MetricScaffolderRuns, Quantity: 1, OccurredAt: at}
	for i, want := range []bool{true, false} {
		if stored, err := s.RecordUsage(ctx, e); err != nil || stored != want {
			t.Fatalf("record #%d: stored=%v err=%v", i, stored, err)
		}
	}
	e2 := e
	e2.ID, e2.Quantity = "run/2", 4
	if _, err := s.RecordUsage(ctx, e2); err != nil {
		t.Fatal(err)
	}
	totals, err := s.UsageTotals(ctx, "usage", at.AddDate(0, 0, -1), at.AddDate(0, 0, 1))
	if err != nil || totals[store.MetricScaffolderRuns] != 5 {
		t.Fatalf("totals %v %v", totals, err)
	}
	bad := e
	bad.ID, bad.Metric = "x", "Bad Metric"
	if _, err := s.RecordUsage(ctx, bad); err == nil {
		t.Fatal("invalid metric name accepted")
	}
}
