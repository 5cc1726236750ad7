package allnet

import (
	"math"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine"
	"allnet/engine/optim"
	"allnet/internal/golden"
	"allnet/nn"
)

// maeAttrs are the attributes of a case of allnet/testdata/mae_block.json,
// written by scripts/golden/gen_mae.py (an independent PyTorch reference,
// float64).
type maeAttrs struct {
	Channels    int      `json:"channels"`
	Experts     int      `json:"experts"`
	Windows     []int    `json:"windows"`
	TopK        int      `json:"topk"`
	Heads       int      `json:"heads"`
	PriorLambda float64  `json:"prior_lambda"`
	NoiseStd    float64  `json:"noise_std"`
	MLPRatio    float64  `json:"mlp_ratio"`
	Keys        []string `json:"keys"`
}

func TestMaEBlockMatchesReference(t *testing.T) {
	for _, c := range golden.Load(t, "testdata", "mae_block") {
		t.Run(c.Name, func(t *testing.T) {
			var a maeAttrs
			c.DecodeAttrs(t, &a)
			cfg := MaEConfig{Experts: a.Experts, Windows: a.Windows, TopK: a.TopK, Heads: a.Heads,
				PriorLambda: a.PriorLambda, NoiseStd: a.NoiseStd, MLPRatio: a.MLPRatio}
			b := NewMaEBlock("", a.Channels, cfg, engine.NewGenerator(1))
			keys := append([]string(nil), a.Keys...)
			sort.Strings(keys)
			require.Equal(t, keys, nn.Names(b), "state_dict names")
			for name, p := range nn.StateDict(b) {
				p.CopyFrom(goldenTensor(c.Tensors[name], engine.Float32))
			}
			p := goldenTensor(c.Tensors["p"], engine.Float32).SetRequiresGrad(true)
			out, aux := b.forward(p, goldenTensor(c.Tensors["eps"], engine.Float32), true)

			rt := b.Router.route(p, goldenTensor(c.Tensors["eps"], engine.Float32), false)
			want := c.Tensors["selected"].Data
			require.Len(t, rt.Indices, len(want))
			for i, v := range want {
				require.EqualValues(t, v, rt.Indices[i], "selected expert %d", i)
			}

			require.Equal(t, c.Tensors["out"].Shape, out.Shape())
			// The residual dominates out, so the experts' part out - p is
			// compared too.
			eOut, eAux := relErr(out.Float64s(), c.Tensors["out"].Data), relErr([]float64{aux.Item()}, c.Tensors["aux"].Data)
			eDelta := relErr(minus(out.Float64s(), c.Tensors["p"].Data), minus(c.Tensors["out"].Data, c.Tensors["p"].Data))
			t.Logf("rel err: output %.2g, output - input %.2g, aux %.2g", eOut, eDelta, eAux)
			require.Less(t, eOut, 1e-4, "output")
			require.Less(t, eDelta, 1e-4, "output - input")
			require.Less(t, eAux, 1e-4, "aux loss")

			engine.Add(engine.SumAll(engine.Mul(out, goldenTensor(c.Tensors["r"], engine.Float32))), aux).Backward()
			eGrad := relErr(p.Grad().Float64s(), c.Tensors["grad_p"].Data)
			r := c.Tensors["r"].Data
			eGradDelta := relErr(minus(p.Grad().Float64s(), r), minus(c.Tensors["grad_p"].Data, r))
			t.Logf("rel err: input gradient %.2g, input gradient - r %.2g", eGrad, eGradDelta)
			require.Less(t, eGrad, 1e-3, "input gradient")
			require.Less(t, eGradDelta, 1e-3, "input gradient less the residual's")
			for _, q := range b.Router.Parameters() {
				ref, ok := c.Tensors["grad:"+q.Name]
				require.True(t, ok, q.Name)
				require.NotNil(t, q.Grad(), q.Name)
				require.Less(t, relErr(q.Grad().Float64s(), ref.Data), 1e-3, "gradient of %s", q.Name)
			}
		})
	}
}

