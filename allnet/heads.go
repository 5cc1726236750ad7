package allnet

import (
	"math"

	"allnet/engine"
	"allnet/nn"
)

// taskHead is one prediction head (ALLNET.md 1.4, as MTL): conv3x3 + norm +
// GELU + conv1x1 on the 1/4-scale J, named <prefix>.{conv, norm, out}. The
// norm is a layer norm over channels or a batch norm (Config.HeadNorm).
type taskHead struct {
	nn.Group
	Task      string
	Conv, Out *nn.Conv2d
	Norm      channelNorm
	depthAct  string
}

func newTaskHead(prefix, task string, c, out int, cfg Config, g *engine.Generator) *taskHead {
	h := &taskHead{
		Task:     task,
		Conv:     nn.NewConv2d(nn.Join(prefix, "conv"), c, c, 3, 1, 1, 1, false, nn.InitDefault, g),
		Out:      nn.NewConv2d(nn.Join(prefix, "out"), c, out, 1, 1, 0, 1, true, nn.InitDefault, g),
		Norm:     newChannelNorm(nn.Join(prefix, "norm"), cfg.HeadNorm, c),
		depthAct: cfg.DepthActivation,
	}
	h.Add(h.Conv, h.Norm, h.Out)
	if task == TaskDepth && cfg.DepthInit > 0 {
		b := cfg.DepthInit
		if cfg.DepthActivation == "softplus" {
			b += math.Log(-math.Expm1(-b)) // log(exp(d) - 1), stable for large d
		}
		engine.NoGrad(func() { h.Out.Bias.CopyFrom(engine.Full(engine.CPU(), engine.Float32, b, out)) })
	}
	return h
}

// Forward maps j (N, C, h, w) to the task output at (oh, ow): logits for
// semseg, parts, edge and saliency; depth through the configured
// activation; normals L2-normalised over channels.
func (h *taskHead) Forward(j *engine.Tensor, oh, ow int) *engine.Tensor {
	x := h.Out.Forward(engine.GELU(h.Norm.Forward(h.Conv.Forward(j))))
	x = engine.Resize(x, oh, ow)
	switch h.Task {
	case TaskDepth:
		switch h.depthAct {
		case "softplus":
			x = engine.Softplus(x)
		case "relu":
			x = engine.ReLU(x)
		}
	case TaskNormals:
		x = l2Normalize(x)
	}
	return x
}

// l2Normalize divides x (N, C, ...) by its L2 norm over axis 1 (plus 1e-12;
// the clamp keeps the gradient of a zero vector finite).
func l2Normalize(x *engine.Tensor) *engine.Tensor {
	n := engine.AddScalar(engine.Sqrt(engine.ClampMin(engine.Sum(engine.Square(x), true, 1), 1e-30)), 1e-12)
	return engine.Div(x, n)
}

// restoreOutInitScale scales the initial weights of the restoration's last
// convolution.
const restoreOutInitScale = 1e-2

// restoreHead predicts the restoration residual from the 1/4-scale P
// ([ours]): two stages of conv3x3 + GELU + bilinear x2 upsampling, then,
// with a refine width, a full-resolution conv3x3 + GELU over the features
// concatenated with the degraded input, then a conv3x3 to RGB (near zero
// at initialisation); named
// <prefix>.{conv1, conv2, refine, out}.
type restoreHead struct {
	nn.Group
	Conv1, Conv2, Refine, Out *nn.Conv2d
}

func newRestoreHead(prefix string, c int, widths [2]int, refine int, g *engine.Generator) *restoreHead {
	r := &restoreHead{
		Conv1: nn.NewConv2d(nn.Join(prefix, "conv1"), c, widths[0], 3, 1, 1, 1, true, nn.InitDefault, g),
		Conv2: nn.NewConv2d(nn.Join(prefix, "conv2"), widths[0], widths[1], 3, 1, 1, 1, true, nn.InitDefault, g),
	}
	r.Add(r.Conv1, r.Conv2)
	last := widths[1]
	if refine > 0 {
		r.Refine = nn.NewConv2d(nn.Join(prefix, "refine"), widths[1]+3, refine, 3, 1, 1, 1, true, nn.InitDefault, g)
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
// padded input size (N, 3, H, W) to a residual (N, 3, H, W).
func (r *restoreHead) Forward(p, degraded01 *engine.Tensor) *engine.Tensor {
	x := engine.GELU(r.Conv1.Forward(p))
	x = engine.Resize(x, 2*x.Dim(2), 2*x.Dim(3))
	x = engine.GELU(r.Conv2.Forward(x))
	hh, ww := degraded01.Dim(2), degraded01.Dim(3)
	x = engine.Resize(x, hh, ww)
	if r.Refine != nil {
		x = engine.GELU(r.Refine.Forward(engine.Concat(1, x, degraded01)))
	}
	return r.Out.Forward(x)
}
