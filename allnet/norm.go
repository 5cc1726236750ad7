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
