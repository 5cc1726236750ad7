package engine

import (
	"math"
	"testing"

	"allnet/engine/backend"
)

// unfusedCPU is the CPU backend without its optional fused primitives
// (embedding the interface hides the methods it does not declare), so
// tests reach the engine's elementwise fallbacks.
type unfusedCPU struct{ backend.Backend }

// TestAdamWUpdate checks the fused CPU update and the elementwise fallback
// against the formula written out in float64, in both dtypes, with and
// without weight decay.
func TestAdamWUpdate(t *testing.T) {
	if _, ok := CPU().(backend.FusedAdamW); !ok {
		t.Fatal("the CPU backend has no fused AdamW")
	}
	rng := testRNG(t)
	for _, decay := range []float64{1, 1 - 1e-2*0.05} {
		a := backend.AdamWArgs{Decay: decay, Beta1: 0.9, Beta2: 0.999, StepSize: 1e-2 / (1 - 0.9*0.9),
			BC2Sqrt: math.Sqrt(1 - 0.999*0.999), Eps: 1e-8}
		p0, m0, g0 := randT(rng, 3, 7), randT(rng, 3, 7), randT(rng, 3, 7)
		v0 := Square(randT(rng, 3, 7))
		pv, mv, vv, gv := p0.Float64s(), m0.Float64s(), v0.Float64s(), g0.Float64s()
		wantP, wantM, wantV := make([]float64, len(pv)), make([]float64, len(pv)), make([]float64, len(pv))
		for i := range pv {
			wantM[i] = a.Beta1*mv[i] + (1-a.Beta1)*gv[i]
			wantV[i] = a.Beta2*vv[i] + (1-a.Beta2)*gv[i]*gv[i]
			wantP[i] = pv[i]*a.Decay - a.StepSize*wantM[i]/(math.Sqrt(wantV[i])/a.BC2Sqrt+a.Eps)
		}
		for _, dev := range []backend.Backend{CPU(), &unfusedCPU{CPU()}} {
			for _, dt := range []DType{Float64, Float32} {
				tol := 1e-12
				if dt == Float32 {
					tol = 2e-6
				}
				on := func(x *Tensor) *Tensor { return FromFloat64(dev, x.Float64s(), x.Shape()...).Cast(dt) }
				p, m, v, g := on(p0), on(m0), on(v0), on(g0)
				AdamWUpdate(p, m, v, g, a)
				closeTo(t, "p", p, wantP, tol)
				closeTo(t, "m", m, wantM, tol)
				closeTo(t, "v", v, wantV, tol)
			}
		}
	}
}
