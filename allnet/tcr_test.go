package allnet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine"
	"allnet/engine/backend/backendtest"
	"allnet/engine/cpu"
	"allnet/internal/golden"
	"allnet/nn"
)

// tcrCase returns the keys and tensors of the named case of tcr_round.json,
// which comes from scripts/golden/gen_tcr.py: an independent PyTorch module
// written from the formulas of TCR's and SKFF's doc comments.
func tcrCase(t *testing.T, name string) (keys []string, tensors map[string]golden.Tensor) {
	t.Helper()
	for _, c := range golden.Load(t, "testdata", "tcr_round") {
		if c.Name == name {
			var a struct {
				Keys []string `json:"keys"`
			}
			c.DecodeAttrs(t, &a)
			return a.Keys, c.Tensors
		}
	}
	t.Fatalf("no case %q in tcr_round.json", name)
	return nil, nil
}

// tcrRandn returns a CPU tensor of N(0, 1) values of dtype dt.
func tcrRandn(rng *rand.Rand, dt engine.DType, shape ...int) *engine.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return engine.FromValues(engine.CPU(), dt, backendtest.Randn(rng, n, 1), shape...)
}

// checkModuleAgainstGolden loads the case's weights by name into m (whose
// sorted names must equal the case's keys), runs fwd on its p and j and
// compares the outputs (rel err < 1e-4) and the gradients of
// sum(out_i * r_i) with respect to p, j and every parameter (< 1e-3).
func checkModuleAgainstGolden(t *testing.T, m nn.Module, keys []string, tensors map[string]golden.Tensor, outNames []string, fwd func(p, j *engine.Tensor) []*engine.Tensor) {
	t.Helper()
	require.Equal(t, keys, nn.Names(m), "state_dict names")
	for name, p := range nn.StateDict(m) {
		want := tensors[name]
		require.Equal(t, want.Shape, p.Shape(), name)
		p.CopyFrom(goldenTensor(want, p.DType()))
	}
	p := goldenTensor(tensors["p"], engine.Float32).SetRequiresGrad(true)
	j := goldenTensor(tensors["j"], engine.Float32).SetRequiresGrad(true)
	outs := fwd(p, j)
	loss := engine.Zeros()
	for i, o := range outs {
		want := tensors[outNames[i]]
		require.Equal(t, want.Shape, o.Shape(), outNames[i])
		e := relErr(o.Float64s(), want.Data)
		t.Logf("%s rel err %.2e", outNames[i], e)
		require.Less(t, e, 1e-4, outNames[i])
		r := goldenTensor(tensors[fmt.Sprintf("r%d", i+1)], engine.Float32)
		loss = engine.Add(loss, engine.SumAll(engine.Mul(o, r)))
	}
	loss.Backward()
	grads := map[string]*engine.Tensor{"p": p, "j": j}
	for _, prm := range m.Parameters() {
		grads[prm.Name] = prm
	}
	worst := 0.0
	for name, x := range grads {
		require.NotNil(t, x.Grad(), "no gradient for %s", name)
		e := relErr(x.Grad().Float64s(), tensors["grad:"+name].Data)
		require.Less(t, e, 1e-3, "gradient of %s", name)
		worst = max(worst, e)
	}
	t.Logf("%d gradients, worst rel err %.2e", len(grads), worst)
}

func TestTCRRoundMatchesPyTorch(t *testing.T) {
	keys, tensors := tcrCase(t, "tcr_round")
	m := NewTCR("", 8, 3, TCRConfig{Iterations: 1, Heads: 2, Lambda: 0.1, FFNRatio: 2}, engine.NewGenerator(1))
	checkModuleAgainstGolden(t, m, keys, tensors, []string{"p_out", "j_out"}, func(p, j *engine.Tensor) []*engine.Tensor {
		po, jo := m.Forward(p, j)
		return []*engine.Tensor{po, jo}
	})
}

func TestTCRShapes(t *testing.T) {
	rng := backendtest.RNG(t.Name())
	for _, tasks := range []int{4, 5} {
		t.Run(fmt.Sprint(tasks, "tasks"), func(t *testing.T) {
			m := NewTCR("decoder.tcr", 8, tasks, TCRConfig{Iterations: 2, Heads: 2, Lambda: 0.1, FFNRatio: 2}, engine.NewGenerator(3))
			require.Equal(t, []int{tasks, 8}, m.ThetaRand.Shape())
			p := tcrRandn(rng, engine.Float32, 2, 8, 5, 7)
			j := tcrRandn(rng, engine.Float32, 2, 8, 5, 7)
			po, jo := m.Forward(p, j)
			require.Equal(t, []int{2, 8, 5, 7}, po.Shape())
			require.Equal(t, []int{2, 8, 5, 7}, jo.Shape())
			for _, v := range append(po.Float64s(), jo.Float64s()...) {
				require.False(t, math.IsNaN(v) || math.IsInf(v, 0))
			}
			for _, name := range nn.Names(m) {
				require.Regexp(t, `^decoder\.tcr\.`, name)
			}
		})
	}
	require.Panics(t, func() {
		NewTCR("", 8, 3, DefaultTCRConfig(), engine.NewGenerator(1)).Forward(engine.Zeros(1, 8, 3, 3), engine.Zeros(1, 8, 3, 4))
	})
	// Heads that do not divide the width fall back to the gcd.
	require.Equal(t, 2, NewTCR("", 6, 2, TCRConfig{Iterations: 1, Heads: 4}, engine.NewGenerator(1)).Heads)
}

