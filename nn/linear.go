package nn

import "allnet/engine"

// Linear is torch.nn.Linear: y = x W^T + b over the last axis of x, with
// Weight (out, in) named prefix.weight and an optional Bias (out) named
// prefix.bias.
type Linear struct {
	leaf
	Weight, Bias *engine.Tensor
}

// NewLinear returns a Linear layer in -> out named under prefix, with its
// weight (and bias) drawn from g as init says.
func NewLinear(prefix string, in, out int, bias bool, init Init, g *engine.Generator) *Linear {
	w, b := initWeights(init, g, []int{out, in}, in, out, out, bias)
	l := &Linear{Weight: engine.Param(Join(prefix, "weight"), w)}
	if b != nil {
		l.Bias = engine.Param(Join(prefix, "bias"), b)
	}
	return l
}

// Forward applies the layer to x (..., in), giving (..., out).
func (l *Linear) Forward(x *engine.Tensor) *engine.Tensor {
	return engine.Linear(x, l.Weight, l.Bias)
}

// Parameters returns the weight and, if present, the bias.
func (l *Linear) Parameters() []*engine.Tensor { return params(l.Weight, l.Bias) }
