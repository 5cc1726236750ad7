package allnet

import (
	"fmt"
	"math"
	"slices"

	"allnet/engine"
	"allnet/nn"
)

// TCRConfig configures task-aware collaborative refinement (ALLNET.md 1.3).
type TCRConfig struct {
	// Iterations is the number of TCR rounds ("It", best 5 [SUPP]); every
	// round uses the same weights [ours]. 0 passes P and J through.
	Iterations int
	// Heads is the number of heads of the two transposed attentions (MDTA
	// and AFU) [ours: 4]; when it does not divide the width, tcrGCD(width,
	// Heads) heads are used. <= 0 means 4.
	Heads int
	// Lambda is the initial value of the learnable lambda that scales the
	// J-derived part of the task tokens [ours: 0.1].
	Lambda float64
	// FFNRatio is the hidden width of the output FFN over the width
	// [ours: 2]. <= 0 means 2.
	FFNRatio float64
}

// DefaultTCRConfig returns It = 5, 4 heads, lambda 0.1 and FFN ratio 2.
func DefaultTCRConfig() TCRConfig {
	return TCRConfig{Iterations: 5, Heads: 4, Lambda: 0.1, FFNRatio: 2}
}

// tcrNormEps is the epsilon of TCR's layer norms (Restormer's, PyTorch's
// default).
const tcrNormEps = 1e-5

// TCR is task-aware collaborative refinement of the restoration features P
// and the prediction features J (N, C, H, W) over T tasks. One round, with
// our reading of the summary's formulas marked [ours]:
//
// CTI (cross-task interaction):
//
//	theta = theta_rand + lambda * MLP(GAP(J))          (N, T, C)
//	A = softmax(Q(theta) K(theta)^T / sqrt(C))         (N, T, T)
//	theta' = A theta;  P'_t = theta'_t (.) P           (channel-wise)
//	R_t = P'_t + MDTA(LN(P'_t))                        per task, shared weights
//	Pm = mean_t R_t                                    = pOut
//
// AFU (adaptive feature update) and the FFN:
//
//	J' = J + TA(q = W_q(LN(J)), k = W_k(LN(Pm)), v = W_v(LN(Pm)))
//	jOut = J' + fc2(GELU(fc1(LN(J'))))
//
// Choices [ours]:
//   - J~_t = J for every task: at this point the prediction stream is shared
//     by all tasks, so the tokens differ through theta_rand (T, C), which
//     starts at 1 + N(0, 0.02^2) so that P'_t starts near P.
//   - "P_t = theta_t x P" is channel-wise modulation. The summary's
//     P'_all = A P_all then equals theta'_t (.) P exactly (P_t is linear in
//     theta_t), which is what is computed: no (T x CHW) matrix product.
//   - The intra-task refinement is a Restormer attention half-block
//     (pre-norm MDTA with a residual), one MDTA shared by the tasks.
//   - Pm (the summary's P double-prime, the map AFU reads, and pOut) is the mean of the refined task
//     features over the tasks.
//   - AFU's attention TA is channel-wise (transposed, as MDTA: per head
//     softmax(temperature * q k^T) over C/heads x C/heads with q, k
//     L2-normalised over the pixels, temperature learned, starting at 1)
//     rather than over pixels: (HW)^2 attention at 1/4 scale of 288x384
//     is 6912^2 per head, too big. The learned temperature replaces the
//     summary's 1/sqrt(C). W_q, W_k, W_v are 1x1 convolutions with bias;
//     there is no output projection (the formula has none).
//   - Pre-norm layer norms over channels (eps 1e-5) before MDTA, both AFU
//     inputs and the FFN; the token MLP is C -> C -> C with GELU; Q and K
//     of the tokens are linear layers, Q with a bias, K without (a key bias
//     adds the same q.b to every key of a query and cancels in the softmax:
//     it would be a parameter that never learns).
//
// Parameter names under the prefix: theta_rand (T, C), lambda (1),
// token_mlp.{fc1,fc2}, token_q, token_k, norm_p, mdta (nn.MDTA, no bias),
// afu.{norm_q, norm_kv, q, k, v, temperature}, ffn.{norm, fc1, fc2}. Linear
// and convolution weights start as PyTorch's defaults.
type TCR struct {
	nn.Group
	Config            TCRConfig
	Dim, Tasks, Heads int

	ThetaRand *engine.Tensor // theta_rand (T, C)
	Lambda    *engine.Tensor // lambda (1)
	TokenMLP  *nn.MLP
	TokenQ    *nn.Linear
	TokenK    *nn.Linear
	NormP     *nn.LayerNorm
	MDTA      *nn.MDTA

	NormQ, NormKV *nn.LayerNorm
	Q, K, V       *nn.Conv2d
	Temperature   *engine.Tensor // afu.temperature (heads, 1, 1)

	FFNNorm  *nn.LayerNorm
	FFN1     *nn.Conv2d
	FFN2     *nn.Conv2d
	ownParam []*engine.Tensor
}