func TestTCRGradientReachesEveryParameter(t *testing.T) {
	rng := backendtest.RNG(t.Name())
	m := NewTCR("", 8, 4, TCRConfig{Iterations: 2, Heads: 2, Lambda: 0.1, FFNRatio: 2}, engine.NewGenerator(5))
	p := tcrRandn(rng, engine.Float32, 2, 8, 4, 6)
	j := tcrRandn(rng, engine.Float32, 2, 8, 4, 6)
	po, jo := m.Forward(p, j)
	loss := engine.Add(engine.SumAll(engine.Mul(po, tcrRandn(rng, engine.Float32, po.Shape()...))),
		engine.SumAll(engine.Mul(jo, tcrRandn(rng, engine.Float32, jo.Shape()...))))
	loss.Backward()
	names := map[string]bool{}
	for _, prm := range m.Parameters() {
		names[prm.Name] = true
		require.NotNil(t, prm.Grad(), prm.Name)
		var norm float64
		for _, v := range prm.Grad().Float64s() {
			norm += v * v
		}
		require.Greater(t, norm, 0.0, "zero gradient for %s", prm.Name)
	}
	for _, want := range []string{"theta_rand", "lambda", "token_mlp.fc1.weight", "token_q.weight", "token_k.weight",
		"mdta.qkv.weight", "mdta.temperature", "afu.q.weight", "afu.k.weight", "afu.v.weight", "afu.temperature",
		"ffn.fc1.weight", "ffn.fc2.weight", "norm_p.weight", "ffn.norm.weight"} {
		require.True(t, names[want], "no parameter %s", want)
	}
}

func TestTCRWeightsSharedAcrossRounds(t *testing.T) {
	cfg := TCRConfig{Iterations: 1, Heads: 2, Lambda: 0.3, FFNRatio: 2}
	one := NewTCR("", 8, 3, cfg, engine.NewGenerator(9))
	cfg.Iterations = 5
	five := NewTCR("", 8, 3, cfg, engine.NewGenerator(9))
	require.Equal(t, nn.Names(one), nn.Names(five))
	require.Equal(t, nn.CountParameters(one), nn.CountParameters(five))

	rng := backendtest.RNG(t.Name())
	p := tcrRandn(rng, engine.Float32, 1, 8, 3, 5)
	j := tcrRandn(rng, engine.Float32, 1, 8, 3, 5)
	five.Config.Iterations = 2
	po, jo := five.Forward(p, j)
	p1, j1 := five.Round(p, j)
	p2, j2 := five.Round(p1, j1)
	require.Equal(t, p2.Float32s(), po.Float32s())
	require.Equal(t, j2.Float32s(), jo.Float32s())
	// One round changes the features, so two rounds are not one.
	require.Greater(t, relErr(p1.Float64s(), p2.Float64s()), 1e-3)

	five.Config.Iterations = 0
	po, jo = five.Forward(p, j)
	require.Same(t, p, po)
	require.Same(t, j, jo)
}

// tcrGradCheck compares autograd's gradients of sum(f() * R) (R fixed and
// random) with central finite differences, in float64, for every tensor in
// xs (at most 24 elements of each, chosen at random), as engine's gradCheck.
func tcrGradCheck(t *testing.T, f func() *engine.Tensor, xs map[string]*engine.Tensor) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	for _, x := range xs {
		x.ZeroGrad()
	}
	out := f()
	r := tcrRandn(rng, engine.Float64, out.Shape()...)
	engine.SumAll(engine.Mul(out, r)).Backward()
	eval := func() float64 {
		var v float64
		engine.NoGrad(func() { v = engine.SumAll(engine.Mul(f(), r)).Item() })
		return v
	}
	names := make([]string, 0, len(xs))
	for name := range xs {
		names = append(names, name)
	}
	sort.Strings(names)
	worst := 0.0
	for _, name := range names {
		x := xs[name]
		require.NotNil(t, x.Grad(), "no gradient for %s", name)
		data := x.Buffer().(*cpu.Buffer).F64
		analytic := x.Grad().Float64s()
		idx := rng.Perm(len(data))
		if len(idx) > 24 {
			idx = idx[:24]
		}
		// h = 1e-5: the O(h^2) truncation error stays far below the
		// tolerance and the rounding error is ten times smaller than at 1e-6.
		want := backendtest.CentralDiff(eval, data, idx, 1e-5)
		got := make([]float64, len(idx))
		for k, i := range idx {
			got[k] = analytic[i]
		}
		backendtest.Close(t, "gradient of "+name, got, want, 1e-5)
		worst = max(worst, backendtest.RelErr(got, want))
	}
	t.Logf("%d tensors, worst rel err %.2e", len(names), worst)
}

func TestTCRGradCheckFloat64(t *testing.T) {
	m := NewTCR("", 4, 2, TCRConfig{Iterations: 2, Heads: 2, Lambda: 0.5, FFNRatio: 1.5}, engine.NewGenerator(11))
	nn.ConvertState(m, engine.Float64)
	rng := backendtest.RNG(t.Name())
	p := tcrRandn(rng, engine.Float64, 2, 4, 3, 4).SetRequiresGrad(true)
	j := tcrRandn(rng, engine.Float64, 2, 4, 3, 4).SetRequiresGrad(true)
	xs := map[string]*engine.Tensor{"p": p, "j": j}
	for _, prm := range m.Parameters() {
		xs[prm.Name] = prm
	}
	tcrGradCheck(t, func() *engine.Tensor {
		po, jo := m.Forward(p, j)
		return engine.Concat(1, po, jo)
	}, xs)
}
