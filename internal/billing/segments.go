package billing

import "time"

// Subscription is a plan in force over [Start, End); a zero End means it is
// still open.
type Subscription struct {
	Plan  Plan
	Start time.Time
	End   time.Time
}

func (s Subscription) activeDuring(from, to time.Time) bool {
	if !s.End.IsZero() && !s.End.After(s.Start) {
		return false // an empty span was never in force
	}
	return s.Start.Before(to) && (s.End.IsZero() || s.End.After(from))
}

// Segment is a run of consecutive days of a period billed to one plan.
type Segment struct {
	Plan  Plan
	First int // 0-based index of the first day in the period
	Days  int
}

// From is the first instant of the segment.
func (s Segment) From(p Period) time.Time { return p.Day(s.First) }

// To is the first instant after the segment (exclusive).
func (s Segment) To(p Period) time.Time { return p.Day(s.First + s.Days) }

// Segments assigns each day of the period to at most one subscription (see
// the package comment) and merges consecutive days of the same plan.
// Days no subscription covered belong to no segment.
func Segments(p Period, subs []Subscription) []Segment {
	var out []Segment
	for d := range p.Days() {
		owner := -1
		for i, s := range subs {
			// ">=" lets the later of two equal starts win, so the result
			// follows the order the store returns (started_at, id).
			if s.activeDuring(p.Day(d), p.Day(d+1)) && (owner < 0 || !s.Start.Before(subs[owner].Start)) {
				owner = i
			}
		}
		if owner < 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Plan.ID == subs[owner].Plan.ID && out[n-1].First+out[n-1].Days == d {
			out[n-1].Days++
			continue
		}
		out = append(out, Segment{Plan: subs[owner].Plan, First: d, Days: 1})
	}
	return out
}

// TenantDays is the number of days the segments bill.
func TenantDays(segs []Segment) int {
	n := 0
	for _, s := range segs {
		n += s.Days
	}
	return n
}
