package nn

import (
	"fmt"

	"allnet/engine"
)

// MDTA is Restormer's multi-Dconv-head transposed attention on x
// (B, C, H, W): attention across channels rather than pixels, so its cost
// grows linearly with H*W. With heads H and c = C/H channels per head:
//
//	q, k, v = split(dwconv3x3(conv1x1(x)))      each (B, C, H, W)
//	q, k, v -> (B, H, c, HW); q, k L2-normalised along HW (eps 1e-12)
//	attn = softmax((q k^T) * temperature_h)      (B, H, c, c), over the last axis
//	out = project_out(attn v -> (B, C, H, W))
//
// Parameters (Restormer's names): qkv.weight (3C, C, 1, 1), qkv_dwconv.weight
// (3C, 1, 3, 3), project_out.weight (C, C, 1, 1), each with .bias when the
// layer has biases (Restormer's default is none), and temperature (H, 1, 1).
type MDTA struct {
	Dim, Heads  int
	QKV         *engine.Tensor // qkv.weight (3C, C, 1, 1)
	QKVBias     *engine.Tensor // qkv.bias (3C) or nil
	DW          *engine.Tensor // qkv_dwconv.weight (3C, 1, 3, 3)
	DWBias      *engine.Tensor // qkv_dwconv.bias (3C) or nil
	Out         *engine.Tensor // project_out.weight (C, C, 1, 1)
	OutBias     *engine.Tensor // project_out.bias (C) or nil
	Temperature *engine.Tensor // temperature (H, 1, 1)
	Training    bool
}

// NewMDTA returns an MDTA layer of width dim with heads heads, with or
// without convolution biases, its float32 parameters named under prefix:
// convolutions initialised as PyTorch's nn.Conv2d (weights and biases
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in channels per group times
// kernel area) from g, temperature 1.
func NewMDTA(prefix string, dim, heads int, bias bool, g *engine.Generator) *MDTA {
	if dim <= 0 || heads <= 0 || dim%heads != 0 {
		panic(fmt.Sprintf("nn: NewMDTA: width %d is not a positive multiple of %d heads", dim, heads))
	}
	conv := func(name string, in, out, k, groups int) (*engine.Tensor, *engine.Tensor) {
		c := NewConv2d(Join(prefix, name), in, out, k, 1, 0, groups, bias, InitDefault, g)
		return c.Weight, c.Bias
	}
	m := &MDTA{Dim: dim, Heads: heads, Training: true}
	m.QKV, m.QKVBias = conv("qkv", dim, 3*dim, 1, 1)
	m.DW, m.DWBias = conv("qkv_dwconv", 3*dim, 3*dim, 3, 3*dim)
	m.Out, m.OutBias = conv("project_out", dim, dim, 1, 1)
	m.Temperature = engine.Param(Join(prefix, "temperature"), ones(heads, 1, 1))
	return m
}

// Parameters returns the parameters in Restormer's registration order
// (temperature, qkv, qkv_dwconv, project_out).
func (m *MDTA) Parameters() []*engine.Tensor {
	return params(m.Temperature, m.QKV, m.QKVBias, m.DW, m.DWBias, m.Out, m.OutBias)
}

// Buffers returns nothing: the layer has no buffers.
func (m *MDTA) Buffers() []*engine.Tensor { return nil }

// SetTraining records the mode; the layer behaves the same in both.
func (m *MDTA) SetTraining(train bool) { m.Training = train }

// Forward runs transposed attention on x (B, C, H, W) and returns
// (B, C, H, W).
func (m *MDTA) Forward(x *engine.Tensor) *engine.Tensor {
	if x.Rank() != 4 || x.Dim(1) != m.Dim {
		panic(fmt.Sprintf("nn: MDTA: input %v, want (B, %d, H, W)", x.Shape(), m.Dim))
	}
	b, c, h, w := x.Dim(0), m.Dim, x.Dim(2), x.Dim(3)
	heads := m.Heads
	qkv := engine.Conv2d(x, m.QKV, m.QKVBias, engine.ConvOptions{})
	qkv = engine.Conv2d(qkv, m.DW, m.DWBias, engine.ConvOptions{Padding: [2]int{1, 1}, Groups: 3 * c})
	// (B, 3C, H, W) -> (B, 3, H, c, HW): q, k, v per head.
	parts := engine.Split(engine.Reshape(qkv, b, 3, heads, c/heads, h*w), 1, 1, 1, 1)
	q := l2Normalize(engine.Squeeze(parts[0], 1))
	k := l2Normalize(engine.Squeeze(parts[1], 1))
	v := engine.Squeeze(parts[2], 1)
	// softmax(t * q k^T) v, with t folded into q and unit scale.
	o := engine.ScaledDotProductAttention(engine.Mul(q, m.Temperature), k, v, nil, 1)
	return engine.Conv2d(engine.Reshape(o, b, c, h, w), m.Out, m.OutBias, engine.ConvOptions{})
}

// l2Normalize divides x by the L2 norm of each row along its last axis,
// clamped below at 1e-12 as torch.nn.functional.normalize.
func l2Normalize(x *engine.Tensor) *engine.Tensor {
	return engine.Div(x, engine.ClampMin(engine.Sqrt(engine.Sum(engine.Square(x), true, -1)), 1e-12))
}
