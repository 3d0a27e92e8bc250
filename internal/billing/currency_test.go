package billing

import (
	"errors"
	"math"
	"testing"
)

func TestCurrencies(t *testing.T) {
	for _, tc := range []struct {
		code  string
		minor int64
		want  string
	}{
		{"USD", 123456, "USD 1,234.56"},
		{"USD", 5, "USD 0.05"},
		{"USD", 0, "USD 0.00"},
		{"EUR", 100, "EUR 1.00"},
		{"GBP", 99, "GBP 0.99"},
		{"CHF", 1000000, "CHF 10,000.00"},
		{"JPY", 5000, "JPY 5,000"},
		{"JPY", 999, "JPY 999"},
		{"KWD", 1234, "KWD 1.234"},
		{"USD", -150, "USD -1.50"},
		{"JPY", math.MinInt64, "JPY -9,223,372,036,854,775,808"},
	} {
		c, err := LookupCurrency(tc.code)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Format(tc.minor); got != tc.want {
			t.Errorf("%s %d = %q, want %q", tc.code, tc.minor, got, tc.want)
		}
	}
	if c, _ := LookupCurrency("USD"); c.Decimal(123456789) != "1234567.89" {
		t.Errorf("Decimal = %s", c.Decimal(123456789))
	}
	for _, bad := range []string{"", "usd", "XXX", "US", "USDD"} {
		if _, err := LookupCurrency(bad); !errors.Is(err, ErrUnknownCurrency) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
