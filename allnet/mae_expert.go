package allnet

import (
	"fmt"
	"math"

	"allnet/engine"
	"allnet/nn"
)

// maeExpert is one MaE expert (ALLNET.md 1.3, our reading marked [ours]):
//
//	h = proj_in(x)                          1x1 conv C -> Ci
//	h1, h2, h3 = split(h) by channels       w = Ci/3 each
//	m1 = WindowAttention(h1)                 window Wi, on NHWC
//	m2 = dwconv(h2; K(GAP(h2))) * sigmoid(pw(h2))
//	m3 = fc2(GELU(fc1(h3)))                  per-pixel channel MLP
//	o_i = m_i + lambda_i * sigmoid(sum_{j != i} m_j)
//	y = proj_out(concat(o1, o2, o3))         1x1 conv Ci -> C
//
// [ours] Ci = C*i/n rounded to the nearest multiple of 3 (at least 3) so
// that the three branches have equal widths and the interaction sums
// type-check. M2's dynamic kernels: a Linear (w -> 9w) on GAP(h2) predicts a
// 3x3 depthwise kernel per image and channel (its bias is the static part of
// the kernel), applied as one grouped convolution over the batch folded
// into channels; omega is a sigmoid gate of a pointwise conv. M3: the
// "window MLP" is read as an MLP over channels applied at every pixel
// (1x1 convs): a token-mixing MLP inside windows would need weights sized by
// the window, which is clamped to the feature size only at run time.
type maeExpert struct {
	nn.Group
	width, window     int // branch width w and (unclamped) window size
	projIn, projOut   *nn.Conv2d
	attn              *nn.WindowAttention
	kernel            *nn.Linear     // dyn.kernel: (9w, w)
	pointwise         *nn.Conv2d     // dyn.pw
	fc1, fc2          *nn.Conv2d     // mlp.fc1, mlp.fc2
	interact          *engine.Tensor // interact: lambda (3)
	interactParameter interactParam
}

// interactParam exposes the interaction weights lambda (3) as a module.
type interactParam struct{ t *engine.Tensor }

func (p interactParam) Parameters() []*engine.Tensor { return []*engine.Tensor{p.t} }
func (p interactParam) Buffers() []*engine.Tensor    { return nil }
func (p interactParam) SetTraining(bool)             {}

// maeInteractInit is the initial value of the branch interaction weights
// lambda_i [ours].
const maeInteractInit = 0.1

// maeExpertWidth returns Ci for expert i (0-based) of n over c channels.
func maeExpertWidth(c, i, n int) int {
	return 3 * max(1, int(math.Round(float64(c*(i+1))/float64(3*n))))
}

// maeHeads returns the attention heads of a branch of width w for a target
// head width hw: w/hw (at least 1), lowered until it divides w.
func maeHeads(w, hw int) int {
	h := max(1, w/max(hw, 1))
	for w%h != 0 {
		h--
	}
	return h
}

// newMaEExpert builds expert i (0-based) of a block of width c.
func newMaEExpert(prefix string, c, i int, cfg MaEConfig, g *engine.Generator) *maeExpert {
	ci := maeExpertWidth(c, i, cfg.Experts)
	w := ci / 3
	hidden := max(1, int(math.Round(float64(w)*cfg.MLPRatio)))
	lam := engine.Full(engine.CPU(), engine.Float32, maeInteractInit, 3)
	e := &maeExpert{
		width: w, window: cfg.Windows[i],
		projIn:    nn.NewConv2d(nn.Join(prefix, "proj_in"), c, ci, 1, 1, 0, 1, true, nn.InitDefault, g),
		attn:      nn.NewWindowAttention(nn.Join(prefix, "attn"), w, maeHeads(w, cfg.Heads), cfg.Windows[i], g),
		kernel:    nn.NewLinear(nn.Join(prefix, "dyn.kernel"), w, 9*w, true, nn.InitDefault, g),
		pointwise: nn.NewConv2d(nn.Join(prefix, "dyn.pw"), w, w, 1, 1, 0, 1, true, nn.InitDefault, g),
		fc1:       nn.NewConv2d(nn.Join(prefix, "mlp.fc1"), w, hidden, 1, 1, 0, 1, true, nn.InitDefault, g),
		fc2:       nn.NewConv2d(nn.Join(prefix, "mlp.fc2"), hidden, w, 1, 1, 0, 1, true, nn.InitDefault, g),
		projOut:   nn.NewConv2d(nn.Join(prefix, "proj_out"), ci, c, 1, 1, 0, 1, true, nn.InitDefault, g),
		interact:  engine.Param(nn.Join(prefix, "interact"), lam),
	}
	e.interactParameter = interactParam{e.interact}
	e.Add(e.projIn, e.attn, e.kernel, e.pointwise, e.fc1, e.fc2, e.interactParameter, e.projOut)
	return e
}

// Forward maps x (m, C, H, W) to the expert's output (m, C, H, W).
func (e *maeExpert) Forward(x *engine.Tensor) *engine.Tensor {
	if x.Rank() != 4 {
		panic(fmt.Sprintf("allnet: MaE expert: input %v, want (N, C, H, W)", x.Shape()))
	}
	m, hh, ww, w := x.Dim(0), x.Dim(2), x.Dim(3), e.width
	parts := engine.Split(e.projIn.Forward(x), 1, w, w, w)

	// M1: window self-attention on NHWC.
	m1 := engine.Permute(e.attn.Forward(engine.Permute(parts[0], 0, 2, 3, 1)), 0, 3, 1, 2)

	// M2: per-image dynamic depthwise 3x3, gated by sigmoid(pointwise).
	h2 := parts[1]
	k := e.kernel.Forward(engine.Reshape(engine.GlobalAvgPool(h2), m, w)) // (m, 9w)
	dw := engine.Conv2d(engine.Reshape(h2, 1, m*w, hh, ww), engine.Reshape(k, m*w, 1, 3, 3), nil,
		engine.ConvOptions{Padding: [2]int{1, 1}, Groups: m * w})
	m2 := engine.Mul(engine.Reshape(dw, m, w, hh, ww), engine.Sigmoid(e.pointwise.Forward(h2)))

	// M3: per-pixel channel MLP.
	m3 := e.fc2.Forward(engine.GELU(e.fc1.Forward(parts[2])))

	// Mutual interaction: o_i = m_i + lambda_i * sigmoid(sum_{j != i} m_j).
	ms := []*engine.Tensor{m1, m2, m3}
	outs := make([]*engine.Tensor, 3)
	for i, mi := range ms {
		others := engine.Add(ms[(i+1)%3], ms[(i+2)%3])
		lam := engine.Slice(e.interact, 0, i, i+1)
		outs[i] = engine.Add(mi, engine.Mul(lam, engine.Sigmoid(others)))
	}
	return e.projOut.Forward(engine.Concat(1, outs...))
}
