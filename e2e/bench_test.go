package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/activities/tenantdb"
)

const benchTenants = 50

// BenchmarkOnboarding50Concurrent onboards 50 tenants at once through the
// API on the dev stack (dev defaults: PostgreSQL and local storage), and
// compares the wall time with the same PostgreSQL DDL run directly.
func BenchmarkOnboarding50Concurrent(b *testing.B) {
	for i := 0; i < b.N; i++ {
		p := newPlatform(b, platformOptions{devDefaults: true})
		slugs := make([]string, benchTenants)
		for j := range slugs {
			slugs[j] = fmt.Sprintf("bench-%d-%d", i, j)
		}
		start := time.Now()
		var wg sync.WaitGroup
		for _, slug := range slugs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code := p.call("POST", "/v1/tenants", onboardRequest(slug), nil); code != http.StatusAccepted {
					b.Errorf("POST %s = %d", slug, code)
				}
			}()
		}
		wg.Wait()
		for _, slug := range slugs {
			p.waitStatus(slug, "active", 5*time.Minute)
		}
		temporalWall := time.Since(start)

		// The same schema + role DDL, concurrently, without Temporal.
		direct := &tenantdb.Activities{Pool: p.store.Pool, Secrets: p.deps.TenantDB.Secrets, RolePrefix: p.rolePfx + "raw_"}
		defer dropRoles(b, p.rolePfx+"raw_")
		start = time.Now()
		for _, slug := range slugs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := direct.TenantDBCreate(context.Background(), tenantdb.CreateInput{Slug: "raw-" + slug}); err != nil {
					b.Errorf("direct DDL: %v", err)
				}
			}()
		}
		wg.Wait()
		rawWall := time.Since(start)

		b.ReportMetric(float64(benchTenants)/temporalWall.Seconds(), "tenants/s")
		b.ReportMetric(temporalWall.Seconds(), "wall-s")
		b.ReportMetric(rawWall.Seconds(), "raw-ddl-s")
		fmt.Printf("onboarding %d tenants concurrently via API+Temporal: %.2fs (%.1f tenants/s); same PostgreSQL DDL directly: %.2fs (%.1f tenants/s); overhead ratio %.1fx\n",
			benchTenants, temporalWall.Seconds(), benchTenants/temporalWall.Seconds(), rawWall.Seconds(), benchTenants/rawWall.Seconds(), temporalWall.Seconds()/rawWall.Seconds())
	}
}
