package billing

import (
	"context"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/internal/billing"
)

func TestActivitiesRejectBadInput(t *testing.T) {
	ctx := context.Background()
	a := newActivities(t)
	addTenant(t, a.Store, "acme", "Acme", span{"team", oct(1, 0), time.Time{}})
	addTenant(t, a.Store, "gone", "Gone", span{"team", oct(1, 0).AddDate(0, -2, 0), oct(1, 0)})

	_, err := a.BillingListTenants(ctx, ListTenantsInput{Period: "2026-13"})
	appErr(t, err, ErrTypeInvalidPeriod, true)
	_, err = a.BillingComputeInvoice(ctx, ComputeInvoiceInput{Tenant: "Not A Slug", Period: period})
	appErr(t, err, ErrTypeInvalidSlug, true)
	_, err = a.BillingComputeInvoice(ctx, ComputeInvoiceInput{Tenant: "acme", Period: "October"})
	appErr(t, err, ErrTypeInvalidPeriod, true)
	_, err = a.BillingComputeInvoice(ctx, ComputeInvoiceInput{Tenant: "acme", Period: billing.PeriodOf(time.Now()).String()})
	appErr(t, err, ErrTypePeriodOpen, true)
	_, err = a.BillingComputeInvoice(ctx, ComputeInvoiceInput{Tenant: "gone", Period: period})
	appErr(t, err, ErrTypeNoSubscription, true)

	c, err := a.BillingComputeInvoice(ctx, ComputeInvoiceInput{Tenant: "acme", Period: period})
	if err != nil {
		t.Fatal(err)
	}
	tampered := c.Invoice
	tampered.TotalMinor, tampered.SubtotalMinor = 1, 1
	_, err = a.BillingWriteInvoice(ctx, WriteInvoiceInput{Invoice: tampered})
	appErr(t, err, ErrTypeInvalidInvoice, true)
	stranger := c.Invoice
	stranger.Tenant = "stranger" // valid slug, no such tenant: the foreign key refuses it
	_, err = a.BillingWriteInvoice(ctx, WriteInvoiceInput{Invoice: stranger})
	appErr(t, err, ErrTypeInvalidInvoice, true)
	_, err = a.BillingRenderInvoice(ctx, RenderInvoiceInput{Tenant: "acme", InvoiceID: "inv_missing"})
	appErr(t, err, ErrTypeInvoiceNotFound, true)

	_, err = (&Activities{}).BillingListTenants(ctx, ListTenantsInput{Period: period})
	appErr(t, err, ErrTypeNotConfigured, true)

	// A lost database is worth retrying.
	down := newActivities(t)
	down.Store.Close()
	_, err = down.BillingComputeInvoice(ctx, ComputeInvoiceInput{Tenant: "acme", Period: period})
	appErr(t, err, ErrTypeStoreUnavailable, false)
}

func TestListTenantsPages(t *testing.T) {
	ctx := context.Background()
	a := newActivities(t)
	for _, slug := range []string{"t-a", "t-b", "t-c"} {
		addTenant(t, a.Store, slug, slug, span{"free", oct(1, 0), time.Time{}})
	}
	var got []string
	in := ListTenantsInput{Period: period, Limit: 2}
	for {
		page, err := a.BillingListTenants(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page.Tenants...)
		if page.Next == "" {
			break
		}
		in.After = page.Next
	}
	if len(got) != 3 || got[2] != "t-c" {
		t.Fatalf("paged %v", got)
	}
}
