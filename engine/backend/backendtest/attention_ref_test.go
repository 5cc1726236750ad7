package backendtest

import (
	"math"
	"testing"

	"allnet/engine/backend"
)

func TestAttentionRefKnown(t *testing.T) {
	// q = 0 makes every score equal to the bias: keys 0 and 2 unmasked in
	// row 0 (out = mean of their v, lse = log 2), row 1 fully masked.
	g := backend.AttnGeom{Batch: 1, Lq: 2, Lk: 3, D: 2, DV: 2, Scale: 0.5, BiasBatch: 1}
	inf := math.Inf(-1)
	q := []float64{0, 0, 0, 0}
	k := []float64{1, 2, 3, 4, 5, 6}
	v := []float64{1, 10, 100, 1000, 3, 30}
	bias := []float64{0, inf, 0, inf, inf, inf}
	out, lse := attnRef(q, k, v, bias, g)
	want := []float64{2, 20, 0, 0}
	if RelErr(out, want) > 1e-15 || lse[0] != math.Log(2) || !math.IsInf(lse[1], -1) {
		t.Fatalf("attnRef: out %v lse %v, want out %v lse [log 2, -Inf]", out, lse, want)
	}
	// One key: out is its value whatever the scores.
	g = backend.AttnGeom{Batch: 1, Lq: 1, Lk: 1, D: 1, DV: 2, Scale: 3}
	out, lse = attnRef([]float64{2}, []float64{5}, []float64{7, -1}, nil, g)
	if out[0] != 7 || out[1] != -1 || lse[0] != 30 {
		t.Fatalf("attnRef one key: out %v lse %v, want [7 -1] and 30", out, lse)
	}
}

func TestAttentionRefBackwardFD(t *testing.T) {
	r := RNG("TestAttentionRefBackwardFD")
	for _, c := range []attnCase{
		{g: backend.AttnGeom{Batch: 2, Lq: 3, Lk: 4, D: 3, DV: 2, Scale: 0.6}},
		// Four problems share two bias matrices, with -Inf entries and
		// a fully masked row.
		{g: backend.AttnGeom{Batch: 4, Lq: 3, Lk: 5, D: 2, DV: 3, Scale: 0.8, BiasBatch: 2}, bias: true, masked: 0.3},
	} {
		g := c.g
		q, k, v, bias := attnInputs(r, backend.Float64, c)
		out, _ := attnRef(q, k, v, bias, g)
		w := Randn(r, len(out), 1)
		dq, dk, dv, dBias := attnRefBackward(w, q, k, v, bias, g)
		loss := func() float64 {
			o, _ := attnRef(q, k, v, bias, g)
			return refDot(w, o)
		}
		const h, tol = 1e-5, 1e-7
		refGradClose(t, "dq "+c.String(), dq, CentralDiff(loss, q, nil, h), tol)
		refGradClose(t, "dk "+c.String(), dk, CentralDiff(loss, k, nil, h), tol)
		refGradClose(t, "dv "+c.String(), dv, CentralDiff(loss, v, nil, h), tol)
		if bias != nil {
			fd := CentralDiff(loss, bias, nil, h)
			for i, b := range bias {
				if math.IsInf(b, -1) {
					fd[i] = 0 // (-Inf+h) - (-Inf-h) is NaN; a masked entry has no gradient
				}
			}
			refGradClose(t, "dBias "+c.String(), dBias, fd, tol)
		}
	}
}
