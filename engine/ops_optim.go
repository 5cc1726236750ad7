package engine

import (
	"fmt"
	"slices"

	"allnet/engine/backend"
)

// AdamWUpdate applies one AdamW update to the parameter p and its moments m
// and v in place, given the gradient g (all four of one shape, dtype and
// device; see backend.FusedAdamW for the formula). It runs the device's
// fused update when it has one, else the same formula as elementwise ops
// written back into p, m and v. No graph is recorded.
func AdamWUpdate(p, m, v, g *Tensor, a backend.AdamWArgs) {
	for _, t := range []*Tensor{m, v, g} {
		if !slices.Equal(t.shape, p.shape) || t.dtype != p.dtype || t.dev != p.dev {
			panic(fmt.Sprintf("engine: AdamWUpdate: parameter %v%v on %s with a state or gradient %v%v on %s",
				p.dtype, p.shape, p.dev.Name(), t.dtype, t.shape, t.dev.Name()))
		}
	}
	p.mustFloat("AdamWUpdate")
	if f, ok := p.dev.(backend.FusedAdamW); ok {
		f.AdamWStep(p.buf, m.buf, v.buf, g.buf, a)
		return
	}
	NoGrad(func() {
		np := p
		if a.Decay != 1 {
			np = Scale(p, a.Decay)
		}
		nm := Add(Scale(m, a.Beta1), Scale(g, 1-a.Beta1))
		nv := Add(Scale(v, a.Beta2), Scale(Square(g), 1-a.Beta2))
		// sqrt(v)/sqrt(1-b2^t) divides like PyTorch (no reciprocal).
		denom := AddScalar(Div(Sqrt(nv), Full(p.dev, p.dtype, a.BC2Sqrt)), a.Eps)
		np = Sub(np, Scale(Div(nm, denom), a.StepSize))
		m.CopyFrom(nm)
		v.CopyFrom(nv)
		p.CopyFrom(np)
	})
}
