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
	Task     string
	In       *convNormGELU
	Out      *nn.Conv2d
	depthAct string
}

func newTaskHead(prefix, task string, c, out int, cfg Config, g *engine.Generator) *taskHead {
	h := &taskHead{
		Task:     task,
		In:       newConvNormGELU(prefix, c, c, 1, cfg.HeadNorm, g),
		Out:      nn.NewConv2d(nn.Join(prefix, "out"), c, out, 1, 1, 0, 1, true, nn.InitDefault, g),
		depthAct: cfg.DepthActivation,
	}
	h.Add(h.In, h.Out)
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
	x := h.Out.Forward(h.In.Forward(j))
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
