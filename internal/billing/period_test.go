package billing

import (
	"errors"
	"testing"
	"time"
)

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		in         string
		start, end string
		days       int
	}{
		{"2026-11", "2026-11-01", "2026-12-01", 30},
		{"2026-12", "2026-12-01", "2027-01-01", 31},
		{"2026-02", "2026-02-01", "2026-03-01", 28},
		{"2028-02", "2028-02-01", "2028-03-01", 29},
		{"0001-01", "0001-01-01", "0001-02-01", 31},
	} {
		p, err := ParsePeriod(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if p.String() != tc.in || p.Start().Format(time.DateOnly) != tc.start ||
			p.End().Format(time.DateOnly) != tc.end || p.Days() != tc.days {
			t.Errorf("%s: %s [%s, %s) %d days", tc.in, p, p.Start(), p.End(), p.Days())
		}
	}
	for _, bad := range []string{"", "2026-1", "2026-13", "2026-00", "0000-01", " 2026-01", "2026-01 ", "2026/01", "2026-011", "２０26-01", "+026-01", "2026-1a"} {
		if _, err := ParsePeriod(bad); !errors.Is(err, ErrInvalidPeriod) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func TestPeriodOfAndPrev(t *testing.T) {
	// 00:30 on 1 Dec in UTC+2 is still November in UTC.
	at := time.Date(2026, 12, 1, 0, 30, 0, 0, time.FixedZone("EET", 2*3600))
	if got := PeriodOf(at).String(); got != "2026-11" {
		t.Fatalf("PeriodOf = %s", got)
	}
	if got := (Period{2027, time.January}).Prev().String(); got != "2026-12" {
		t.Fatalf("Prev = %s", got)
	}
	p := Period{2026, time.November}
	if !p.Contains(p.Start()) || p.Contains(p.End()) || p.Contains(p.Start().Add(-time.Nanosecond)) {
		t.Fatal("Contains is not [Start, End)")
	}
}
