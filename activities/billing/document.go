package billing

import (
	"time"

	"github.com/rigger-platform/rigger/internal/billing"
	"github.com/rigger-platform/rigger/internal/store"
)

// Document is the rendered invoice, the JSON stored in the tenant's storage
// and the data of the HTML template. It holds only what the store holds
// (nothing about when it was rendered), so re-rendering produces the same
// bytes. Amounts are integer minor units, with exact decimal strings next to
// them for readers that would otherwise reach for floats.
type Document struct {
	Version          int            `json:"version"`
	ID               string         `json:"id"`
	Tenant           string         `json:"tenant"`
	TenantName       string         `json:"tenantName"`
	Period           string         `json:"period"`
	PeriodStart      time.Time      `json:"periodStart"`
	PeriodEnd        time.Time      `json:"periodEnd"`
	Currency         string         `json:"currency"`
	CurrencyExponent int            `json:"currencyExponent"`
	Status           string         `json:"status"`
	IssuedAt         time.Time      `json:"issuedAt"`
	Lines            []DocumentLine `json:"lines"`
	SubtotalMinor    int64          `json:"subtotalMinor"`
	TotalMinor       int64          `json:"totalMinor"`
	Subtotal         string         `json:"subtotal"`
	Total            string         `json:"total"`
}

// DocumentLine is one invoice line as published.
type DocumentLine struct {
	Kind           string    `json:"kind"`
	Description    string    `json:"description"`
	Plan           string    `json:"plan"`
	Metric         string    `json:"metric,omitempty"`
	From           time.Time `json:"from"`
	To             time.Time `json:"to"`
	Days           int       `json:"days"`
	PeriodDays     int       `json:"periodDays"`
	Used           int64     `json:"used"`
	Included       int64     `json:"included"`
	Quantity       int64     `json:"quantity"`
	UnitPriceMinor int64     `json:"unitPriceMinor"`
	AmountMinor    int64     `json:"amountMinor"`
	UnitPrice      string    `json:"unitPrice"`
	Amount         string    `json:"amount"`
}

func newDocument(inv store.Invoice, tenantName string) (Document, error) {
	p, err := billing.ParsePeriod(inv.Period)
	if err != nil {
		return Document{}, err
	}
	cur, err := billing.LookupCurrency(inv.Currency)
	if err != nil {
		return Document{}, err
	}
	d := Document{
		Version: 1, ID: inv.ID, Tenant: inv.Tenant, TenantName: tenantName, Period: inv.Period,
		PeriodStart: p.Start(), PeriodEnd: p.End(), Currency: cur.Code, CurrencyExponent: cur.Exponent,
		Status: inv.Status, IssuedAt: inv.CreatedAt.UTC().Truncate(time.Second),
		SubtotalMinor: inv.SubtotalMinor, TotalMinor: inv.TotalMinor,
		Subtotal: cur.Decimal(inv.SubtotalMinor), Total: cur.Decimal(inv.TotalMinor),
		Lines: make([]DocumentLine, len(inv.Lines)),
	}
	for i, l := range inv.Lines {
		d.Lines[i] = DocumentLine{Kind: l.Kind, Description: l.Description, Plan: l.PlanID, Metric: l.Metric,
			From: l.From.UTC(), To: l.To.UTC(), Days: l.Days, PeriodDays: l.PeriodDays, Used: l.Used, Included: l.Included,
			Quantity: l.Quantity, UnitPriceMinor: l.UnitPriceMinor, AmountMinor: l.AmountMinor,
			UnitPrice: cur.Decimal(l.UnitPriceMinor), Amount: cur.Decimal(l.AmountMinor)}
	}
	return d, nil
}
