package backendtest

import (
	"math"
	"testing"

	"allnet/engine/backend"
)

// TestUnaryRefDeriv checks ewRefUnaryDeriv against central finite
// differences of ewRefUnary for every differentiable case, at inputs away
// from the kinks (|x - kink| > 1e-3) and from overflow.
func TestUnaryRefDeriv(t *testing.T) {
	r := RNG("ewRef")
	for _, c := range unaryCases {
		if !c.diff {
			continue
		}
		var got, want []float64
		for range 500 {
			x := c.gen(r)
			if math.Abs(x) > 100 {
				continue
			}
			kink := 0.0
			if c.op == backend.MaxScalar || c.op == backend.MinScalar {
				kink = c.alpha
			}
			if math.Abs(x-kink) < 1e-3 && c.op != backend.Sign && c.op != backend.GtScalar &&
				c.op != backend.EqScalar && c.op != backend.NeScalar {
				continue
			}
			h := 1e-6 * max(1, math.Abs(x))
			if c.op == backend.Sign || c.op == backend.GtScalar || c.op == backend.EqScalar || c.op == backend.NeScalar {
				// Piecewise constant: step off the ties so the difference
				// sees one piece.
				x += 0.1
			}
			fd := (ewRefUnary(c.op, x+h, c.alpha) - ewRefUnary(c.op, x-h, c.alpha)) / (2 * h)
			got = append(got, ewRefUnaryDeriv(c.op, x, c.alpha))
			want = append(want, fd)
		}
		if len(got) < 100 {
			t.Fatalf("%v: only %d usable points", c.op, len(got))
		}
		Close(t, "ewRefUnaryDeriv "+c.op.String()+" vs finite differences", got, want, 1e-7)
	}
}

// TestUnaryRefStable checks the references at the far tails used by the
// Unary check.
func TestUnaryRefStable(t *testing.T) {
	for _, tc := range []struct {
		op   backend.UnaryOp
		x, y float64
	}{
		{backend.Softplus, 800, 800}, {backend.Softplus, -800, 0}, {backend.Sigmoid, -800, 0},
		{backend.Sigmoid, 800, 1}, {backend.SiLU, -800, 0}, {backend.GELU, -800, 0}, {backend.GELU, 800, 800},
		{backend.Tanh, -800, -1},
	} {
		if got := ewRefUnary(tc.op, tc.x, 0); got != tc.y || math.IsNaN(got) {
			t.Errorf("%v(%g) = %g, want %g", tc.op, tc.x, got, tc.y)
		}
	}
}