func minus(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

// maeTestBlock returns a small block of width c.
func maeTestBlock(c int, seed uint64) *MaEBlock {
	cfg := DefaultMaEConfig()
	cfg.Heads = 2
	return NewMaEBlock("dec.mae", c, cfg, engine.NewGenerator(seed))
}

func randInput(seed uint64, shape ...int) *engine.Tensor {
	return engine.NewGenerator(seed).Normal(engine.CPU(), engine.Float32, shape...)
}

// TestMaECVMaximum: for a non-negative vector over n experts, CV^2 with the
// unbiased std is at most n, reached exactly when all mass is on one
// expert: mean S/n, variance ((S-S/n)^2 + (n-1)(S/n)^2)/(n-1) = S^2/n, so
// CV^2 = n whatever the batch B = S.
func TestMaECVMaximum(t *testing.T) {
	for _, n := range []int{2, 4, 7} {
		for _, bsz := range []int{1, 3, 8} {
			v := make([]float64, n)
			v[n/2] = float64(bsz)
			got := cvSquared(engine.FromValues(engine.CPU(), engine.Float64, v, n)).Item()
			require.InDelta(t, float64(n), got, 1e-6, "n=%d B=%d", n, bsz)
		}
		u := engine.NewGenerator(uint64(n)).Uniform(engine.CPU(), engine.Float64, 50, n)
		for r := range 50 {
			require.Less(t, cvSquared(engine.Reshape(engine.Slice(u, 0, r, r+1), n)).Item(), float64(n))
		}
	}
}

// TestMaEAllToOneExpertGivesMaximalPenalty saturates the gate towards one
// expert: importance and load are then one-hot, each CV^2 is n, and L_aux
// = (a + b) n = n at the initial a = b = 0.5; a spread routing costs less.
func TestMaEAllToOneExpertGivesMaximalPenalty(t *testing.T) {
	const c, bsz = 6, 5
	b := maeTestBlock(c, 3)
	n := b.Config.Experts
	gate := make([]float64, n*c)
	for j := range c {
		gate[2*c+j] = 40 // expert 2 wins for any input with a positive mean
	}
	b.Router.gate.Weight.CopyFrom(engine.FromValues(engine.CPU(), engine.Float32, gate, n, c))
	b.Router.prior.Weight.CopyFrom(engine.Zeros(n, c))
	p := engine.AddScalar(engine.Scale(randInput(4, bsz, c, 4, 4), 0.1), 1)

	// Noise off: the load is the hard count per expert.
	rt := b.Router.route(p, nil, true)
	for _, e := range rt.Indices {
		require.EqualValues(t, 2, e)
	}
	require.InDelta(t, float64(n), rt.Aux.Item(), 1e-3)

	// Noise on (the smooth load of MoCE): still one-hot, still maximal.
	_, aux := b.Forward(p, true, engine.NewGenerator(9))
	require.InDelta(t, float64(n), aux.Item(), 1e-3)

	// Spread routing: each image prefers another expert.
	for j := range c {
		gate[2*c+j] = 0
	}
	b.Router.gate.Weight.CopyFrom(engine.FromValues(engine.CPU(), engine.Float32, gate, n, c))
	b.Router.prior.Weight.CopyFrom(randInput(5, n, c))
	_, aux = b.Forward(randInput(6, bsz, c, 4, 4), true, engine.NewGenerator(9))
	require.Less(t, aux.Item(), 0.9*float64(n))
}

// TestMaETopKPicksArgmaxWithoutNoise checks, in evaluation (no noise), that
// each image goes to the argmax of (gate(f) + lambda*prior(f))/T computed
// here on the host, and that its gate value is that expert's softmax.
func TestMaETopKPicksArgmaxWithoutNoise(t *testing.T) {
	const c, bsz = 6, 7
	b := maeTestBlock(c, 11)
	b.Router.t.CopyFrom(engine.FromValues(engine.CPU(), engine.Float32, []float64{-0.7}, 1))
	n := b.Config.Experts
	b.Router.gate.Weight.CopyFrom(engine.Scale(randInput(12, n, c), 3))
	p := randInput(13, bsz, c, 3, 3)
	p = engine.Add(p, engine.Scale(randInput(14, bsz, c, 1, 1), 2))
	rt := b.Router.route(p, nil, false)
	pv, gw, pw := p.Float64s(), b.Router.gate.Weight.Float64s(), b.Router.prior.Weight.Float64s()
	temp := 1/(1+math.Exp(0.7)) + 0.5
	vals := rt.Values.Float64s()
	for i := range bsz {
		z := make([]float64, n)
		for e := range n {
			for ch := range c {
				f := 0.0
				for k := range 9 {
					f += pv[(i*c+ch)*9+k] / 9
				}
				z[e] += (gw[e*c+ch] + b.Config.PriorLambda*pw[e*c+ch]) * f / temp
			}
		}
		best, den := 0, 0.0
		for e := range n {
			if z[e] > z[best] {
				best = e
			}
			den += math.Exp(z[e])
		}
		require.EqualValues(t, best, rt.Indices[i], "image %d logits %v", i, z)
		require.InDelta(t, math.Exp(z[best])/den, vals[i], 1e-5)
	}
	// The batch must not all pick one expert, or the check is weak.
	seen := map[int32]bool{}
	for _, e := range rt.Indices {
		seen[e] = true
	}
	require.Greater(t, len(seen), 1)
}

// TestMaEGradientsReachGate backpropagates sum(out*R) + aux through a
// training forward and checks that the router's parameters (gate, prior,
// temperature, a, b) and the selected experts get non-zero gradients, and
// experts no image selected get none.
func TestMaEGradientsReachGate(t *testing.T) {
	const c, bsz = 6, 3
	b := maeTestBlock(c, 21)
	p := randInput(22, bsz, c, 5, 7).SetRequiresGrad(true)
	out, aux := b.Forward(p, true, engine.NewGenerator(23))
	require.Equal(t, p.Shape(), out.Shape())
	engine.Add(engine.SumAll(engine.Mul(out, randInput(24, bsz, c, 5, 7))), aux).Backward()
	nonzero := func(x *engine.Tensor) bool {
		if x == nil {
			return false
		}
		for _, v := range x.Float64s() {
			if v != 0 {
				return true
			}
		}
		return false
	}
	for _, q := range b.Router.Parameters() {
		require.True(t, nonzero(q.Grad()), "no gradient reaches %s", q.Name)
	}
	require.True(t, nonzero(p.Grad()))
	// Experts no image selected (under the drawn noise) get no gradient.
	used := map[int]bool{}
	for e, ex := range b.Experts {
		if nonzero(ex.projOut.Weight.Grad()) {
			used[e] = true
		} else {
			require.Nil(t, ex.projOut.Weight.Grad(), "expert %d", e)
		}
	}
	require.NotEmpty(t, used)
	require.LessOrEqual(t, len(used), bsz)

	// Through the output alone (evaluation: no aux loss) the gate still
	// learns, by the kept gate values G.
	b2 := maeTestBlock(c, 21)
	out, _ = b2.Forward(p.Detach(), false, nil)
	engine.SumAll(engine.Mul(out, randInput(24, bsz, c, 5, 7))).Backward()
	require.True(t, nonzero(b2.Router.gate.Weight.Grad()), "no gradient reaches the gate through the output")
}

// TestMaEAuxCoefficients trains one MaE block on its load-balancing loss
// alone: with the default fixed coefficients a and b are buffers that stay
// at 0.5 and the loss stays non-negative; with LearnAuxCoefs they are
// parameters and descent lowers them (the loss is linear in them), which
// is why they are fixed by default.
func TestMaEAuxCoefficients(t *testing.T) {
	const c, bsz = 6, 5
	for _, learn := range []bool{false, true} {
		cfg := DefaultMaEConfig()
		cfg.Heads = 2
		cfg.LearnAuxCoefs = learn
		b := NewMaEBlock("dec.mae", c, cfg, engine.NewGenerator(31))
		isParam := slices.Contains(b.Parameters(), b.Router.a)
		require.Equal(t, learn, isParam, "learn=%v", learn)
		require.Contains(t, nn.StateDict(b), "dec.mae.router.a", "saved either way")
		opt, err := optim.NewAdamW(b.Parameters(), optim.AdamWDefaults(0.05))
		require.NoError(t, err)
		for step := range 20 {
			_, aux := b.Forward(randInput(uint64(40+step), bsz, c, 4, 4), true, engine.NewGenerator(uint64(step)))
			if !learn {
				require.GreaterOrEqual(t, aux.Item(), 0.0, "step %d", step)
			}
			opt.ZeroGrad()
			aux.Backward()
			opt.Step()
		}
		a, bb := b.Router.a.Item(), b.Router.b.Item()
		if learn {
			require.Less(t, a, 0.3, "a is trained down")
			require.Less(t, bb, 0.3, "b is trained down")
		} else {
			require.Equal(t, 0.5, a)
			require.Equal(t, 0.5, bb)
		}
	}
}
