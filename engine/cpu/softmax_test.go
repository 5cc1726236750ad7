package cpu

import (
	"math"
	"testing"
)

// TestExp32 checks exp32 against math.Exp over its whole domain, including
// the limits and special values.
func TestExp32(t *testing.T) {
	worst := 0.0
	for x := float32(-87); x <= 88; x += 0.00173 {
		want := math.Exp(float64(x))
		got := float64(exp32(x))
		if e := math.Abs(got-want) / want; e > worst {
			worst = e
		}
	}
	if worst > 1.5e-7 {
		t.Fatalf("exp32: worst relative error %.3g, want <= 1.5e-7 (about 1 ulp)", worst)
	}
	for _, c := range []struct{ x, want float32 }{
		{0, 1}, {float32(math.Inf(-1)), 0}, {-100, 0}, {float32(math.Inf(1)), float32(math.Inf(1))}, {100, float32(math.Inf(1))},
	} {
		if got := exp32(c.x); got != c.want {
			t.Fatalf("exp32(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if got := exp32(float32(math.NaN())); got == got {
		t.Fatalf("exp32(NaN) = %g, want NaN", got)
	}
}
