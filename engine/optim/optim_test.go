package optim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/engine"
	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
)

// param returns a named float64 CPU leaf with N(0, 1) values.
func param(rng *rand.Rand, dt engine.DType, name string, shape ...int) *engine.Tensor {
	p := engine.FromValues(engine.CPU(), dt, backendtest.Randn(rng, backend.NumElements(shape), 1), shape...).SetRequiresGrad(true)
	p.Name = name
	return p
}

// quadratic returns sum(w * (p - c)^2) over the parameters, with fixed
// positive weights w and centres c per parameter.
type quadratic struct{ w, c []*engine.Tensor }

func newQuadratic(rng *rand.Rand, ps []*engine.Tensor) quadratic {
	var q quadratic
	for _, p := range ps {
		w := engine.AddScalar(engine.Abs(param(rng, p.DType(), "", p.Shape()...).Detach()), 0.5)
		q.w = append(q.w, w)
		q.c = append(q.c, param(rng, p.DType(), "", p.Shape()...).Detach())
	}
	return q
}

func (q quadratic) loss(ps []*engine.Tensor) *engine.Tensor {
	var l *engine.Tensor
	for i, p := range ps {
		li := engine.SumAll(engine.Mul(q.w[i], engine.Square(engine.Sub(p, q.c[i]))))
		if l == nil {
			l = li
		} else {
			l = engine.Add(l, li)
		}
	}
	return l
}

// train runs n steps of opt on q, returning the final loss.
func train(opt Optimizer, q quadratic, n int) float64 {
	for range n {
		opt.ZeroGrad()
		q.loss(opt.Params()).Backward()
		opt.Step()
	}
	var l float64
	engine.NoGrad(func() { l = q.loss(opt.Params()).Item() })
	return l
}

func TestAdamWMinimisesQuadratic(t *testing.T) {
	for _, dt := range []engine.DType{engine.Float64, engine.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			rng := backendtest.RNG(t.Name())
			ps := []*engine.Tensor{param(rng, dt, "w", 4, 3), param(rng, dt, "bias", 3)}
			q := newQuadratic(rng, ps)
			var l0 float64
			engine.NoGrad(func() { l0 = q.loss(ps).Item() })
			cfg := AdamWDefaults(0.05)
			cfg.WeightDecay, cfg.NoDecay = 1e-4, DefaultNoDecay
			opt, err := NewAdamW(ps, cfg)
			require.NoError(t, err)
			l := train(opt, q, 400)
			assert.Less(t, l, 1e-4*l0, "loss %g -> %g", l0, l)
			assert.Equal(t, 400, opt.Steps())
			assert.True(t, opt.Decays("w"))
			assert.False(t, opt.Decays("bias"))
		})
	}
}

func TestSGDMinimisesQuadratic(t *testing.T) {
	rng := backendtest.RNG(t.Name())
	ps := []*engine.Tensor{param(rng, engine.Float64, "w", 4, 3)}
	q := newQuadratic(rng, ps)
	var l0 float64
	engine.NoGrad(func() { l0 = q.loss(ps).Item() })
	opt, err := NewSGD(ps, SGDConfig{LR: 0.05, Momentum: 0.9, Nesterov: true})
	require.NoError(t, err)
	l := train(opt, q, 200)
	assert.Less(t, l, 1e-6*l0, "loss %g -> %g", l0, l)
}

// stateRun builds an optimiser over fresh parameters (same seed, so equal
// values), runs `before` steps, and returns it with its parameters and
// problem. Gradients come from the quadratic, so later steps depend on the
// parameters as well as on the state.
func stateRun(t *testing.T, build func([]*engine.Tensor) Optimizer, before int) (Optimizer, quadratic) {
	rng := rand.New(rand.NewPCG(3, 4))
	ps := []*engine.Tensor{param(rng, engine.Float64, "enc.weight", 5, 2), param(rng, engine.Float64, "enc.bias", 2)}
	q := newQuadratic(rng, ps)
	opt := build(ps)
	train(opt, q, before)
	return opt, q
}

