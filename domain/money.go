package domain

import "fmt"

// Money is an amount in minor units (49900 MXN is $499.00), never a float,
// so sums and comparisons are exact.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// String renders two decimals, e.g. "499.00 MXN"; every currency we sell in
// has two.
func (m Money) String() string {
	sign, a := "", m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, a/100, a%100, m.Currency)
}

// validate checks a price: positive, with an ISO 4217 shaped currency.
func (m Money) validate() error {
	if !isCurrency(m.Currency) {
		return invalid("currency", "must be 3 upper-case letters (ISO 4217)")
	}
	if m.Amount <= 0 {
		return invalid("amount", "must be greater than 0")
	}
	return nil
}

func isCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := range len(c) {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}
