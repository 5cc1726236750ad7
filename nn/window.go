package nn

import (
	"fmt"
	"math"

	"allnet/engine"
)

// WindowAttention is multi-head self-attention inside non-overlapping
// windows of a channels-last feature map x (B, H, W, C), the M1 branch of
// the MaE experts (ALLNET.md 1.3): the window is Window x Window, clamped
// to H and W; H and W are padded with zeros up to multiples of it, the
// padded positions are masked out as keys (a -Inf score bias, so they get no
// weight), and the output is cropped back to (B, H, W, C). Per window of N
// tokens:
//
//	q, k, v = split(x Wqkv^T + bqkv)      (N, 3C) -> heads of C/H channels
//	o_h = softmax(q_h k_h^T / sqrt(C/H) + mask) v_h
//	out = concat_h(o_h) Wproj^T + bproj
//
// Parameters (Swin's names): qkv.weight (3C, C), qkv.bias, proj.weight
// (C, C), proj.bias. There is no relative position bias table (ALLNET.md
// does not call for one) and no shifted windows.
type WindowAttention struct {
	Dim, Heads, Window int
	QKVWeight          *engine.Tensor // qkv.weight (3C, C)
	QKVBias            *engine.Tensor // qkv.bias (3C)
	ProjWeight         *engine.Tensor // proj.weight (C, C)
	ProjBias           *engine.Tensor // proj.bias (C)
	Training           bool
}

// NewWindowAttention returns window attention of width dim with heads heads
// and window size window, its float32 parameters named under prefix and
// initialised as PyTorch's nn.Linear (weights and biases
// U(-1/sqrt(C), 1/sqrt(C))) from g.
func NewWindowAttention(prefix string, dim, heads, window int, g *engine.Generator) *WindowAttention {
	if dim <= 0 || heads <= 0 || dim%heads != 0 || window <= 0 {
		panic(fmt.Sprintf("nn: NewWindowAttention: width %d, %d heads, window %d (want a positive width divisible by the heads and a positive window)", dim, heads, window))
	}
	qkvW, qkvB := initWeights(InitDefault, g, []int{3 * dim, dim}, dim, 3*dim, 3*dim, true)
	projW, projB := initWeights(InitDefault, g, []int{dim, dim}, dim, dim, dim, true)
	return &WindowAttention{
		Dim: dim, Heads: heads, Window: window,
		QKVWeight:  engine.Param(Join(prefix, "qkv.weight"), qkvW),
		QKVBias:    engine.Param(Join(prefix, "qkv.bias"), qkvB),
		ProjWeight: engine.Param(Join(prefix, "proj.weight"), projW),
		ProjBias:   engine.Param(Join(prefix, "proj.bias"), projB),
		Training:   true,
	}
}

// Parameters returns qkv.weight, qkv.bias, proj.weight and proj.bias.
func (m *WindowAttention) Parameters() []*engine.Tensor {
	return []*engine.Tensor{m.QKVWeight, m.QKVBias, m.ProjWeight, m.ProjBias}
}

// Buffers returns nothing: the layer has no buffers.
func (m *WindowAttention) Buffers() []*engine.Tensor { return nil }

// SetTraining records the mode; the layer behaves the same in both.
func (m *WindowAttention) SetTraining(train bool) { m.Training = train }

// Forward runs windowed self-attention on x (B, H, W, C) and returns
// (B, H, W, C).
func (m *WindowAttention) Forward(x *engine.Tensor) *engine.Tensor {
	if x.Rank() != 4 || x.Dim(3) != m.Dim {
		panic(fmt.Sprintf("nn: WindowAttention: input %v, want (B, H, W, %d)", x.Shape(), m.Dim))
	}
	b, h, w, c := x.Dim(0), x.Dim(1), x.Dim(2), m.Dim
	wh, ww := min(m.Window, h), min(m.Window, w)
	ph, pw := (wh-h%wh)%wh, (ww-w%ww)%ww
	if ph > 0 || pw > 0 {
		x = engine.Pad(x, 0, [2]int{0, 0}, [2]int{0, ph}, [2]int{0, pw})
	}
	nh, nw := (h+ph)/wh, (w+pw)/ww
	nwin, n, heads, d := nh*nw, wh*ww, m.Heads, c/m.Heads
	// (B, nh*wh, nw*ww, C) -> (B, nh, nw, wh, ww, C) -> (B, nWin, N, C)
	t := engine.Reshape(engine.Permute(engine.Reshape(x, b, nh, wh, nw, ww, c), 0, 1, 3, 2, 4, 5), b, nwin, n, c)
	qkv := engine.Linear(t, m.QKVWeight, m.QKVBias) // (B, nWin, N, 3C)
	qkv = engine.Permute(engine.Reshape(qkv, b, nwin, n, 3, heads, d), 3, 0, 1, 4, 2, 5)
	parts := engine.Split(qkv, 0, 1, 1, 1) // each (1, B, nWin, H, N, d)
	var mask *engine.Tensor
	if ph > 0 || pw > 0 {
		mask = windowPadMask(x, h, w, wh, ww, nh, nw, heads)
	}
	o := engine.ScaledDotProductAttention(engine.Squeeze(parts[0], 0), engine.Squeeze(parts[1], 0), engine.Squeeze(parts[2], 0), mask, 0)
	o = engine.Reshape(engine.Permute(o, 0, 1, 3, 2, 4), b, nwin, n, c) // (B, nWin, N, C)
	o = engine.Linear(o, m.ProjWeight, m.ProjBias)
	o = engine.Reshape(engine.Permute(engine.Reshape(o, b, nh, nw, wh, ww, c), 0, 1, 3, 2, 4, 5), b, nh*wh, nw*ww, c)
	if ph > 0 || pw > 0 {
		o = engine.Slice(engine.Slice(o, 1, 0, h), 2, 0, w)
	}
	return o
}

// windowPadMask returns the score bias (nWin, heads, N, N) that is -Inf for
// keys at padded positions (row >= h or column >= w) and 0 elsewhere, on
// like's device and dtype.
func windowPadMask(like *engine.Tensor, h, w, wh, ww, nh, nw, heads int) *engine.Tensor {
	n := wh * ww
	data := make([]float64, nh*nw*heads*n*n)
	inf := math.Inf(-1)
	for i := range nh {
		for j := range nw {
			win := (i*nw + j) * heads * n * n
			for key := range n {
				if i*wh+key/ww < h && j*ww+key%ww < w {
					continue
				}
				for hq := range heads * n {
					data[win+hq*n+key] = inf
				}
			}
		}
	}
	return engine.FromValues(like.Backend(), like.DType(), data, nh*nw, heads, n, n)
}
