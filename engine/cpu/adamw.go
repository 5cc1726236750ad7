package cpu

import (
	"math"

	"allnet/engine/backend"
)

// AdamWStep is backend.FusedAdamW: the whole AdamW update in one parallel
// pass, each element computed in float64 and stored once.
func (*CPU) AdamWStep(p, m, v, g backend.Buffer, a backend.AdamWArgs) {
	n := p.Len()
	for _, b := range []struct {
		name string
		buf  backend.Buffer
	}{{"m", m}, {"v", v}, {"g", g}} {
		checkLen("AdamWStep", b.name, b.buf, n)
	}
	if isF64(p) {
		adamWStep(floats[float64](p), floats[float64](m), floats[float64](v), floats[float64](g), a)
	} else {
		adamWStep(floats[float32](p), floats[float32](m), floats[float32](v), floats[float32](g), a)
	}
}

func adamWStep[T Float](p, m, v, g []T, a backend.AdamWArgs) {
	parallelFor(len(p), 16384, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			gi := float64(g[i])
			mi := a.Beta1*float64(m[i]) + (1-a.Beta1)*gi
			vi := a.Beta2*float64(v[i]) + (1-a.Beta2)*gi*gi
			m[i], v[i] = T(mi), T(vi)
			p[i] = T(float64(p[i])*a.Decay - a.StepSize*mi/(math.Sqrt(vi)/a.BC2Sqrt+a.Eps))
		}
	})
}
