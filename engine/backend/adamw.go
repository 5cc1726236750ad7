package backend

// AdamWArgs are the scalars of one AdamW update (see FusedAdamW).
type AdamWArgs struct {
	Decay        float64 // 1 - lr*weight_decay (1: no decay)
	Beta1, Beta2 float64 // moment decay rates
	StepSize     float64 // lr / (1 - beta1^t)
	BC2Sqrt      float64 // sqrt(1 - beta2^t)
	Eps          float64
}

// FusedAdamW is an optional primitive: one AdamW update of a parameter in
// a single pass over its elements, instead of the dozen elementwise calls
// (each allocating its output) that the engine issues otherwise. For every
// element, with g the gradient:
//
//	p = p*Decay
//	m = Beta1*m + (1-Beta1)*g
//	v = Beta2*v + (1-Beta2)*g*g
//	p = p - StepSize * m / (sqrt(v)/BC2Sqrt + Eps)
//
// p, m and v are updated in place; all four buffers have one length.
type FusedAdamW interface {
	AdamWStep(p, m, v, g Buffer, a AdamWArgs)
}