func values(opt Optimizer) [][]float64 {
	var out [][]float64
	for _, p := range opt.Params() {
		out = append(out, p.Float64s())
	}
	return out
}

// checkResume shows that restoring State into a fresh optimiser (on a copy
// of the parameters) reproduces the next steps bit for bit, and that
// corrupting one restored moment changes them.
func checkResume(t *testing.T, build func([]*engine.Tensor) Optimizer, slot string) {
	ref, q := stateRun(t, build, 3)
	tensors, counts := ref.State()
	snapshot := tensors[slotName(slot, "enc.weight")].Float64s()
	saved := map[string]*engine.Tensor{}
	for k, v := range tensors {
		saved[k] = v.Clone()
	}
	params := values(ref)
	refLoss := train(ref, q, 4)
	refVals := values(ref)
	assert.Equal(t, snapshot, tensors[slotName(slot, "enc.weight")].Float64s(), "Step modified a State tensor")

	// resume restores params and (mutated) state into a fresh optimiser,
	// runs the same 4 steps and returns the final parameters and loss.
	resume := func(mutate func(map[string]*engine.Tensor)) ([][]float64, float64) {
		opt, _ := stateRun(t, build, 0)
		for i, p := range opt.Params() {
			p.CopyFrom(engine.FromFloat64(engine.CPU(), params[i], p.Shape()...))
		}
		ts := map[string]*engine.Tensor{"model.unrelated": engine.Zeros(1)} // non-optim names are ignored
		for k, v := range saved {
			ts[k] = v.Clone()
		}
		if mutate != nil {
			mutate(ts)
		}
		require.NoError(t, opt.LoadState(ts, counts))
		assert.Equal(t, 3, opt.Steps())
		l := train(opt, q, 4)
		return values(opt), l
	}
	gotVals, got := resume(nil)
	assert.Equal(t, refLoss, got, "resumed loss differs")
	assert.Equal(t, refVals, gotVals, "resumed parameters differ")

	badVals, bad := resume(func(ts map[string]*engine.Tensor) {
		k := slotName(slot, "enc.bias")
		ts[k] = engine.AddScalar(ts[k], 1e-3)
	})
	assert.NotEqual(t, refLoss, bad, "corrupting %s changed the loss not at all", slot)
	assert.NotEqual(t, refVals, badVals, "corrupting %s changed nothing", slot)
}

func TestResumeAdamW(t *testing.T) {
	checkResume(t, func(ps []*engine.Tensor) Optimizer {
		cfg := AdamWDefaults(0.01)
		cfg.WeightDecay = 0.05
		o, err := NewAdamW(ps, cfg)
		require.NoError(t, err)
		return o
	}, "exp_avg_sq")
}

func TestResumeSGD(t *testing.T) {
	checkResume(t, func(ps []*engine.Tensor) Optimizer {
		o, err := NewSGD(ps, SGDConfig{LR: 0.01, Momentum: 0.9, Dampening: 0.1, WeightDecay: 1e-3})
		require.NoError(t, err)
		return o
	}, "momentum_buffer")
}

