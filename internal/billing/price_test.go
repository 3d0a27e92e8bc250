package billing

import (
	"errors"
	"math"
	"testing"
	"time"
)

// Plans shaped like the seeded ones (migration 00001), plus a JPY plan.
var (
	free = Plan{ID: "free", Name: "Free", Currency: "USD",
		Included:     map[string]int64{"seats": 5, "scaffolder_runs": 50},
		OverageMinor: map[string]int64{"seats": 0, "scaffolder_runs": 0}}
	team = Plan{ID: "team", Name: "Team", Currency: "USD", BasePriceMinor: 49900,
		Included:     map[string]int64{"seats": 50, "scaffolder_runs": 1000},
		OverageMinor: map[string]int64{"seats": 900, "scaffolder_runs": 10}}
	enterprise = Plan{ID: "enterprise", Name: "Enterprise", Currency: "USD", BasePriceMinor: 299900,
		Included:     map[string]int64{"seats": 500, "scaffolder_runs": 20000},
		OverageMinor: map[string]int64{"seats": 700, "scaffolder_runs": 5}}
	teamJPY = Plan{ID: "team-jp", Name: "Team JP", Currency: "JPY", BasePriceMinor: 5000,
		Included:     map[string]int64{"scaffolder_runs": 1000},
		OverageMinor: map[string]int64{"scaffolder_runs": 3}}
)

var nov = Period{2026, time.November} // 30 days

func at(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, time.UTC) }

var (
	octFirst = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	open     time.Time
)

// want is the expected base fee of one plan and the expected usage lines
// (metric → used, included, billable quantity, amount) of that plan.
type want struct {
	base  int64
	usage map[string][4]int64
}

