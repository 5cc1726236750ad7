package nn

import "allnet/engine"

// MLP is InternImage's MLPLayer (and timm's Mlp without dropout):
// fc2(GELU(fc1(x))) over the last axis, with children named prefix.fc1 and
// prefix.fc2.
type MLP struct {
	Group
	FC1, FC2 *Linear
}

// NewMLP returns an MLP in -> hidden -> out with linear layers initialised
// as init says.
func NewMLP(prefix string, in, hidden, out int, init Init, g *engine.Generator) *MLP {
	m := &MLP{
		FC1: NewLinear(Join(prefix, "fc1"), in, hidden, true, init, g),
		FC2: NewLinear(Join(prefix, "fc2"), hidden, out, true, init, g),
	}
	m.Add(m.FC1, m.FC2)
	return m
}

// Forward applies the MLP to x (..., in).
func (m *MLP) Forward(x *engine.Tensor) *engine.Tensor {
	return m.FC2.Forward(engine.GELU(m.FC1.Forward(x)))
}
