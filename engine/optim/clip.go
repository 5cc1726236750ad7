package optim

import (
	"fmt"
	"math"

	"allnet/engine"
)

// ClipGradNorm rescales gradients so that their joint L2 norm is at most
// maxNorm, as torch.nn.utils.clip_grad_norm_. Over the parameters whose Grad
// is not nil it computes
//
//	norm = sqrt(sum_i ||g_i||^2)
//	coef = maxNorm / (norm + 1e-6)
//
// and, when coef < 1 (norm > maxNorm - 1e-6, i.e. clipping is needed),
// replaces every gradient by g_i*coef (with SetGrad: gradient tensors are
// never written in place, since leaves may share them). It returns norm,
// the norm before clipping. Each ||g_i||^2 is reduced on the gradient's
// backend (float64 accumulation on the CPU) and the sum and sqrt are in
// float64 on the host. When norm is NaN or infinite the gradients are left
// untouched and norm is returned for the caller to report. With no
// gradients it returns 0. It panics when maxNorm is not > 0.
func ClipGradNorm(params []*engine.Tensor, maxNorm float64) float64 {
	if !(maxNorm > 0) {
		panic(fmt.Sprintf("optim: ClipGradNorm: maxNorm is %g, want > 0", maxNorm))
	}
	var sumSq float64
	engine.NoGrad(func() {
		for _, p := range params {
			if g := p.Grad(); g != nil {
				sumSq += engine.SumAll(engine.Square(g)).Item()
			}
		}
	})
	norm := math.Sqrt(sumSq)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm
	}
	coef := maxNorm / (norm + 1e-6)
	if coef >= 1 {
		return norm
	}
	engine.NoGrad(func() {
		for _, p := range params {
			if g := p.Grad(); g != nil {
				p.SetGrad(engine.Scale(g, coef))
			}
		}
	})
	return norm
}
