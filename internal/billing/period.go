package billing

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidPeriod is returned for anything but "YYYY-MM".
var ErrInvalidPeriod = errors.New("billing: invalid period")

// Period is one calendar month in UTC, the unit every invoice covers.
type Period struct {
	Year  int
	Month time.Month
}

// ParsePeriod accepts exactly "YYYY-MM" (year 0001–9999, month 01–12):
// the text is part of invoice identity (workflow IDs, storage keys, the
// unique key of rigger.invoices), so "2026-1" or " 2026-01" must not alias it.
func ParsePeriod(s string) (Period, error) {
	bad := func() (Period, error) { return Period{}, fmt.Errorf("%w %q: want YYYY-MM", ErrInvalidPeriod, s) }
	if len(s) != 7 || s[4] != '-' {
		return bad()
	}
	num := func(b string) (int, bool) {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:])
	if !ok1 || !ok2 || y < 1 || m < 1 || m > 12 {
		return bad()
	}
	return Period{Year: y, Month: time.Month(m)}, nil
}

// PeriodOf is the period containing t (in UTC).
func PeriodOf(t time.Time) Period {
	t = t.UTC()
	return Period{Year: t.Year(), Month: t.Month()}
}

// String is the canonical "YYYY-MM" form.
func (p Period) String() string { return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month)) }

// Start is the first instant of the period.
func (p Period) Start() time.Time { return time.Date(p.Year, p.Month, 1, 0, 0, 0, 0, time.UTC) }

// End is the first instant after the period (exclusive bound).
func (p Period) End() time.Time { return p.Start().AddDate(0, 1, 0) }

// Days is the number of days in the month (UTC has no DST, so 24h each).
func (p Period) Days() int { return int(p.End().Sub(p.Start()) / (24 * time.Hour)) }

// Prev is the month before, the period a billing cycle run on the 1st bills.
func (p Period) Prev() Period { return PeriodOf(p.Start().AddDate(0, -1, 0)) }

// Day is the first instant of day index i (0-based) of the period.
func (p Period) Day(i int) time.Time { return p.Start().AddDate(0, 0, i) }

// dayIndex is the 0-based day of the period that t falls on; t must lie in
// the period.
func (p Period) dayIndex(t time.Time) int { return int(t.Sub(p.Start()) / (24 * time.Hour)) }

// Contains reports whether t lies in [Start, End).
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start()) && t.Before(p.End()) }
