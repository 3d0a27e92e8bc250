package billing

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/billing"
	"github.com/rigger-platform/rigger/internal/store"
)

// runCycle is what the TenantInvoice workflow will do for each tenant,
// calling the activities directly.
func runCycle(t *testing.T, a *Activities) map[string]WriteInvoiceResult {
	t.Helper()
	ctx := context.Background()
	list, err := a.BillingListTenants(ctx, ListTenantsInput{Period: period})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]WriteInvoiceResult{}
	for _, slug := range list.Tenants {
		c, err := a.BillingComputeInvoice(ctx, ComputeInvoiceInput{Tenant: slug, Period: period})
		if err != nil {
			t.Fatalf("%s: compute: %v", slug, err)
		}
		w, err := a.BillingWriteInvoice(ctx, WriteInvoiceInput{Invoice: c.Invoice})
		if err != nil {
			t.Fatalf("%s: write: %v", slug, err)
		}
		if _, err := a.BillingRenderInvoice(ctx, RenderInvoiceInput{Tenant: slug, InvoiceID: w.InvoiceID}); err != nil {
			t.Fatalf("%s: render: %v", slug, err)
		}
		if _, err := a.BillingNotify(ctx, NotifyInput{Tenant: slug, InvoiceID: w.InvoiceID}); err != nil {
			t.Fatalf("%s: notify: %v", slug, err)
		}
		out[slug] = w
	}
	return out
}

func TestBillingSequenceTwiceIsOnce(t *testing.T) {
	ctx := context.Background()
	a := newActivities(t)
	s := a.Store
	sep1 := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	addTenant(t, s, "acme", "Acme", span{"team", sep1, time.Time{}})
	addTenant(t, s, "beta", "Beta", span{"team", sep1, oct(16, 10)}, span{"enterprise", oct(16, 10), time.Time{}})
	addTenant(t, s, "gamma", "Gamma", span{"free", oct(20, 15), time.Time{}})
	addTenant(t, s, "later", "Later", span{"team", oct(31, 0).AddDate(0, 0, 1), time.Time{}}) // joins in November
	addUsage(t, s, "acme", store.MetricScaffolderRuns, 100, 12, 1, 31)                        // 1200 runs
	addUsage(t, s, "beta", store.MetricScaffolderRuns, 100, 10, 1, 10)                        // 1000 runs, all on team
	addUsage(t, s, "beta", store.MetricSeats, 1, 520, 20, 20)                                 // on enterprise
	addUsage(t, s, "gamma", store.MetricAPICalls, 100, 1000, 20, 31)                          // free: no charge

	var mu sync.Mutex
	deliveries := map[string]int{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := VerifySignature([]byte("s3cret"), r.Header.Get(SignatureHeader), body, time.Now(), time.Minute); err != nil {
			t.Errorf("signature: %v", err)
		}
		mu.Lock()
		deliveries[r.Header.Get(DeliveryHeader)]++
		mu.Unlock()
	}))
	defer hook.Close()
	a.WebhookURL, a.WebhookSecret, a.HTTP = hook.URL, []byte("s3cret"), hook.Client()

	first := runCycle(t, a)
	if got := slices.Sorted(maps.Keys(first)); !slices.Equal(got, []string{"acme", "beta", "gamma"}) {
		t.Fatalf("billed %v", got)
	}
	totals := map[string]int64{}
	for slug, w := range first {
		if !w.Created {
			t.Errorf("%s: first run did not create", slug)
		}
		inv, err := s.GetInvoice(ctx, slug, w.InvoiceID)
		if err != nil {
			t.Fatal(err)
		}
		totals[slug] = inv.TotalMinor
		if inv.NotifiedAt == nil || inv.RenderedHTMLKey == "" {
			t.Errorf("%s: not rendered or notified: %+v", slug, inv)
		}
	}
	// acme: team all month, 1200 runs (1000 included, 10¢ each).
	// beta: team 15/31 days = 24145.16 → 24145 with 484 runs included, so
	// 516 × 10; enterprise 16/31 = 154787.10 → 154787, 520 seats > 258.
	// gamma: free, 12 days.
	want := map[string]int64{"acme": 49900 + 200*10, "beta": 24145 + 516*10 + 154787 + (520-258)*700, "gamma": 0}
	if !maps.Equal(totals, want) {
		t.Fatalf("totals %v, want %v", totals, want)
	}

	// Usage arriving late does not change an issued invoice.
	addUsage(t, s, "acme", store.MetricSeats, 1, 999, 5, 5)
	objects := snapshot(t, a.Objects)
	second := runCycle(t, a)
	for slug, w := range second {
		if w.Created || w.InvoiceID != first[slug].InvoiceID {
			t.Errorf("%s: second run %+v, first %+v", slug, w, first[slug])
		}
		inv, _ := s.GetInvoice(ctx, slug, w.InvoiceID)
		if inv.TotalMinor != totals[slug] {
			t.Errorf("%s: total changed %d → %d", slug, totals[slug], inv.TotalMinor)
		}
	}
	var invoices, lines int
	_ = s.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM rigger.invoices), (SELECT count(*) FROM rigger.invoice_lines)`).Scan(&invoices, &lines)
	if invoices != 3 {
		t.Fatalf("%d invoices", invoices)
	}
	if after := snapshot(t, a.Objects); !maps.Equal(after, objects) || len(after) != 6 {
		t.Fatalf("stored objects changed or missing: %d before, %d after", len(objects), len(after))
	}
	for slug, w := range first {
		if deliveries[w.InvoiceID] != 1 {
			t.Errorf("%s: %d webhook deliveries", slug, deliveries[w.InvoiceID])
		}
	}
}

func snapshot(t *testing.T, s storage.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	objs, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, o := range objs {
		r, err := s.Get(ctx, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		out[o.Key] = string(b)
	}
	return out
}

func TestTenantDaysMetricMatchesStore(t *testing.T) {
	if billing.MetricTenantDays != store.MetricTenantDays {
		t.Fatal("billing and store disagree on the tenant-days metric name")
	}
}
