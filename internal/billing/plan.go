package billing

import (
	"errors"
	"fmt"
)

// ErrInvalidPlan is returned for a plan that cannot price anything sensibly.
var ErrInvalidPlan = errors.New("billing: invalid plan")

// Plan is a price list: a monthly base fee, quantities per metric included
// each month, and the price of each unit beyond them. Prices are in minor
// units of Currency. A metric the plan does not mention is free.
type Plan struct {
	ID             string
	Name           string
	Currency       string
	BasePriceMinor int64
	Included       map[string]int64
	OverageMinor   map[string]int64
}

// Validate checks what pricing relies on: a known currency and no negative
// numbers (a negative price would be a credit, which needs its own design).
func (p Plan) Validate() error {
	if p.ID == "" {
		return fmt.Errorf("%w: empty id", ErrInvalidPlan)
	}
	if _, err := LookupCurrency(p.Currency); err != nil {
		return fmt.Errorf("%w %q: %w", ErrInvalidPlan, p.ID, err)
	}
	if p.BasePriceMinor < 0 {
		return fmt.Errorf("%w %q: negative base price", ErrInvalidPlan, p.ID)
	}
	for _, m := range []map[string]int64{p.Included, p.OverageMinor} {
		for metric, v := range m {
			if v < 0 {
				return fmt.Errorf("%w %q: negative value for %s", ErrInvalidPlan, p.ID, metric)
			}
		}
	}
	return nil
}

// DisplayName is the name shown on invoices.
func (p Plan) DisplayName() string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID
}
