package billing

import (
	"context"
	"log/slog"

	"github.com/rigger-platform/rigger/internal/billing"
	"github.com/rigger-platform/rigger/internal/store"
)

type WriteInvoiceInput struct {
	Invoice billing.Invoice
}

type WriteInvoiceResult struct {
	InvoiceID string
	// Created is true when this call stored the invoice; a retry, or a
	// second cycle for the period, gets the existing ID and false.
	Created bool
}

// BillingWriteInvoice stores the invoice with its lines in one transaction,
// once per tenant and period. An invoice already written for the period wins
// and is returned as it is: an issued invoice is never rewritten.
func (a *Activities) BillingWriteInvoice(ctx context.Context, in WriteInvoiceInput) (WriteInvoiceResult, error) {
	inv := in.Invoice
	if err := checkSlug(inv.Tenant); err != nil {
		return WriteInvoiceResult{}, err
	}
	if err := inv.Validate(); err != nil {
		return WriteInvoiceResult{}, nonRetryable(ErrTypeInvalidInvoice, err)
	}
	if a.Store == nil {
		return WriteInvoiceResult{}, notConfigured("store")
	}
	got, created, err := a.Store.CreateInvoice(ctx, storeInvoice(inv))
	if err != nil {
		return WriteInvoiceResult{}, storeError(err)
	}
	if !created && got.TotalMinor != inv.TotalMinor {
		// Usage recorded after the first write, or a changed plan. The
		// issued invoice stands; an operator decides about a correction.
		slog.WarnContext(ctx, "billing: recomputed invoice differs from the issued one",
			"tenant", inv.Tenant, "period", inv.Period, "invoice", got.ID, "issued_total_minor", got.TotalMinor, "recomputed_total_minor", inv.TotalMinor)
	}
	return WriteInvoiceResult{InvoiceID: got.ID, Created: created}, nil
}

func storeInvoice(inv billing.Invoice) store.Invoice {
	out := store.Invoice{Tenant: inv.Tenant, Period: inv.Period, Currency: inv.Currency,
		SubtotalMinor: inv.SubtotalMinor, TotalMinor: inv.TotalMinor, Lines: make([]store.InvoiceLine, len(inv.Lines))}
	for i, l := range inv.Lines {
		out.Lines[i] = store.InvoiceLine{Kind: l.Kind, Description: l.Description, PlanID: l.PlanID, Metric: l.Metric,
			From: l.From, To: l.To, Days: l.Days, PeriodDays: l.PeriodDays, Used: l.Used, Included: l.Included,
			Quantity: l.Quantity, UnitPriceMinor: l.UnitPriceMinor, AmountMinor: l.AmountMinor}
	}
	return out
}
