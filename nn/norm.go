package nn

import "allnet/engine"

// LayerNorm is torch.nn.LayerNorm over one axis of C values with Weight and
// Bias (C) named prefix.weight and prefix.bias (initialised to 1 and 0).
// Channels-last (the default) normalises the last axis of (..., C);
// ChannelsFirst normalises axis 1 of (N, C, ...) (InternImage's LayerNorm in
// channels_first form, without the permutes of its Sequential).
type LayerNorm struct {
	leaf
	Weight, Bias  *engine.Tensor
	Eps           float64
	ChannelsFirst bool
}

// NewLayerNorm returns a channels-last layer norm over c channels.
// InternImage uses eps 1e-6; PyTorch's default is 1e-5.
func NewLayerNorm(prefix string, c int, eps float64) *LayerNorm {
	return &LayerNorm{
		Weight: engine.Param(Join(prefix, "weight"), ones(c)),
		Bias:   engine.Param(Join(prefix, "bias"), engine.Zeros(c)),
		Eps:    eps,
	}
}

// NewLayerNormChannelsFirst returns a layer norm over axis 1 of (N, C, ...).
func NewLayerNormChannelsFirst(prefix string, c int, eps float64) *LayerNorm {
	l := NewLayerNorm(prefix, c, eps)
	l.ChannelsFirst = true
	return l
}

// Forward normalises x.
func (l *LayerNorm) Forward(x *engine.Tensor) *engine.Tensor {
	if l.ChannelsFirst {
		return engine.LayerNormChannels(x, l.Weight, l.Bias, l.Eps)
	}
	return engine.LayerNorm(x, l.Weight, l.Bias, l.Eps)
}

// Parameters returns the weight and the bias.
func (l *LayerNorm) Parameters() []*engine.Tensor { return params(l.Weight, l.Bias) }