// NewTCR returns a TCR of width c for numTasks tasks, named under prefix,
// with weights drawn from g. It panics on a non-positive width or task count
// or a negative Iterations.
func NewTCR(prefix string, c int, numTasks int, cfg TCRConfig, g *engine.Generator) *TCR {
	if c <= 0 || numTasks <= 0 || cfg.Iterations < 0 {
		panic(fmt.Sprintf("allnet: NewTCR: width %d, %d tasks, %d iterations", c, numTasks, cfg.Iterations))
	}
	heads := cfg.Heads
	if heads <= 0 {
		heads = 4
	}
	heads = tcrGCD(c, heads)
	ratio := cfg.FFNRatio
	if ratio <= 0 {
		ratio = 2
	}
	hidden := max(int(float64(c)*ratio), 1)
	j := func(name string) string { return nn.Join(prefix, name) }
	conv1 := func(name string, in, out int, bias bool) *nn.Conv2d {
		return nn.NewConv2d(j(name), in, out, 1, 1, 0, 1, bias, nn.InitDefault, g)
	}
	t := &TCR{Config: cfg, Dim: c, Tasks: numTasks, Heads: heads}
	var theta *engine.Tensor
	engine.NoGrad(func() {
		theta = engine.AddScalar(engine.Scale(g.Normal(engine.CPU(), engine.Float32, numTasks, c), 0.02), 1)
	})
	t.ThetaRand = engine.Param(j("theta_rand"), theta)
	t.Lambda = engine.Param(j("lambda"), engine.Full(engine.CPU(), engine.Float32, cfg.Lambda, 1))
	t.TokenMLP = nn.NewMLP(j("token_mlp"), c, c, c, nn.InitDefault, g)
	t.TokenQ = nn.NewLinear(j("token_q"), c, c, true, nn.InitDefault, g)
	t.TokenK = nn.NewLinear(j("token_k"), c, c, false, nn.InitDefault, g)
	t.NormP = nn.NewLayerNormChannelsFirst(j("norm_p"), c, tcrNormEps)
	t.MDTA = nn.NewMDTA(j("mdta"), c, heads, false, g)
	t.NormQ = nn.NewLayerNormChannelsFirst(j("afu.norm_q"), c, tcrNormEps)
	t.NormKV = nn.NewLayerNormChannelsFirst(j("afu.norm_kv"), c, tcrNormEps)
	t.Q = conv1("afu.q", c, c, true)
	t.K = conv1("afu.k", c, c, true)
	t.V = conv1("afu.v", c, c, true)
	t.Temperature = engine.Param(j("afu.temperature"), engine.Full(engine.CPU(), engine.Float32, 1, heads, 1, 1))
	t.FFNNorm = nn.NewLayerNormChannelsFirst(j("ffn.norm"), c, tcrNormEps)
	t.FFN1 = conv1("ffn.fc1", c, hidden, true)
	t.FFN2 = conv1("ffn.fc2", hidden, c, true)
	t.ownParam = []*engine.Tensor{t.ThetaRand, t.Lambda, t.Temperature}
	t.Add(t.TokenMLP, t.TokenQ, t.TokenK, t.NormP, t.MDTA, t.NormQ, t.NormKV, t.Q, t.K, t.V, t.FFNNorm, t.FFN1, t.FFN2)
	return t
}

