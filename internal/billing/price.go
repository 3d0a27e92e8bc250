package billing

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

var (
	// ErrNoSubscription means no subscription covered any day of the
	// period: there is no plan to price with.
	ErrNoSubscription = errors.New("billing: no subscription in the period")
	// ErrMixedCurrency means the period's plans are priced in different
	// currencies; one invoice has one currency.
	ErrMixedCurrency = errors.New("billing: plans in different currencies")
	// ErrInvalidUsage is a usage record outside the period or negative.
	ErrInvalidUsage = errors.New("billing: invalid usage")
)

// Usage is a quantity of a metric on a day; Day may be any instant of that
// UTC day, and several records for the same day and metric add up.
type Usage struct {
	Day      time.Time
	Metric   string
	Quantity int64
}

// Input is everything an invoice depends on.
type Input struct {
	Tenant        string
	Period        Period
	Subscriptions []Subscription
	Usage         []Usage
}

// Price computes the tenant's invoice for the period: per segment, a base
// line and one usage line per metric the plan or the usage mentions (plus
// tenant days), in segment order and then metric name order, so the same
// input always yields the same lines.
func Price(in Input) (Invoice, error) {
	p := in.Period
	segs := Segments(p, in.Subscriptions)
	if len(segs) == 0 {
		return Invoice{}, fmt.Errorf("%w: tenant %s, period %s", ErrNoSubscription, in.Tenant, p)
	}
	cur, err := segmentCurrency(segs)
	if err != nil {
		return Invoice{}, err
	}
	used, err := usageBySegment(p, segs, in.Usage)
	if err != nil {
		return Invoice{}, err
	}
	inv := Invoice{Tenant: in.Tenant, Period: p.String(), Currency: cur.Code}
	for i, seg := range segs {
		used[i][MetricTenantDays] = int64(seg.Days)
		lines, err := segmentLines(p, cur, seg, used[i])
		if err != nil {
			return Invoice{}, err
		}
		inv.Lines = append(inv.Lines, lines...)
	}
	for _, l := range inv.Lines {
		if inv.SubtotalMinor, err = add(inv.SubtotalMinor, l.AmountMinor); err != nil {
			return Invoice{}, err
		}
	}
	inv.TotalMinor = inv.SubtotalMinor
	return inv, nil
}

func segmentCurrency(segs []Segment) (Currency, error) {
	for _, s := range segs {
		if err := s.Plan.Validate(); err != nil {
			return Currency{}, err
		}
		if s.Plan.Currency != segs[0].Plan.Currency {
			return Currency{}, fmt.Errorf("%w: %s (%s) and %s (%s)", ErrMixedCurrency,
				segs[0].Plan.ID, segs[0].Plan.Currency, s.Plan.ID, s.Plan.Currency)
		}
	}
	return LookupCurrency(segs[0].Plan.Currency)
}

// usageBySegment sums usage per segment and metric (attribution rule in the
// package comment). Tenant-days events are dropped: the days come from the
// subscriptions.
func usageBySegment(p Period, segs []Segment, usage []Usage) ([]map[string]int64, error) {
	out := make([]map[string]int64, len(segs))
	for i := range out {
		out[i] = map[string]int64{}
	}
	for _, u := range usage {
		if !p.Contains(u.Day) || u.Quantity < 0 || u.Metric == "" {
			return nil, fmt.Errorf("%w: %s %d on %s for period %s", ErrInvalidUsage, u.Metric, u.Quantity, u.Day.UTC().Format(time.RFC3339), p)
		}
		if u.Metric == MetricTenantDays {
			continue
		}
		day, seg := p.dayIndex(u.Day), 0
		for i, s := range segs {
			if s.First <= day {
				seg = i
			}
		}
		sum, err := add(out[seg][u.Metric], u.Quantity)
		if err != nil {
			return nil, err
		}
		out[seg][u.Metric] = sum
	}
	return out, nil
}

func segmentLines(p Period, cur Currency, seg Segment, used map[string]int64) ([]Line, error) {
	plan, n := seg.Plan, p.Days()
	from, to := seg.From(p), seg.To(p)
	span := spanText(from, to)
	base := prorate(plan.BasePriceMinor, seg.Days, n)
	lines := []Line{{
		Kind: LineBase, PlanID: plan.ID, From: from, To: to, Days: seg.Days, PeriodDays: n,
		Description: fmt.Sprintf("%s plan, %s (%d of %d days of %s)", plan.DisplayName(), span, seg.Days, n, cur.Format(plan.BasePriceMinor)),
		Quantity:    1, UnitPriceMinor: base, AmountMinor: base,
	}}
	// Every metric the plan prices gets a line, used or not, so the
	// invoice shows the allowance as well as the overage.
	metrics := maps.Clone(used)
	for m := range plan.Included {
		metrics[m] += 0
	}
	for m := range plan.OverageMinor {
		metrics[m] += 0
	}
	for _, m := range slices.Sorted(maps.Keys(metrics)) {
		included := prorate(plan.Included[m], seg.Days, n)
		over := max(used[m]-included, 0)
		rate := plan.OverageMinor[m]
		amount, err := mul(over, rate)
		if err != nil {
			return nil, fmt.Errorf("%s of plan %s: %w", m, plan.ID, err)
		}
		lines = append(lines, Line{
			Kind: LineUsage, PlanID: plan.ID, Metric: m, From: from, To: to, Days: seg.Days, PeriodDays: n,
			Description: fmt.Sprintf("%s: %s used, %s included (%s plan, %s)", MetricLabel(m),
				group(fmt.Sprint(used[m])), group(fmt.Sprint(included)), plan.DisplayName(), span),
			Used: used[m], Included: included, Quantity: over, UnitPriceMinor: rate, AmountMinor: amount,
		})
	}
	return lines, nil
}

// spanText is "1–14 Nov 2026" for the days [from, to).
func spanText(from, to time.Time) string {
	last := to.AddDate(0, 0, -1)
	if last.Day() == from.Day() {
		return from.Format("2 Jan 2006")
	}
	return fmt.Sprintf("%d–%s", from.Day(), last.Format("2 Jan 2006"))
}
