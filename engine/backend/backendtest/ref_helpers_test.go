package backendtest

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Helpers of the *_ref_test.go files, which check each float64 reference
// backward against central differences (CentralDiff) of its forward.

// refDot returns sum a_i*b_i: with b fixed, the scalar loss whose gradient
// with respect to a is b.
func refDot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// refSample returns up to k distinct random indices below n.
func refSample(r *rand.Rand, n, k int) []int {
	p := r.Perm(n)
	return p[:min(n, k)]
}

// refPick returns the elements of v at idx.
func refPick(v []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for k, i := range idx {
		out[k] = v[i]
	}
	return out
}

// refGradClose fails t when the analytic gradient differs from the finite
// difference one by more than tol relative.
func refGradClose(t *testing.T, what string, analytic, fd []float64, tol float64) {
	t.Helper()
	if e := RelErr(analytic, fd); e > tol || math.IsNaN(e) {
		t.Fatalf("%s: analytic gradient differs from finite differences: relative error %.3g > %.3g\n got %v\nwant %v",
			what, e, tol, analytic, fd)
	}
}
