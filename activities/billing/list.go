package billing

import (
	"context"

	"github.com/rigger-platform/rigger/internal/billing"
)

type ListTenantsInput struct {
	Period string // "YYYY-MM"
	// After and Limit page through the tenants in slug order, so a cycle
	// over very many tenants never carries them all in one payload. Limit
	// 0 returns every tenant after After.
	After string
	Limit int
}

type ListTenantsResult struct {
	Tenants []string
	// Next is the After of the following page; empty on the last page.
	Next string
}

// BillingListTenants lists the tenants to invoice for the period: those
// with a subscription in force at some moment of it.
func (a *Activities) BillingListTenants(ctx context.Context, in ListTenantsInput) (ListTenantsResult, error) {
	p, err := billing.ParsePeriod(in.Period)
	if err != nil {
		return ListTenantsResult{}, nonRetryable(ErrTypeInvalidPeriod, err)
	}
	if a.Store == nil {
		return ListTenantsResult{}, notConfigured("store")
	}
	tenants, err := a.Store.BillableTenants(ctx, p.Start(), p.End(), in.After, in.Limit)
	if err != nil {
		return ListTenantsResult{}, storeError(err)
	}
	out := ListTenantsResult{Tenants: tenants}
	if in.Limit > 0 && len(tenants) == in.Limit {
		out.Next = tenants[len(tenants)-1]
	}
	return out, nil
}
