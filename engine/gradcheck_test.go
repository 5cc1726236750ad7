package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
	"allnet/engine/cpu"
)

// gradCheck compares the gradients autograd computes for f with central
// finite differences, in float64 on the CPU. f maps the inputs to one
// tensor; the scalar checked is sum(f(xs) * R) for a fixed random R, so every
// output element's gradient path is exercised. Only inputs that require grad
// are checked; at most maxElems elements of each (chosen at random) are
// perturbed.
func gradCheck(t *testing.T, f func(xs []*Tensor) *Tensor, xs ...*Tensor) {
	t.Helper()
	const h = 1e-6
	const maxElems = 60
	rng := rand.New(rand.NewPCG(7, 11))
	for _, x := range xs {
		x.ZeroGrad()
		if x.dtype != Float64 && x.requiresGrad {
			t.Fatalf("gradCheck: input %v must be float64", x)
		}
	}
	out := f(xs)
	r := FromFloat64(out.dev, backendtest.Randn(rng, out.Len(), 1), out.shape...)
	loss := SumAll(Mul(out, r))
	loss.Backward()
	eval := func() float64 {
		var v float64
		NoGrad(func() { v = SumAll(Mul(f(xs), r)).Item() })
		return v
	}
	for k, x := range xs {
		if !x.requiresGrad {
			continue
		}
		if x.grad == nil {
			t.Fatalf("input %d (%v): no gradient", k, x.shape)
		}
		data := x.buf.(*cpu.Buffer).F64
		analytic := x.grad.Float64s()
		idx := rng.Perm(len(data))
		if len(idx) > maxElems {
			idx = idx[:maxElems]
		}
		want := backendtest.CentralDiff(eval, data, idx, h)
		got := make([]float64, len(idx))
		for j, i := range idx {
			got[j] = analytic[i]
		}
		if e := backendtest.RelErr(got, want); e > 1e-5 || math.IsNaN(e) {
			backendtest.Close(t, fmt.Sprintf("gradient of input %d %v", k, x.shape), got, want, 1e-5)
		}
	}
}

// randT returns a float64 CPU tensor of the given shape with N(0, 1) values,
// requiring grad.
func randT(rng *rand.Rand, shape ...int) *Tensor {
	return FromFloat64(CPU(), backendtest.Randn(rng, backend.NumElements(shape), 1), shape...).SetRequiresGrad(true)
}

// testRNG returns a generator seeded by the test's name.
func testRNG(t *testing.T) *rand.Rand { return backendtest.RNG(t.Name()) }

// closeTo asserts a tensor's values match want within relative error tol.
func closeTo(t *testing.T, what string, got *Tensor, want []float64, tol float64) {
	t.Helper()
	backendtest.Close(t, what, got.Float64s(), want, tol)
}

// opPanicText runs f and returns the text of its panic ("" if none).
func opPanicText(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
