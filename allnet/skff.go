package allnet

import (
	"fmt"
	"slices"

	"allnet/engine"
	"allnet/nn"
)

// SKFF is selective kernel feature fusion of two NCHW maps, as MIRNet's SKFF
// (swz30/MIRNet, networks/MIRNet_model.py, class SKFF, with height 2,
// reduction 8 and no biases), used by ALLNet to let the restoration features
// P guide the prediction features J~ (ALLNET.md 1.3, step 3):
//
//	U = P + J~;  Z = PReLU(conv_du.0(GAP(U)))         (N, d, 1, 1), d = max(C/8, 4)
//	a1 = fcs.0(Z), a2 = fcs.1(Z)                       (N, C, 1, 1) each
//	(s1, s2) = softmax over the pair (a1, a2)          per image and channel
//	J = s1*P + s2*J~
//
// The weights s1, s2 are per channel, as in MIRNet (the summary's scalar
// "s1, s2" is read as these vectors). Parameters (MIRNet's names):
// conv_du.0.weight (d, C, 1, 1), conv_du.1.weight (1) (the PReLU slope,
// 0.25 at start), fcs.0.weight and fcs.1.weight (C, d, 1, 1); the 1x1
// convolutions are initialised as PyTorch's nn.Conv2d.
type SKFF struct {
	nn.Group
	Down  *nn.Conv2d     // conv_du.0
	Slope *engine.Tensor // conv_du.1.weight, the PReLU slope
	FC    [2]*nn.Conv2d  // fcs.0 (for P), fcs.1 (for J~)
}

// NewSKFF returns an SKFF of width c named under prefix, with weights drawn
// from g.
func NewSKFF(prefix string, c int, g *engine.Generator) *SKFF {
	if c <= 0 {
		panic(fmt.Sprintf("allnet: NewSKFF: width %d", c))
	}
	d := max(c/8, 4)
	s := &SKFF{
		Down:  nn.NewConv2d(nn.Join(prefix, "conv_du.0"), c, d, 1, 1, 0, 1, false, nn.InitDefault, g),
		Slope: engine.Param(nn.Join(prefix, "conv_du.1.weight"), engine.Full(engine.CPU(), engine.Float32, 0.25, 1)),
	}
	for i := range s.FC {
		s.FC[i] = nn.NewConv2d(nn.Join(prefix, fmt.Sprintf("fcs.%d", i)), d, c, 1, 1, 0, 1, false, nn.InitDefault, g)
	}
	s.Add(s.Down, s.FC[0], s.FC[1])
	return s
}

// Parameters returns the parameters in MIRNet's state_dict order.
func (s *SKFF) Parameters() []*engine.Tensor {
	out := append(s.Down.Parameters(), s.Slope)
	return append(append(out, s.FC[0].Parameters()...), s.FC[1].Parameters()...)
}

// Weights returns the fusion weights (s1, s2), each (N, C, 1, 1), for p and
// j (N, C, H, W).
func (s *SKFF) Weights(p, j *engine.Tensor) (s1, s2 *engine.Tensor) {
	if p.Rank() != 4 || !slices.Equal(p.Shape(), j.Shape()) {
		panic(fmt.Sprintf("allnet: SKFF: inputs %v and %v, want two equal (N, C, H, W)", p.Shape(), j.Shape()))
	}
	z := skffPReLU(s.Down.Forward(engine.GlobalAvgPool(engine.Add(p, j))), s.Slope)
	a := engine.Softmax(engine.Concat(1, engine.Unsqueeze(s.FC[0].Forward(z), 1), engine.Unsqueeze(s.FC[1].Forward(z), 1)), 1)
	parts := engine.Split(a, 1, 1, 1)
	return engine.Squeeze(parts[0], 1), engine.Squeeze(parts[1], 1)
}

// Forward fuses p and j (N, C, H, W) into s1*p + s2*j.
func (s *SKFF) Forward(p, j *engine.Tensor) *engine.Tensor {
	s1, s2 := s.Weights(p, j)
	return engine.Add(engine.Mul(s1, p), engine.Mul(s2, j))
}

// skffPReLU is torch.nn.PReLU with one shared slope a (1): max(x, 0) + a*min(x, 0).
func skffPReLU(x, a *engine.Tensor) *engine.Tensor {
	return engine.Sub(engine.ReLU(x), engine.Mul(a, engine.ReLU(engine.Neg(x))))
}