func TestLoadStateErrors(t *testing.T) {
	opt, _ := stateRun(t, func(ps []*engine.Tensor) Optimizer {
		o, err := NewAdamW(ps, AdamWDefaults(0.01))
		require.NoError(t, err)
		return o
	}, 2)
	tensors, counts := opt.State()
	before := values(opt)

	ts := map[string]*engine.Tensor{}
	for k, v := range tensors {
		ts[k] = v
	}
	cs := map[string]int{}
	for k, v := range counts {
		cs[k] = v
	}
	delete(ts, "optim.exp_avg.enc.bias")
	ts["optim.exp_avg_sq.enc.weight"] = engine.New(engine.CPU(), engine.Float64, 2, 5)
	ts["optim.exp_avg.dec.weight"] = engine.Zeros(3)
	cs["optim.step.enc.bias"] = -1
	delete(cs, StepKey)
	err := opt.LoadState(ts, cs)
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{"2 missing", "optim.exp_avg.enc.bias", StepKey, "1 unexpected", "optim.exp_avg.dec.weight",
		"optim.exp_avg_sq.enc.weight: shape [2 5], parameter has [5 2]", "optim.step.enc.bias = -1"} {
		assert.Contains(t, msg, want)
	}
	assert.Equal(t, 2, opt.Steps(), "failed LoadState changed the step count")
	t2, _ := opt.State()
	assert.Equal(t, tensors["optim.exp_avg.enc.bias"], t2["optim.exp_avg.enc.bias"], "failed LoadState changed a moment")
	assert.Equal(t, before, values(opt))

	// float32 state loads into float64 parameters (converted).
	ts = map[string]*engine.Tensor{}
	for k, v := range tensors {
		ts[k] = v.Cast(engine.Float32)
	}
	require.NoError(t, opt.LoadState(ts, counts))
}

func TestStepSkipsParamsWithoutGrad(t *testing.T) {
	rng := backendtest.RNG(t.Name())
	a, b := param(rng, engine.Float64, "a", 3), param(rng, engine.Float64, "b", 2)
	opt, err := NewAdamW([]*engine.Tensor{a, b}, AdamWDefaults(0.1))
	require.NoError(t, err)
	bv := b.Float64s()
	a.SetGrad(engine.Full(engine.CPU(), engine.Float64, 1, 3))
	opt.Step()
	assert.Equal(t, bv, b.Float64s())
	_, counts := opt.State()
	assert.Equal(t, map[string]int{StepKey: 1, "optim.step.a": 1, "optim.step.b": 0}, counts)
	opt.ZeroGrad()
	assert.Nil(t, a.Grad())
}

func TestConstructorErrors(t *testing.T) {
	rng := backendtest.RNG(t.Name())
	good := func() []*engine.Tensor { return []*engine.Tensor{param(rng, engine.Float64, "x", 2)} }
	noName := engine.Zeros(2).SetRequiresGrad(true)
	frozen := engine.Zeros(2)
	frozen.Name = "frozen"
	for _, c := range []struct {
		params []*engine.Tensor
		cfg    AdamWConfig
		want   string
	}{
		{good(), AdamWConfig{LR: -1, Beta1: 0.9, Beta2: 0.999}, "LR is -1"},
		{good(), AdamWConfig{LR: 1, Beta1: 1, Beta2: 0.999}, "Beta1 is 1"},
		{good(), AdamWConfig{LR: 1, Beta1: 0.9, Beta2: -0.1}, "Beta2 is -0.1"},
		{good(), AdamWConfig{LR: 1, Beta1: 0.9, Beta2: 0.9, Eps: math.NaN()}, "Eps is NaN"},
		{good(), AdamWConfig{LR: 1, Beta1: 0.9, Beta2: 0.9, WeightDecay: -1}, "WeightDecay is -1"},
		{nil, AdamWDefaults(1), "no parameters"},
		{[]*engine.Tensor{noName}, AdamWDefaults(1), "has no Name"},
		{[]*engine.Tensor{frozen}, AdamWDefaults(1), `"frozen" does not require grad`},
		{append(good(), good()...), AdamWDefaults(1), `both named "x"`},
	} {
		_, err := NewAdamW(c.params, c.cfg)
		if assert.Error(t, err, c.want) {
			assert.Contains(t, err.Error(), c.want)
		}
	}
	for _, c := range []struct {
		cfg  SGDConfig
		want string
	}{
		{SGDConfig{LR: 1, Momentum: -1}, "Momentum is -1"},
		{SGDConfig{LR: 1, Momentum: 0.9, Dampening: 2}, "Dampening is 2"},
		{SGDConfig{LR: 1, WeightDecay: math.Inf(1)}, "WeightDecay is +Inf"},
		{SGDConfig{LR: 1, Nesterov: true}, "Nesterov needs Momentum > 0"},
		{SGDConfig{LR: 1, Momentum: 0.9, Dampening: 0.1, Nesterov: true}, "Dampening 0.1"},
	} {
		_, err := NewSGD(good(), c.cfg)
		if assert.Error(t, err, c.want) {
			assert.Contains(t, err.Error(), c.want)
		}
	}
	opt, err := NewSGD(good(), SGDConfig{LR: 1})
	require.NoError(t, err)
	assert.Panics(t, func() { opt.SetLR(math.NaN()) })
	opt.SetLR(0.5)
	assert.Equal(t, 0.5, opt.LR())
	assert.Equal(t, 0.5, opt.Config().LR)
}

