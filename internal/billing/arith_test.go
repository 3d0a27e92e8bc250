package billing

import (
	"errors"
	"math"
	"testing"
)

func TestProrateRoundsHalfUp(t *testing.T) {
	for _, tc := range []struct {
		x        int64
		num, den int
		want     int64
	}{
		{49900, 14, 30, 23287},   // 23286.67
		{299900, 16, 30, 159947}, // 159946.67
		{15, 1, 30, 1},           // 0.5 rounds up
		{45, 1, 30, 2},           // 1.5 rounds up
		{14, 1, 30, 0},           // 0.47 rounds down
		{1000, 14, 30, 467},      // included quantities too
		{49900, 30, 30, 49900},   // a full month is exact
		{49900, 0, 30, 0},
		{0, 7, 31, 0},
		{math.MaxInt64, 31, 31, math.MaxInt64}, // no intermediate overflow
		{math.MaxInt64, 1, 2, math.MaxInt64/2 + 1},
	} {
		if got := prorate(tc.x, tc.num, tc.den); got != tc.want {
			t.Errorf("prorate(%d, %d/%d) = %d, want %d", tc.x, tc.num, tc.den, got, tc.want)
		}
	}
}

func TestCheckedArithmetic(t *testing.T) {
	if v, err := mul(1<<31, 1<<31); err != nil || v != 1<<62 {
		t.Fatalf("mul = %d %v", v, err)
	}
	if _, err := mul(1<<32, 1<<31); !errors.Is(err, ErrOverflow) {
		t.Fatalf("mul overflow: %v", err)
	}
	if _, err := add(math.MaxInt64, 1); !errors.Is(err, ErrOverflow) {
		t.Fatalf("add overflow: %v", err)
	}
	if _, err := mul(-1, 5); !errors.Is(err, ErrOverflow) {
		t.Fatalf("negative mul accepted: %v", err)
	}
}
