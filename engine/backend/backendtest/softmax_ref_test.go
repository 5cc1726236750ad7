package backendtest

import (
	"math"
	"testing"

	"allnet/engine/backend"
)

func TestSoftmaxRefKnown(t *testing.T) {
	// (outer 1, dim 2, inner 2): slice n=0 is [0, ln 3], n=1 is [1000, 1000].
	x := []float64{0, 1000, math.Log(3), 1000}
	want := []float64{0.25, 0.5, 0.75, 0.5}
	if y := softmaxRef(x, 1, 2, 2, false); RelErr(y, want) > 1e-15 {
		t.Fatalf("softmaxRef: got %v, want %v", y, want)
	}
	for i := range want {
		want[i] = math.Log(want[i])
	}
	if y := softmaxRef(x, 1, 2, 2, true); RelErr(y, want) > 1e-15 {
		t.Fatalf("softmaxRef log: got %v, want %v", y, want)
	}
}

func TestSoftmaxRefBackwardFD(t *testing.T) {
	r := RNG("TestSoftmaxRefBackwardFD")
	for _, c := range []smCase{{outer: 2, dim: 5, inner: 3}, {outer: 3, dim: 4, inner: 1, offset: 1000}} {
		x := smInputs(r, backend.Float64, c)
		for _, log := range []bool{false, true} {
			y := softmaxRef(x, c.outer, c.dim, c.inner, log)
			w := Randn(r, len(y), 1)
			dx := softmaxRefBackward(y, w, c.outer, c.dim, c.inner, log)
			fd := CentralDiff(func() float64 {
				return refDot(w, softmaxRef(x, c.outer, c.dim, c.inner, log))
			}, x, nil, 1e-5)
			// Around 1000 the step is rounded to ~1e-13 relative, hence the
			// looser bound.
			refGradClose(t, c.String(), dx, fd, 1e-6)
		}
	}
}
