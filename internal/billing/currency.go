package billing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUnknownCurrency is returned for a code missing from the table below:
// pricing in a currency whose minor unit we do not know would misplace the
// decimal point on every invoice.
var ErrUnknownCurrency = errors.New("billing: unknown currency")

// minorUnitExponent is ISO 4217's number of decimals per currency, for the
// currencies Rigger accepts. Most have 2; JPY, KRW, ISK, CLP and VND have
// none; the dinars and rial of the Gulf have 3.
var minorUnitExponent = map[string]int{
	"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2,
	"SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2, "RON": 2,
	"INR": 2, "CNY": 2, "HKD": 2, "SGD": 2, "BRL": 2, "MXN": 2, "ZAR": 2,
	"ILS": 2, "TRY": 2,
	"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0,
	"BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3,
}

// Currency is an ISO 4217 code with its minor-unit exponent.
type Currency struct {
	Code     string
	Exponent int
}

// LookupCurrency validates an upper-case ISO 4217 code.
func LookupCurrency(code string) (Currency, error) {
	exp, ok := minorUnitExponent[code]
	if !ok {
		return Currency{}, fmt.Errorf("%w %q", ErrUnknownCurrency, code)
	}
	return Currency{Code: code, Exponent: exp}, nil
}

// Format renders an amount of minor units for people, e.g. "USD 1,234.56"
// or "JPY 5,000". It is for display only: amounts stay integers everywhere.
func (c Currency) Format(minor int64) string {
	return c.Code + " " + c.FormatNumber(minor)
}

// FormatNumber is Format without the code: "1,234.56".
func (c Currency) FormatNumber(minor int64) string { return c.format(minor, true) }

// Decimal is the exact amount as a plain decimal string, "1234.56", for
// machine readers that must not parse floats.
func (c Currency) Decimal(minor int64) string { return c.format(minor, false) }

func (c Currency) format(minor int64, grouped bool) string {
	g := group
	if !grouped {
		g = func(s string) string { return s }
	}
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign, u = "-", uint64(-(minor+1))+1 // no overflow for MinInt64
	}
	digits := strconv.FormatUint(u, 10)
	if c.Exponent > 0 {
		if pad := c.Exponent + 1 - len(digits); pad > 0 {
			digits = strings.Repeat("0", pad) + digits
		}
		cut := len(digits) - c.Exponent
		return sign + g(digits[:cut]) + "." + digits[cut:]
	}
	return sign + g(digits)
}

// group inserts thousands separators into a string of digits.
func group(digits string) string {
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
