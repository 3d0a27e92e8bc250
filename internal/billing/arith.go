package billing

import (
	"errors"
	"math"
	"math/bits"
)

// ErrOverflow means an amount does not fit in int64 minor units. No real
// invoice gets there; a corrupt usage event or price could, and must fail
// loudly rather than wrap around to a small or negative charge.
var ErrOverflow = errors.New("billing: amount overflows int64")

// prorate returns x × num / den rounded half-up, for x ≥ 0 and
// 0 ≤ num ≤ den, den > 0 (see the package comment). It computes
// floor((2·x·num + den) / (2·den)) with a 128-bit intermediate product, so
// it is exact for any int64 x; the quotient is ≤ x and so fits in 64 bits.
func prorate(x int64, num, den int) int64 {
	if x < 0 || num < 0 || den <= 0 || num > den {
		panic("billing: prorate out of domain") // callers guarantee the domain
	}
	hi, lo := bits.Mul64(uint64(x), 2*uint64(num))
	var carry uint64
	lo, carry = bits.Add64(lo, uint64(den), 0)
	hi += carry
	q, _ := bits.Div64(hi, lo, 2*uint64(den))
	return int64(q)
}

// mul multiplies non-negative int64s, reporting overflow.
func mul(a, b int64) (int64, error) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if a < 0 || b < 0 || hi != 0 || lo > math.MaxInt64 {
		return 0, ErrOverflow
	}
	return int64(lo), nil
}

// add adds non-negative int64s, reporting overflow.
func add(a, b int64) (int64, error) {
	if a < 0 || b < 0 || a > math.MaxInt64-b {
		return 0, ErrOverflow
	}
	return a + b, nil
}
