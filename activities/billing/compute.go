package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rigger-platform/rigger/internal/billing"
	"github.com/rigger-platform/rigger/internal/store"
)

type ComputeInvoiceInput struct {
	Tenant string
	Period string // "YYYY-MM"
}

type ComputeInvoiceResult struct {
	Invoice billing.Invoice
}

// BillingComputeInvoice prices the tenant's period from its subscriptions
// and usage events. It only reads, so it can run any number of times. It
// refuses a month that has not ended: its usage is still arriving, and the
// invoice written from it would be final.
func (a *Activities) BillingComputeInvoice(ctx context.Context, in ComputeInvoiceInput) (ComputeInvoiceResult, error) {
	if err := checkSlug(in.Tenant); err != nil {
		return ComputeInvoiceResult{}, err
	}
	p, err := billing.ParsePeriod(in.Period)
	if err != nil {
		return ComputeInvoiceResult{}, nonRetryable(ErrTypeInvalidPeriod, err)
	}
	if time.Now().Before(p.End()) {
		return ComputeInvoiceResult{}, nonRetryable(ErrTypePeriodOpen, fmt.Errorf("billing: period %s has not ended", p))
	}
	if a.Store == nil {
		return ComputeInvoiceResult{}, notConfigured("store")
	}
	subs, err := a.Store.SubscriptionsInPeriod(ctx, in.Tenant, p.Start(), p.End())
	if err != nil {
		return ComputeInvoiceResult{}, storeError(err)
	}
	days, err := a.Store.UsageByDay(ctx, in.Tenant, p.Start(), p.End())
	if err != nil {
		return ComputeInvoiceResult{}, storeError(err)
	}
	inv, err := billing.Price(billing.Input{Tenant: in.Tenant, Period: p, Subscriptions: pricingSubs(subs), Usage: pricingUsage(days)})
	switch {
	case errors.Is(err, billing.ErrNoSubscription):
		return ComputeInvoiceResult{}, nonRetryable(ErrTypeNoSubscription, err)
	case err != nil:
		// Pricing is a pure function of what the store holds: only a
		// change to the plans or the usage can make it succeed.
		return ComputeInvoiceResult{}, nonRetryable(ErrTypeInvalidPricing, err)
	}
	return ComputeInvoiceResult{Invoice: inv}, nil
}

func pricingSubs(subs []store.PlanSubscription) []billing.Subscription {
	out := make([]billing.Subscription, len(subs))
	for i, s := range subs {
		out[i] = billing.Subscription{
			Plan: billing.Plan{ID: s.Plan, Name: s.PlanName, Currency: s.Currency, BasePriceMinor: s.BasePriceMinor,
				Included: s.Included, OverageMinor: s.OverageMinor},
			Start: s.StartedAt,
		}
		if s.EndedAt != nil {
			out[i].End = *s.EndedAt
		}
	}
	return out
}

func pricingUsage(days []store.DailyUsage) []billing.Usage {
	out := make([]billing.Usage, len(days))
	for i, d := range days {
		out[i] = billing.Usage{Day: d.Day, Metric: d.Metric, Quantity: d.Quantity}
	}
	return out
}
