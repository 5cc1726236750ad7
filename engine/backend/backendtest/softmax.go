package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"allnet/engine/backend"
)

func init() {
	register("Softmax", checkSoftmax)
	register("SoftmaxBackward", checkSoftmaxBackward)
}

// smCase is a softmax problem (outer, dim, inner); offset, when not zero,
// shifts every slice along dim by a random +-offset, so that a version
// without max subtraction overflows.
type smCase struct {
	outer, dim, inner int
	offset            float64
}

// smCases cover inner == 1, inner > 1 (odd sizes, and wider than one CPU
// work block), dim 1, and inputs around +-1000.
var smCases = []smCase{
	{outer: 4, dim: 13, inner: 1},
	{outer: 3, dim: 7, inner: 5},
	{outer: 2, dim: 5, inner: 70},
	{outer: 5, dim: 1, inner: 3},
	{outer: 3, dim: 9, inner: 4, offset: 1000},
	{outer: 6, dim: 300, inner: 1, offset: 1000},
}

func (c smCase) String() string {
	return fmt.Sprintf("(outer %d, dim %d, inner %d, offset %g)", c.outer, c.dim, c.inner, c.offset)
}

// smInputs draws x for a case, rounded to dt.
func smInputs(r *rand.Rand, dt backend.DType, c smCase) []float64 {
	x := Randn(r, c.outer*c.dim*c.inner, 2)
	if c.offset != 0 {
		for o := range c.outer {
			for n := range c.inner {
				shift := c.offset
				if r.IntN(2) == 0 {
					shift = -shift
				}
				for d := range c.dim {
					x[(o*c.dim+d)*c.inner+n] += shift
				}
			}
		}
	}
	return Rounded(dt, x)
}

// softmaxRef is the float64 reference of Softmax: for each (o, n), the
// slice x[o, :, n] minus its maximum, exponentiated and normalised (or, for
// log, minus the log of the sum).
func softmaxRef(x []float64, outer, dim, inner int, log bool) []float64 {
	y := make([]float64, len(x))
	for o := range outer {
		for n := range inner {
			at := func(d int) int { return (o*dim+d)*inner + n }
			m := math.Inf(-1)
			for d := range dim {
				m = math.Max(m, x[at(d)])
			}
			var sum float64
			for d := range dim {
				sum += math.Exp(x[at(d)] - m)
			}
			for d := range dim {
				if log {
					y[at(d)] = x[at(d)] - m - math.Log(sum)
				} else {
					y[at(d)] = math.Exp(x[at(d)]-m) / sum
				}
			}
		}
	}
	return y
}

// softmaxRefBackward is the float64 reference of SoftmaxBackward, from the
// forward output y: softmax dx = y (dy - sum(dy y)), log-softmax
// dx = dy - exp(y) sum(dy), sums along dim.
func softmaxRefBackward(y, dy []float64, outer, dim, inner int, log bool) []float64 {
	dx := make([]float64, len(y))
	for o := range outer {
		for n := range inner {
			at := func(d int) int { return (o*dim+d)*inner + n }
			var s float64
			for d := range dim {
				if log {
					s += dy[at(d)]
				} else {
					s += dy[at(d)] * y[at(d)]
				}
			}
			for d := range dim {
				if log {
					dx[at(d)] = dy[at(d)] - math.Exp(y[at(d)])*s
				} else {
					dx[at(d)] = y[at(d)] * (dy[at(d)] - s)
				}
			}
		}
	}
	return dx
}

// checkSoftmax compares Softmax (output pre-filled with NaN) with
// softmaxRef, both variants.
func checkSoftmax(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("Softmax")
	for _, c := range smCases {
		x := smInputs(r, dt, c)
		xb := Upload(b, dt, x)
		for _, log := range []bool{false, true} {
			y := b.Alloc(dt, len(x))
			b.Fill(y, math.NaN())
			b.Softmax(y, xb, c.outer, c.dim, c.inner, log)
			Close(t, fmt.Sprintf("Softmax %v log=%v", c, log), Download(b, y), softmaxRef(x, c.outer, c.dim, c.inner, log), Tol(dt))
			b.Free(y)
		}
		b.Free(xb)
	}
}

// checkSoftmaxBackward feeds the reference forward output and a random dy
// to SoftmaxBackward (dx pre-filled with NaN) and compares with
// softmaxRefBackward, both variants.
func checkSoftmaxBackward(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("SoftmaxBackward")
	for _, c := range smCases {
		x := smInputs(r, dt, c)
		for _, log := range []bool{false, true} {
			y := Rounded(dt, softmaxRef(x, c.outer, c.dim, c.inner, log))
			dy := Rounded(dt, Randn(r, len(x), 1))
			yb, dyb := Upload(b, dt, y), Upload(b, dt, dy)
			dx := b.Alloc(dt, len(x))
			b.Fill(dx, math.NaN())
			b.SoftmaxBackward(dx, yb, dyb, c.outer, c.dim, c.inner, log)
			Close(t, fmt.Sprintf("SoftmaxBackward %v log=%v", c, log), Download(b, dx),
				softmaxRefBackward(y, dy, c.outer, c.dim, c.inner, log), Tol(dt))
			b.Free(yb)
			b.Free(dyb)
			b.Free(dx)
		}
	}
}