// Parameters returns theta_rand, lambda and afu.temperature, then the
// children's parameters.
func (t *TCR) Parameters() []*engine.Tensor {
	return append(slices.Clone(t.ownParam), t.Group.Parameters()...)
}

// Forward runs Config.Iterations rounds on p and j (N, C, H, W), with the
// same weights in every round, and returns the refined (pOut, jOut).
func (t *TCR) Forward(p, j *engine.Tensor) (pOut, jOut *engine.Tensor) {
	for range t.Config.Iterations {
		p, j = t.Round(p, j)
	}
	return p, j
}

// Round runs one TCR round (see TCR) on p and j (N, C, H, W).
func (t *TCR) Round(p, j *engine.Tensor) (pOut, jOut *engine.Tensor) {
	if p.Rank() != 4 || p.Dim(1) != t.Dim || !slices.Equal(p.Shape(), j.Shape()) {
		panic(fmt.Sprintf("allnet: TCR: inputs %v and %v, want two equal (N, %d, H, W)", p.Shape(), j.Shape(), t.Dim))
	}
	n, c, h, w := p.Dim(0), t.Dim, p.Dim(2), p.Dim(3)
	// CTI: task tokens (N, T, C), mixed across tasks.
	gj := t.TokenMLP.Forward(engine.Reshape(engine.GlobalAvgPool(j), n, c))
	theta := engine.Add(engine.Unsqueeze(t.ThetaRand, 0), engine.Mul(t.Lambda, engine.Unsqueeze(gj, 1)))
	mixed := engine.ScaledDotProductAttention(t.TokenQ.Forward(theta), t.TokenK.Forward(theta), theta, nil, 1/math.Sqrt(float64(c)))
	// Task features theta'_t (.) P, refined per task.
	pt := engine.Mul(engine.Unsqueeze(p, 1), engine.Reshape(mixed, n, t.Tasks, c, 1, 1))
	pt = engine.Reshape(pt, n*t.Tasks, c, h, w)
	pt = engine.Add(pt, t.MDTA.Forward(t.NormP.Forward(pt)))
	pOut = engine.Mean(engine.Reshape(pt, n, t.Tasks, c, h, w), false, 1)
	// AFU: J queries the refined P channel-wise; then the FFN.
	kv := t.NormKV.Forward(pOut)
	jp := engine.Add(j, t.transposedAttention(t.Q.Forward(t.NormQ.Forward(j)), t.K.Forward(kv), t.V.Forward(kv)))
	ffn := t.FFN2.Forward(engine.GELU(t.FFN1.Forward(t.FFNNorm.Forward(jp))))
	return pOut, engine.Add(jp, ffn)
}

// transposedAttention is MDTA's channel attention on q, k, v (N, C, H, W):
// per head, softmax(temperature * q^ k^T) v with q^, k^ L2-normalised over
// the pixels.
func (t *TCR) transposedAttention(q, k, v *engine.Tensor) *engine.Tensor {
	n, c, h, w := q.Dim(0), q.Dim(1), q.Dim(2), q.Dim(3)
	split := func(x *engine.Tensor) *engine.Tensor { return engine.Reshape(x, n, t.Heads, c/t.Heads, h*w) }
	qn, kn := tcrL2Normalize(split(q)), tcrL2Normalize(split(k))
	o := engine.ScaledDotProductAttention(engine.Mul(qn, t.Temperature), kn, split(v), nil, 1)
	return engine.Reshape(o, n, c, h, w)
}

// tcrL2Normalize divides x by the L2 norm of each row along its last axis,
// clamped below at 1e-12 as torch.nn.functional.normalize.
func tcrL2Normalize(x *engine.Tensor) *engine.Tensor {
	return engine.Div(x, engine.ClampMin(engine.Sqrt(engine.Sum(engine.Square(x), true, -1)), 1e-12))
}

func tcrGCD(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
