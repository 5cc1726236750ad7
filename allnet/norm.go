package allnet

import (
	"allnet/engine"
	"allnet/nn"
)

// Norm kinds of Config.HeadNorm and Config.DecoderNorm.
const (
	NormLayer = "ln" // layer norm over channels (eps 1e-6)
	NormBatch = "bn" // batch norm (running statistics in evaluation)
)

// channelNorm is a norm over the channels of (N, C, H, W) features.
type channelNorm interface {
	nn.Module
	Forward(x *engine.Tensor) *engine.Tensor
}

// newChannelNorm returns a batch norm for NormBatch, else a layer norm over
// channels (NormLayer, and "" as configurations written before the choice
// existed), named prefix.
func newChannelNorm(prefix, kind string, c int) channelNorm {
	if kind == NormBatch {
		return nn.NewBatchNorm2d(prefix, c)
	}
	return nn.NewLayerNormChannelsFirst(prefix, c, 1e-6)
}

// validNorm reports whether kind names a norm ("" counts as NormLayer).
func validNorm(kind string) bool { return kind == "" || kind == NormLayer || kind == NormBatch }

// convNormGELU is conv3x3 (no bias) + channel norm + GELU, named
// <prefix>.{conv, norm}.
type convNormGELU struct {
	nn.Group
	Conv *nn.Conv2d
	Norm channelNorm
}

func newConvNormGELU(prefix string, in, out, stride int, norm string, g *engine.Generator) *convNormGELU {
	c := &convNormGELU{
		Conv: nn.NewConv2d(nn.Join(prefix, "conv"), in, out, 3, stride, 1, 1, false, nn.InitDefault, g),
		Norm: newChannelNorm(nn.Join(prefix, "norm"), norm, out),
	}
	c.Add(c.Conv, c.Norm)
	return c
}

// Forward applies conv, norm and GELU to x (N, C, H, W).
func (c *convNormGELU) Forward(x *engine.Tensor) *engine.Tensor {
	return engine.GELU(c.Norm.Forward(c.Conv.Forward(x)))
}