func TestPrice(t *testing.T) {
	for _, tc := range []struct {
		name  string
		subs  []Subscription
		usage []Usage
		total int64
		plans map[string]want
		days  int64 // tenant days over all segments
	}{
		{
			name:  "full month, zero usage: the base fee exactly",
			subs:  []Subscription{{team, octFirst, open}},
			total: 49900, days: 30,
			plans: map[string]want{"team": {49900, map[string][4]int64{
				"scaffolder_runs": {0, 1000, 0, 0}, "seats": {0, 50, 0, 0}, MetricTenantDays: {30, 0, 30, 0}}}},
		},
		{
			name:  "within included quantities",
			subs:  []Subscription{{team, octFirst, open}},
			usage: []Usage{{at(3, 9), "scaffolder_runs", 600}, {at(28, 9), "scaffolder_runs", 400}, {at(1, 0), "seats", 50}},
			total: 49900, days: 30,
			plans: map[string]want{"team": {49900, map[string][4]int64{
				"scaffolder_runs": {1000, 1000, 0, 0}, "seats": {50, 50, 0, 0}}}},
		},
		{
			name:  "overage beyond included quantities",
			subs:  []Subscription{{team, octFirst, open}},
			usage: []Usage{{at(3, 9), "scaffolder_runs", 1200}, {at(1, 0), "seats", 55}},
			total: 49900 + 200*10 + 5*900, days: 30,
			plans: map[string]want{"team": {49900, map[string][4]int64{
				"scaffolder_runs": {1200, 1000, 200, 2000}, "seats": {55, 50, 5, 4500}}}},
		},
		{
			name:  "free plan with heavy usage costs nothing",
			subs:  []Subscription{{free, octFirst, open}},
			usage: []Usage{{at(3, 9), "scaffolder_runs", 1_000_000}, {at(3, 9), "api_calls", 5}},
			total: 0, days: 30,
			plans: map[string]want{"free": {0, map[string][4]int64{
				"scaffolder_runs": {1_000_000, 50, 999_950, 0}, "api_calls": {5, 0, 5, 0}}}},
		},
		{
			name:  "join mid-month: the joining day counts",
			subs:  []Subscription{{team, at(17, 10), open}},
			usage: []Usage{{at(20, 0), "scaffolder_runs", 500}},
			// 14 of 30 days: base 23286.67 → 23287, included 466.67 → 467.
			total: 23287 + 33*10, days: 14,
			plans: map[string]want{"team": {23287, map[string][4]int64{"scaffolder_runs": {500, 467, 33, 330}}}},
		},
		{
			name: "upgrade mid-month: the change day is billed at the new plan",
			subs: []Subscription{{team, octFirst, at(15, 10)}, {enterprise, at(15, 10), open}},
			usage: []Usage{
				{at(5, 0), "scaffolder_runs", 600},  // team: 467 included
				{at(15, 9), "scaffolder_runs", 100}, // before the change, but on enterprise's day
				{at(20, 0), "scaffolder_runs", 100},
			},
			// team 14/30: 23287; enterprise 16/30: 159946.67 → 159947, 10667 runs included.
			total: 23287 + 133*10 + 159947, days: 30,
			plans: map[string]want{
				"team":       {23287, map[string][4]int64{"scaffolder_runs": {600, 467, 133, 1330}, MetricTenantDays: {14, 0, 14, 0}}},
				"enterprise": {159947, map[string][4]int64{"scaffolder_runs": {200, 10667, 0, 0}, MetricTenantDays: {16, 0, 16, 0}}},
			},
		},
		{
			name:  "leave mid-month: the leaving day counts, later usage goes to the last plan",
			subs:  []Subscription{{team, octFirst, at(20, 12)}},
			usage: []Usage{{at(25, 0), "scaffolder_runs", 700}},
			// 20/30: base 33266.67 → 33267, included 666.67 → 667.
			total: 33267 + 33*10, days: 20,
			plans: map[string]want{"team": {33267, map[string][4]int64{"scaffolder_runs": {700, 667, 33, 330}}}},
		},
		{
			name:  "leaving at midnight does not bill the next day",
			subs:  []Subscription{{team, octFirst, at(21, 0)}},
			total: 33267, days: 20,
			plans: map[string]want{"team": {33267, nil}},
		},
		{
			name:  "gap between subscriptions of the same plan",
			subs:  []Subscription{{team, octFirst, at(6, 0)}, {team, at(20, 0), open}},
			usage: []Usage{{at(10, 0), "seats", 60}}, // in the gap: goes to the first segment
			// 5/30 → 8316.67 → 8317 (8 seats included), 11/30 → 18296.67 → 18297.
			total: 8317 + 52*900 + 18297, days: 16,
			plans: map[string]want{"team": {8317 + 18297, map[string][4]int64{"seats": {60, 8, 52, 46800}}}},
		},
		{
			name: "two changes in one day: the last plan takes the day",
			subs: []Subscription{{team, octFirst, at(10, 8)}, {free, at(10, 8), at(10, 9)}, {enterprise, at(10, 9), open}},
			// team 9/30 = 14970, enterprise 21/30 = 209930.
			total: 14970 + 209930, days: 30,
			plans: map[string]want{"team": {14970, nil}, "enterprise": {209930, nil}},
		},
		{
			name: "join and leave the same day is one day",
			subs: []Subscription{{team, at(3, 10), at(3, 11)}},
			// 49900/30 = 1663.33 → 1663
			total: 1663, days: 1,
			plans: map[string]want{"team": {1663, nil}},
		},
		{
			name:  "tenant-day events are ignored, the days come from subscriptions",
			subs:  []Subscription{{team, at(11, 0), open}},
			usage: []Usage{{at(12, 0), MetricTenantDays, 99}},
			total: prorate(49900, 20, 30), days: 20,
			plans: map[string]want{"team": {33267, map[string][4]int64{MetricTenantDays: {20, 0, 20, 0}}}},
		},
		{
			name:  "JPY has no minor unit: yen are rounded, not cents",
			subs:  []Subscription{{teamJPY, at(17, 0), open}},
			usage: []Usage{{at(18, 0), "scaffolder_runs", 500}},
			// 5000 × 14/30 = 2333.33 → 2333 yen; 467 included; 33 × 3 yen.
			total: 2333 + 99, days: 14,
			plans: map[string]want{"team-jp": {2333, map[string][4]int64{"scaffolder_runs": {500, 467, 33, 99}}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := Price(Input{Tenant: "acme", Period: nov, Subscriptions: tc.subs, Usage: tc.usage})
			if err != nil {
				t.Fatal(err)
			}
			if err := inv.Validate(); err != nil {
				t.Fatal(err)
			}
			if inv.TotalMinor != tc.total || inv.Period != "2026-11" || inv.Tenant != "acme" {
				t.Errorf("total = %d, want %d (%s %s)", inv.TotalMinor, tc.total, inv.Tenant, inv.Period)
			}
			var days int64
			for _, l := range inv.Lines {
				if l.Metric == MetricTenantDays {
					days += l.Used
				}
			}
			if days != tc.days {
				t.Errorf("tenant days = %d, want %d", days, tc.days)
			}
			for plan, w := range tc.plans {
				if got := baseOf(inv, plan); got != w.base {
					t.Errorf("%s base = %d, want %d", plan, got, w.base)
				}
				for metric, u := range w.usage {
					l, ok := usageLine(inv, plan, metric)
					if !ok {
						t.Errorf("%s/%s: no line", plan, metric)
						continue
					}
					if got := [4]int64{l.Used, l.Included, l.Quantity, l.AmountMinor}; got != u {
						t.Errorf("%s/%s: used, included, billable, amount = %v, want %v", plan, metric, got, u)
					}
				}
			}
			again, _ := Price(Input{Tenant: "acme", Period: nov, Subscriptions: tc.subs, Usage: tc.usage})
			if len(again.Lines) != len(inv.Lines) || again.TotalMinor != inv.TotalMinor {
				t.Error("pricing is not deterministic")
			}
			for i := range again.Lines {
				if again.Lines[i] != inv.Lines[i] {
					t.Errorf("line %d differs between runs", i)
				}
			}
		})
	}
}

func baseOf(inv Invoice, plan string) int64 {
	var sum int64
	for _, l := range inv.Lines {
		if l.Kind == LineBase && l.PlanID == plan {
			sum += l.AmountMinor
		}
	}
	return sum
}

// usageLine is the first segment's line of that plan and metric.
func usageLine(inv Invoice, plan, metric string) (Line, bool) {
	for _, l := range inv.Lines {
		if l.Kind == LineUsage && l.PlanID == plan && l.Metric == metric {
			return l, true
		}
	}
	return Line{}, false
}

func TestPriceDescriptions(t *testing.T) {
	inv, err := Price(Input{Tenant: "acme", Period: nov,
		Subscriptions: []Subscription{{team, octFirst, at(15, 10)}, {enterprise, at(15, 10), open}},
		Usage:         []Usage{{at(5, 0), "scaffolder_runs", 1600}}})
	if err != nil {
		t.Fatal(err)
	}
	wantDesc := map[string]bool{
		"Team plan, 1–14 Nov 2026 (14 of 30 days of USD 499.00)":               true,
		"Enterprise plan, 15–30 Nov 2026 (16 of 30 days of USD 2,999.00)":      true,
		"Scaffolder runs: 1,600 used, 467 included (Team plan, 1–14 Nov 2026)": true,
	}
	for _, l := range inv.Lines {
		delete(wantDesc, l.Description)
	}
	if len(wantDesc) > 0 {
		t.Fatalf("missing descriptions %v in %+v", wantDesc, inv.Lines)
	}
	first := inv.Lines[0]
	if !first.From.Equal(at(1, 0)) || !first.To.Equal(at(15, 0)) || first.Days != 14 || first.PeriodDays != 30 {
		t.Fatalf("first line span: %+v", first)
	}
}

func TestPriceErrors(t *testing.T) {
	huge := team
	huge.OverageMinor = map[string]int64{"api_calls": math.MaxInt64 / 2}
	usd3 := team
	usd3.Currency = "XYZ"
	for _, tc := range []struct {
		name  string
		subs  []Subscription
		usage []Usage
		want  error
	}{
		{"no subscription", nil, nil, ErrNoSubscription},
		{"ended before the period", []Subscription{{team, octFirst, at(1, 0)}}, nil, ErrNoSubscription},
		{"starts after the period", []Subscription{{team, at(30, 0).AddDate(0, 0, 1), open}}, nil, ErrNoSubscription},
		{"mixed currencies", []Subscription{{team, octFirst, at(10, 0)}, {teamJPY, at(10, 0), open}}, nil, ErrMixedCurrency},
		{"unknown currency", []Subscription{{usd3, octFirst, open}}, nil, ErrInvalidPlan},
		{"usage outside the period", []Subscription{{team, octFirst, open}}, []Usage{{at(30, 0).AddDate(0, 0, 1), "seats", 1}}, ErrInvalidUsage},
		{"negative usage", []Subscription{{team, octFirst, open}}, []Usage{{at(2, 0), "seats", -1}}, ErrInvalidUsage},
		{"overflowing overage", []Subscription{{huge, octFirst, open}}, []Usage{{at(2, 0), "api_calls", 3}}, ErrOverflow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Price(Input{Tenant: "acme", Period: nov, Subscriptions: tc.subs, Usage: tc.usage}); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestInvoiceValidate(t *testing.T) {
	inv, err := Price(Input{Tenant: "acme", Period: nov, Subscriptions: []Subscription{{team, octFirst, open}}})
	if err != nil {
		t.Fatal(err)
	}
	for name, break_ := range map[string]func(*Invoice){
		"amount":   func(i *Invoice) { i.Lines[0].AmountMinor++ },
		"subtotal": func(i *Invoice) { i.SubtotalMinor++ },
		"total":    func(i *Invoice) { i.TotalMinor-- },
		"period":   func(i *Invoice) { i.Period = "2026-13" },
		"currency": func(i *Invoice) { i.Currency = "usd" },
		"kind":     func(i *Invoice) { i.Lines[1].Kind = "discount" },
		"tenant":   func(i *Invoice) { i.Tenant = "" },
	} {
		bad := inv
		bad.Lines = append([]Line(nil), inv.Lines...)
		break_(&bad)
		if err := bad.Validate(); !errors.Is(err, ErrInvalidInvoice) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
