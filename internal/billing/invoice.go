package billing

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidInvoice is returned by Invoice.Validate.
var ErrInvalidInvoice = errors.New("billing: invalid invoice")

// Line kinds.
const (
	LineBase  = "base"  // a plan's (prorated) monthly fee
	LineUsage = "usage" // one metric of one segment: used, included, overage
)

// Line is one row of an invoice. For every line
// AmountMinor = Quantity × UnitPriceMinor exactly, so a reader can check it:
// a base line has Quantity 1 and the prorated fee as its unit price; a usage
// line bills the Quantity used beyond Included at the plan's overage rate.
type Line struct {
	Kind           string
	Description    string
	PlanID         string
	Metric         string    // empty for base lines
	From           time.Time // segment start
	To             time.Time // segment end (exclusive)
	Days           int       // days of the segment
	PeriodDays     int       // days of the period (the proration denominator)
	Used           int64     // usage lines: quantity used in the segment
	Included       int64     // usage lines: prorated included quantity
	Quantity       int64
	UnitPriceMinor int64
	AmountMinor    int64
}

// Invoice is a priced period for one tenant. It carries no ID or timestamps:
// it is a pure function of subscriptions and usage, so recomputing it gives
// the same value, and the store gives it its identity.
type Invoice struct {
	Tenant        string
	Period        string // "YYYY-MM"
	Currency      string
	Lines         []Line
	SubtotalMinor int64
	TotalMinor    int64
}

// Validate checks the arithmetic and the identifiers, so that an invoice
// arriving from elsewhere (an activity input) is what Price would produce.
func (inv Invoice) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidInvoice, fmt.Sprintf(format, a...))
	}
	if inv.Tenant == "" {
		return bad("empty tenant")
	}
	if _, err := ParsePeriod(inv.Period); err != nil {
		return bad("%v", err)
	}
	if _, err := LookupCurrency(inv.Currency); err != nil {
		return bad("%v", err)
	}
	var sum int64
	for i, l := range inv.Lines {
		if l.Kind != LineBase && l.Kind != LineUsage {
			return bad("line %d: unknown kind %q", i, l.Kind)
		}
		amount, err := mul(l.Quantity, l.UnitPriceMinor)
		if err != nil || amount != l.AmountMinor {
			return bad("line %d: %d × %d ≠ %d", i, l.Quantity, l.UnitPriceMinor, l.AmountMinor)
		}
		if sum, err = add(sum, l.AmountMinor); err != nil {
			return bad("subtotal: %v", err)
		}
	}
	if sum != inv.SubtotalMinor || inv.TotalMinor != inv.SubtotalMinor {
		return bad("lines sum to %d, subtotal %d, total %d", sum, inv.SubtotalMinor, inv.TotalMinor)
	}
	return nil
}
