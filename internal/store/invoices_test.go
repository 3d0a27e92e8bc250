package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/internal/store"
)

var (
	novStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	novEnd   = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
)

func nov(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, time.UTC) }

// seedTenant claims a tenant and gives it subscriptions over explicit spans
// (pairs of start, end; a zero end leaves it open).
func seedTenant(t *testing.T, s *store.Store, slug, plan string, spans ...time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := s.ClaimTenant(ctx, store.TenantSpec{Slug: slug, DisplayName: slug, Plan: plan, Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(spans); i += 2 {
		var end *time.Time
		if !spans[i+1].IsZero() {
			end = &spans[i+1]
		}
		if _, err := s.Pool.Exec(ctx, `INSERT INTO rigger.subscriptions (tenant_slug, plan_id, started_at, ended_at) VALUES ($1, $2, $3, $4)`,
			slug, plan, spans[i], end); err != nil {
			t.Fatal(err)
		}
	}
}

func sampleInvoice(tenant string) store.Invoice {
	return store.Invoice{Tenant: tenant, Period: "2026-11", Currency: "USD", SubtotalMinor: 51900, TotalMinor: 51900,
		Lines: []store.InvoiceLine{
			{Kind: "base", Description: "Team plan", PlanID: "team", From: novStart, To: novEnd, Days: 30, PeriodDays: 30,
				Quantity: 1, UnitPriceMinor: 49900, AmountMinor: 49900},
			{Kind: "usage", Description: "Scaffolder runs", PlanID: "team", Metric: "scaffolder_runs", From: novStart, To: novEnd,
				Days: 30, PeriodDays: 30, Used: 1200, Included: 1000, Quantity: 200, UnitPriceMinor: 10, AmountMinor: 2000},
		}}
}

func TestCreateInvoiceOncePerPeriod(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	seedTenant(t, s, "acme", "team", novStart, time.Time{})

	first, created, err := s.CreateInvoice(ctx, sampleInvoice("acme"))
	if err != nil || !created || first.ID == "" || first.Status != store.InvoiceIssued || first.CreatedAt.IsZero() {
		t.Fatalf("create: %+v created=%v err=%v", first, created, err)
	}
	// A second run that computed something else still gets the first
	// invoice back, unchanged.
	other := sampleInvoice("acme")
	other.Lines = other.Lines[:1]
	other.SubtotalMinor, other.TotalMinor = 49900, 49900
	again, created, err := s.CreateInvoice(ctx, other)
	if err != nil || created || again.ID != first.ID || again.TotalMinor != 51900 || len(again.Lines) != 2 {
		t.Fatalf("second create: %+v created=%v err=%v", again, created, err)
	}
	got, err := s.GetInvoice(ctx, "acme", first.ID)
	if err != nil || len(got.Lines) != 2 || got.Lines[1] != sampleInvoice("acme").Lines[1] {
		t.Fatalf("get: %+v %v", got, err)
	}
	var lines int
	_ = s.Pool.QueryRow(ctx, `SELECT count(*) FROM rigger.invoice_lines`).Scan(&lines)
	if lines != 2 {
		t.Fatalf("%d lines stored", lines)
	}
}

func TestCreateInvoiceConcurrently(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	seedTenant(t, s, "race", "team", novStart, time.Time{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids, createdN := map[string]bool{}, 0
	for range 8 {
		wg.Go(func() {
			inv, created, err := s.CreateInvoice(ctx, sampleInvoice("race"))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			ids[inv.ID] = true
			if created {
				createdN++
			}
		})
	}
	wg.Wait()
	if len(ids) != 1 || createdN != 1 {
		t.Fatalf("ids %v, created %d times", ids, createdN)
	}
}

func TestCreateInvoiceRejectsBadInvoices(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	seedTenant(t, s, "acme", "team", novStart, time.Time{})
	wrongSum := sampleInvoice("acme")
	wrongSum.SubtotalMinor++
	if _, _, err := s.CreateInvoice(ctx, wrongSum); !errors.Is(err, store.ErrInvalidInvoice) {
		t.Fatalf("wrong subtotal: %v", err)
	}
	wrongLine := sampleInvoice("acme")
	wrongLine.Lines[1].Quantity = 201 // 201 × 10 ≠ 2000: the table's CHECK refuses it
	if _, _, err := s.CreateInvoice(ctx, wrongLine); err == nil {
		t.Fatal("line with wrong arithmetic stored")
	}
	// The failed transaction left nothing behind: the good invoice is new.
	if _, created, err := s.CreateInvoice(ctx, sampleInvoice("acme")); err != nil || !created {
		t.Fatalf("after failures: created=%v err=%v", created, err)
	}
	if _, _, err := s.CreateInvoice(ctx, sampleInvoice("ghost")); err == nil {
		t.Fatal("invoice for an unknown tenant stored")
	}
}

func TestInvoicesAreTenantScoped(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	seedTenant(t, s, "acme", "team", novStart, time.Time{})
	seedTenant(t, s, "beta", "team", novStart, time.Time{})
	a, _, err := s.CreateInvoice(ctx, sampleInvoice("acme"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetInvoice(ctx, "beta", a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("beta reads acme's invoice: %v", err)
	}
	if _, err := s.GetInvoice(ctx, "acme", "not-an-id"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	if err := s.SetInvoiceRendered(ctx, "beta", a.ID, "x", "y"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("beta renders acme's invoice: %v", err)
	}
	if _, err := s.MarkInvoiceNotified(ctx, "beta", a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("beta notifies acme's invoice: %v", err)
	}
	if list, err := s.ListInvoices(ctx, "beta"); err != nil || len(list) != 0 {
		t.Fatalf("beta's list: %+v %v", list, err)
	}
	oct := sampleInvoice("acme")
	oct.Period = "2026-10"
	if _, _, err := s.CreateInvoice(ctx, oct); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListInvoices(ctx, "acme")
	if err != nil || len(list) != 2 || list[0].Period != "2026-11" || list[1].Period != "2026-10" || list[0].Lines != nil {
		t.Fatalf("acme's list: %+v %v", list, err)
	}
}

func TestInvoiceRenderedAndNotified(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	seedTenant(t, s, "acme", "team", novStart, time.Time{})
	inv, _, err := s.CreateInvoice(ctx, sampleInvoice("acme"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetInvoiceRendered(ctx, "acme", inv.ID, "invoices/2026-11/a.json", "invoices/2026-11/a.html"); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		if set, err := s.MarkInvoiceNotified(ctx, "acme", inv.ID); err != nil || set != want {
			t.Fatalf("notify #%d: %v %v", i, set, err)
		}
	}
	got, _ := s.GetInvoice(ctx, "acme", inv.ID)
	if got.RenderedJSONKey != "invoices/2026-11/a.json" || got.RenderedHTMLKey != "invoices/2026-11/a.html" || got.NotifiedAt == nil {
		t.Fatalf("%+v", got)
	}
}

func TestBillableTenantsAndSubscriptions(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	oct1 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	seedTenant(t, s, "all-month", "team", oct1, time.Time{})
	seedTenant(t, s, "joined", "team", nov(17, 10), time.Time{})
	seedTenant(t, s, "left", "team", oct1, nov(20, 12))
	seedTenant(t, s, "left-before", "team", oct1, novStart) // ended exactly at the start
	seedTenant(t, s, "joins-later", "team", novEnd, time.Time{})
	seedTenant(t, s, "empty-span", "team", nov(3, 0), nov(3, 0))
	seedTenant(t, s, "no-sub", "team")
	seedTenant(t, s, "ghost", "team", oct1, time.Time{}) // deleted in October, subscription left open
	if _, err := s.Pool.Exec(ctx, `UPDATE rigger.tenants SET status = 'deleted', updated_at = $1 WHERE slug = 'ghost'`, oct1.AddDate(0, 0, 5)); err != nil {
		t.Fatal(err)
	}
	got, err := s.BillableTenants(ctx, novStart, novEnd, "", 0)
	if want := []string{"all-month", "joined", "left"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("billable = %v %v, want %v", got, err, want)
	}
	page, err := s.BillableTenants(ctx, novStart, novEnd, "all-month", 1)
	if err != nil || !slices.Equal(page, []string{"joined"}) {
		t.Fatalf("page = %v %v", page, err)
	}

	// An upgrade is one subscription ended and the next one opened.
	seedTenant(t, s, "upgrader", "team", oct1, nov(15, 10))
	if _, err := s.Pool.Exec(ctx, `INSERT INTO rigger.subscriptions (tenant_slug, plan_id, started_at) VALUES ('upgrader', 'enterprise', $1)`, nov(15, 10)); err != nil {
		t.Fatal(err)
	}
	subs, err := s.SubscriptionsInPeriod(ctx, "upgrader", novStart, novEnd)
	if err != nil || len(subs) != 2 {
		t.Fatalf("subs = %+v %v", subs, err)
	}
	if subs[0].Plan != "team" || subs[0].BasePriceMinor != 49900 || subs[0].Included["scaffolder_runs"] != 1000 ||
		subs[0].OverageMinor["seats"] != 900 || subs[0].Currency != "USD" || subs[0].PlanName != "Team" {
		t.Fatalf("team subscription: %+v", subs[0])
	}
	if subs[1].Plan != "enterprise" || subs[1].EndedAt != nil {
		t.Fatalf("enterprise subscription: %+v", subs[1])
	}
}

func TestUsageByDay(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	seedTenant(t, s, "acme", "team", novStart, time.Time{})
	cet := time.FixedZone("CET", 3600)
	for i, e := range []struct {
		at time.Time
		q  int64
	}{
		{nov(2, 1), 3}, {nov(2, 23), 4},
		{time.Date(2026, 11, 3, 0, 30, 0, 0, cet), 5}, // 23:30 UTC on the 2nd
		{nov(3, 0), 1},
		{novEnd, 100}, // next period
	} {
		ev := store.UsageEvent{ID: "e" + string(rune('a'+i)), Tenant: "acme", Metric: store.MetricScaffolderRuns, Quantity: e.q, OccurredAt: e.at}
		if _, err := s.RecordUsage(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.UsageByDay(ctx, "acme", novStart, novEnd)
	want := []store.DailyUsage{{nov(2, 0), store.MetricScaffolderRuns, 12}, {nov(3, 0), store.MetricScaffolderRuns, 1}}
	if err != nil || !slices.EqualFunc(got, want, func(a, b store.DailyUsage) bool {
		return a.Day.Equal(b.Day) && a.Day.Location() == time.UTC && a.Metric == b.Metric && a.Quantity == b.Quantity
	}) {
		t.Fatalf("usage = %+v %v", got, err)
	}
}
