package billing

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rigger-platform/rigger/internal/store"
)

const (
	benchTenants = 1000
	benchEvents  = 100 // per tenant
)

// seedBench loads the tenants, their subscriptions (every tenth upgrades
// mid-month) and their usage events with COPY, so seeding stays out of the
// way of the figures.
func seedBench(b *testing.B, s *store.Store) {
	ctx := context.Background()
	plans := []string{"free", "team", "enterprise"}
	metrics := []string{store.MetricSeats, store.MetricScaffolderRuns, store.MetricTechDocsBuildMinutes, store.MetricAITokens, store.MetricAPICalls}
	var tenants, subs, events [][]any
	for i := range benchTenants {
		slug := fmt.Sprintf("bench-%04d", i)
		plan := plans[i%len(plans)]
		tenants = append(tenants, []any{slug, slug, plan, "owner", store.StatusActive})
		if i%10 == 0 {
			end := oct(16, 10)
			subs = append(subs, []any{slug, "team", oct(1, 0).AddDate(0, -1, 0), &end}, []any{slug, "enterprise", end, nil})
		} else {
			subs = append(subs, []any{slug, plan, oct(1, 0).AddDate(0, -1, 0), nil})
		}
		for j := range benchEvents {
			events = append(events, []any{fmt.Sprintf("%s/%d", slug, j), slug, metrics[j%len(metrics)], int64(1 + j%50), oct(1+j%31, j%24)})
		}
	}
	for _, c := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"tenants", []string{"slug", "display_name", "plan_id", "owner", "status"}, tenants},
		{"subscriptions", []string{"tenant_slug", "plan_id", "started_at", "ended_at"}, subs},
		{"usage_events", []string{"id", "tenant_slug", "metric", "quantity", "occurred_at"}, events},
	} {
		if _, err := s.Pool.CopyFrom(ctx, pgx.Identifier{"rigger", c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.Pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

// billAll computes and writes every billable tenant's invoice with the given
// number of concurrent callers (as the cycle's bounded child workflows
// would), returning how many were created and the mean latency of one
// compute and one write call.
func billAll(b *testing.B, a *Activities, workers int) (int64, time.Duration, time.Duration) {
	ctx := context.Background()
	list, err := a.BillingListTenants(ctx, ListTenantsInput{Period: period})
	if err != nil {
		b.Fatal(err)
	}
	if len(list.Tenants) != benchTenants {
		b.Fatalf("%d billable tenants", len(list.Tenants))
	}
	work := make(chan string)
	var created, computeNs, writeNs atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for slug := range work {
				t0 := time.Now()
				c, err := a.BillingComputeInvoice(ctx, ComputeInvoiceInput{Tenant: slug, Period: period})
				if err != nil {
					b.Error(err)
					continue
				}
				t1 := time.Now()
				w, err := a.BillingWriteInvoice(ctx, WriteInvoiceInput{Invoice: c.Invoice})
				computeNs.Add(int64(t1.Sub(t0)))
				writeNs.Add(int64(time.Since(t1)))
				if err != nil {
					b.Error(err)
					continue
				}
				if w.Created {
					created.Add(1)
				}
			}
		})
	}
	for _, slug := range list.Tenants {
		work <- slug
	}
	close(work)
	wg.Wait()
	return created.Load(), time.Duration(computeNs.Load() / benchTenants), time.Duration(writeNs.Load() / benchTenants)
}

// BenchmarkComputeAndWrite bills 1,000 tenants × 100 usage events (list,
// compute, write; direct activity calls, no Temporal) and reports
// invoices/second, first for a fresh period and then for a re-run of the
// same period, which must create nothing.
func BenchmarkComputeAndWrite(b *testing.B) {
	a := newActivities(b)
	seedBench(b, a.Store)
	for _, workers := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			var fresh, rerun, compute, write time.Duration
			for range b.N {
				b.StopTimer()
				if _, err := a.Store.Pool.Exec(context.Background(), `TRUNCATE rigger.invoices CASCADE`); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				n, c, w := billAll(b, a, workers)
				if n != benchTenants {
					b.Fatalf("created %d invoices", n)
				}
				fresh += time.Since(start)
				compute, write = c, w
				start = time.Now()
				if n, _, _ := billAll(b, a, workers); n != 0 {
					b.Fatalf("re-run created %d invoices", n)
				}
				rerun += time.Since(start)
			}
			perSec := float64(benchTenants*b.N) / fresh.Seconds()
			b.ReportMetric(perSec, "invoices/s")
			b.ReportMetric(float64(benchTenants*b.N)/rerun.Seconds(), "rerun-invoices/s")
			fmt.Printf("billing compute+write, %d tenants × %d events, %2d workers: %6.0f invoices/s (%.2fs per cycle; per call: compute %v, write %v); re-run of the period: %6.0f invoices/s, 0 created\n",
				benchTenants, benchEvents, workers, perSec, fresh.Seconds()/float64(b.N), compute.Round(time.Microsecond), write.Round(time.Microsecond),
				float64(benchTenants*b.N)/rerun.Seconds())
		})
	}
}
