package allnet

import (
	"allnet/engine"
	"allnet/nn"
)

// restoreOutInitScale scales the initial weights of the restoration's last
// convolution.
const restoreOutInitScale = 1e-2

// restoreHead predicts the restoration residual from the 1/4-scale P
// ([ours]): two stages of conv3x3 + GELU + bilinear upsampling (to 1/2,
// then to the input size), then, with a refine width, a full-resolution
// conv3x3 + GELU over the features concatenated with the degraded input,
// then a conv3x3 to RGB (near zero at initialisation). With input features
// (Config.RestoreInput) the degraded image also gets its own short encoder,
// conv3x3 + norm + GELU at full resolution and again with stride 2, whose
// outputs join the path at 1/2 and at full resolution (a U-Net's skips on
// the restoration side). With the degradation-type head
// (Config.DegradeHead) its class probabilities join the refinement's input
// as constant planes, so the full-resolution stage knows what it undoes.
// Named <prefix>.{conv1, conv2, refine, out,
// in0.conv, in0.norm, in1.conv, in1.norm}.
type restoreHead struct {
	nn.Group
	Conv1, Conv2, Refine, Out *nn.Conv2d
	In0, In1                  *convNormGELU
}

func newRestoreHead(prefix string, c int, cfg Config, g *engine.Generator) *restoreHead {
	widths, refine, in := cfg.RestoreWidths, cfg.RestoreRefine, cfg.RestoreInput
	cond := 0
	if cfg.DegradeHead {
		cond = len(DegradeClasses)
	}
	r := &restoreHead{
		Conv1: nn.NewConv2d(nn.Join(prefix, "conv1"), c, widths[0], 3, 1, 1, 1, true, nn.InitDefault, g),
		Conv2: nn.NewConv2d(nn.Join(prefix, "conv2"), widths[0]+in, widths[1], 3, 1, 1, 1, true, nn.InitDefault, g),
	}
	r.Add(r.Conv1, r.Conv2)
	if in > 0 {
		r.In0 = newConvNormGELU(nn.Join(prefix, "in0"), 3, in, 1, cfg.HeadNorm, g)
		r.In1 = newConvNormGELU(nn.Join(prefix, "in1"), in, in, 2, cfg.HeadNorm, g)
		r.Add(r.In0, r.In1)
	}
	last := widths[1]
	if refine > 0 {
		r.Refine = nn.NewConv2d(nn.Join(prefix, "refine"), widths[1]+3+in+cond, refine, 3, 1, 1, 1, true, nn.InitDefault, g)
		r.Add(r.Refine)
		last = refine
	}
	// The last convolution starts near zero ([ours]: PyTorch's default
	// weights scaled by restoreOutInitScale, zero bias): a new model
	// returns almost exactly the degraded input, and training moves away
	// from the identity where that lowers the loss (mildly degraded images
	// start near the clean image), while every weight still gets a
	// gradient from the first step.
	r.Out = nn.NewConv2d(nn.Join(prefix, "out"), last, 3, 3, 1, 1, 1, true, nn.InitDefault, g)
	engine.NoGrad(func() {
		r.Out.Weight.CopyFrom(engine.Scale(r.Out.Weight, restoreOutInitScale))
		r.Out.Bias.CopyFrom(engine.Scale(r.Out.Bias, 0))
	})
	r.Add(r.Out)
	return r
}

// Forward maps p (N, C, h, w) and the degraded input in [0, 1] at the
// padded input size (N, 3, H, W) to a residual (N, 3, H, W). prob, the
// degradation-type head's class probabilities (N, K), joins the refinement
// as K constant planes (nil without the head).
func (r *restoreHead) Forward(p, degraded01, prob *engine.Tensor) *engine.Tensor {
	hh, ww := degraded01.Dim(2), degraded01.Dim(3)
	x := engine.GELU(r.Conv1.Forward(p))
	var s0, s1 *engine.Tensor
	if r.In0 != nil {
		s0 = r.In0.Forward(degraded01)
		s1 = r.In1.Forward(s0)
		x = engine.Concat(1, engine.Resize(x, s1.Dim(2), s1.Dim(3)), s1)
	} else {
		x = engine.Resize(x, 2*x.Dim(2), 2*x.Dim(3))
	}
	x = engine.GELU(r.Conv2.Forward(x))
	x = engine.Resize(x, hh, ww)
	if r.Refine != nil {
		parts := []*engine.Tensor{x, degraded01}
		if s0 != nil {
			parts = append(parts, s0)
		}
		if prob != nil {
			n, k := prob.Dim(0), prob.Dim(1)
			parts = append(parts, engine.Expand(engine.Reshape(prob, n, k, 1, 1), n, k, hh, ww))
		}
		x = engine.GELU(r.Refine.Forward(engine.Concat(1, parts...)))
	}
	return r.Out.Forward(x)
}
