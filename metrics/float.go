package metrics

import (
	"encoding/json"
	"math"
)

// Float is a float64 that JSON writes as null when it is NaN or infinite and
// reads back from null as NaN. Metrics use NaN for "undefined" (no valid
// pixel, a class absent from the whole dataset).
type Float float64

// NaN returns the undefined Float.
func NaN() Float { return Float(math.NaN()) }

// Valid reports whether f is a finite number.
func (f Float) Valid() bool {
	return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0)
}

// MarshalJSON writes f as a JSON number, or null when f is not finite.
func (f Float) MarshalJSON() ([]byte, error) {
	if !f.Valid() {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

// UnmarshalJSON reads a JSON number, or null as NaN.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = NaN()
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Float(v)
	return nil
}

// ratio returns num/den as a Float, NaN when den is zero.
func ratio(num, den float64) Float {
	if den == 0 {
		return NaN()
	}
	return Float(num / den)
}
