package nn

import (
	"fmt"

	"allnet/engine"
)

// GELU is torch.nn.GELU (exact erf form); it has no parameters.
type GELU struct{ leaf }

// Forward returns GELU(x).
func (GELU) Forward(x *engine.Tensor) *engine.Tensor { return engine.GELU(x) }

// Parameters returns nothing.
func (GELU) Parameters() []*engine.Tensor { return nil }

// DropPath is timm's DropPath (stochastic depth): in training it zeroes
// whole samples with probability P and scales the others by 1/(1-P),
// drawing from Gen; in evaluation, or with P == 0, it is the identity.
type DropPath struct {
	leaf
	P   float64
	Gen *engine.Generator
}

// NewDropPath returns a DropPath with probability p drawing from g (g may
// be nil when p is 0). Modules start in evaluation mode.
func NewDropPath(p float64, g *engine.Generator) *DropPath {
	if p < 0 || p >= 1 {
		panic(fmt.Sprintf("nn: NewDropPath: probability %g outside [0, 1)", p))
	}
	if p > 0 && g == nil {
		panic("nn: NewDropPath: nil generator with p > 0")
	}
	return &DropPath{P: p, Gen: g}
}

// Forward applies stochastic depth to x (N, ...).
func (d *DropPath) Forward(x *engine.Tensor) *engine.Tensor {
	return engine.DropPath(x, d.P, d.training, d.Gen)
}

// Parameters returns nothing.
func (d *DropPath) Parameters() []*engine.Tensor { return nil }