func TestDefaultNoDecay(t *testing.T) {
	for name, want := range map[string]bool{
		"backbone.levels.0.blocks.0.dcn.input_proj.weight": false,
		"backbone.levels.0.blocks.0.dcn.input_proj.bias":   true,
		"backbone.levels.0.blocks.0.norm1.0.weight":        true,
		"backbone.levels.0.blocks.0.norm1.1.weight":        true,
		"backbone.patch_embed.norm2.1.bias":                true,
		"decoder.layernorm.weight":                         true,
		"decoder.bn.weight":                                true,
		"backbone.levels.2.blocks.3.gamma1":                true,
		"blocks.0.layer_scale":                             true,
		"decoder.task_tokens":                              true,
		"backbone.pos_embed":                               true,
		"attn.relative_position_bias_table":                true,
		"heads.normals.conv1.weight":                       false,
		"heads.normals.head_norm.weight":                   true,
		"decoder.token_proj.weight":                        false,
	} {
		assert.Equal(t, want, DefaultNoDecay(name), name)
	}
}

func TestClipGradNormEdgeCases(t *testing.T) {
	// Leaves whose gradients share one buffer (y = a + b gives both the
	// same gradient tensor) must each be scaled exactly once.
	a := engine.FromFloat64(engine.CPU(), []float64{0, 0}, 2).SetRequiresGrad(true)
	b := engine.FromFloat64(engine.CPU(), []float64{0, 0}, 2).SetRequiresGrad(true)
	y := engine.Add(a, b)
	y.BackwardWith(engine.FromFloat64(engine.CPU(), []float64{3, 4}, 2))
	norm := ClipGradNorm([]*engine.Tensor{a, b}, 1)
	assert.InDelta(t, math.Sqrt(50), norm, 1e-12)
	coef := 1 / (math.Sqrt(50) + 1e-6)
	backendtest.Close(t, "a.grad", a.Grad().Float64s(), []float64{3 * coef, 4 * coef}, 1e-14)
	backendtest.Close(t, "b.grad", b.Grad().Float64s(), []float64{3 * coef, 4 * coef}, 1e-14)

	// Non-finite norms leave the gradients alone.
	a.SetGrad(engine.FromFloat64(engine.CPU(), []float64{math.Inf(1), 1}, 2))
	b.SetGrad(engine.FromFloat64(engine.CPU(), []float64{1, math.NaN()}, 2))
	assert.True(t, math.IsNaN(ClipGradNorm([]*engine.Tensor{a, b}, 1)))
	assert.True(t, math.IsInf(ClipGradNorm([]*engine.Tensor{a}, 1), 1))
	assert.Equal(t, []float64{math.Inf(1), 1}, a.Grad().Float64s())

	// No gradients: norm 0.
	a.ZeroGrad()
	assert.Equal(t, 0.0, ClipGradNorm([]*engine.Tensor{a}, 1))
	assert.Panics(t, func() { ClipGradNorm(nil, 0) })
}
