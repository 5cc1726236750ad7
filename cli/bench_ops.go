package cli

// The implementations of the bench rows: each builds its inputs on the
// device once and returns the call that is timed. Every call goes through
// the engine's ops (allocating its outputs as a model's forward does);
// fwd+bwd rows also back-propagate a fixed output gradient to every input
// that a layer would need gradients for.

import (
	"fmt"

	"allnet/allnet"
	"allnet/engine"
	"allnet/engine/backend"
)

// benchCall builds spec's inputs on dev and returns the call to time.
func benchCall(dev backend.Backend, s benchSpec) (func(), error) {
	g := engine.NewGenerator(0x5eed)
	randn := func(std float64, shape ...int) *engine.Tensor {
		var t *engine.Tensor
		engine.NoGrad(func() { t = engine.Scale(g.Normal(dev, engine.Float32, shape...), std) })
		return t
	}
	p, bwd := s.Params, s.Pass == "fwd+bwd"
	if s.Pass != "fwd" && !bwd {
		return nil, fmt.Errorf("row %q: pass %q, want fwd or fwd+bwd", s.Key(), s.Pass)
	}
	// step runs f on leaves (marked as needing gradients when bwd) and,
	// when bwd, back-propagates dy from f's output.
	step := func(f func() *engine.Tensor, dy *engine.Tensor, leaves ...*engine.Tensor) func() {
		if !bwd {
			return func() { engine.NoGrad(func() { f() }) }
		}
		for _, l := range leaves {
			l.SetRequiresGrad(true)
		}
		return func() {
			for _, l := range leaves {
				l.ZeroGrad()
			}
			f().BackwardWith(dy)
		}
	}
	switch s.Kind {
	case "gemm":
		a, b := randn(1, p.M, p.K), randn(1, p.K, p.N)
		return step(func() *engine.Tensor { return engine.MatMul(a, b, false, false) }, nil), nil
	case "linear":
		x, w := randn(1, p.M, p.K), randn(0.1, p.N, p.K)
		return step(func() *engine.Tensor { return engine.Linear(x, w, nil) }, nil), nil
	case "conv":
		x, w := randn(1, p.Batch, p.C, p.H, p.W), randn(0.1, p.Cout, p.C/p.Groups, p.KH, p.KW)
		opts := engine.ConvOptions{Padding: [2]int{p.KH / 2, p.KW / 2}, Groups: p.Groups}
		dy := randn(1, p.Batch, p.Cout, p.H, p.W)
		return step(func() *engine.Tensor { return engine.Conv2d(x, w, nil, opts) }, dy, x, w), nil
	case "dcnv3":
		pts := p.KH * p.KW
		value, offset := randn(1, p.Batch, p.H, p.W, p.C), randn(1.5, p.Batch, p.H, p.W, p.G*pts*2)
		var mask *engine.Tensor
		engine.NoGrad(func() {
			mask = engine.Reshape(engine.Softmax(randn(1, p.Batch, p.H, p.W, p.G, pts), -1), p.Batch, p.H, p.W, p.G*pts)
		})
		opts := engine.DCNv3Options{KernelH: p.KH, KernelW: p.KW, Groups: p.G}
		dy := randn(1, p.Batch, p.H, p.W, p.C)
		return step(func() *engine.Tensor { return engine.DCNv3Core(value, offset, mask, opts) }, dy, value, offset, mask), nil
	case "attention":
		q, k, v := randn(1, p.Batch, p.L, p.D), randn(1, p.Batch, p.L, p.D), randn(1, p.Batch, p.L, p.D)
		dy := randn(1, p.Batch, p.L, p.D)
		return step(func() *engine.Tensor { return engine.ScaledDotProductAttention(q, k, v, nil, 0) }, dy, q, k, v), nil
	case "psf":
		x, psf := randn(1, p.Batch, p.C, p.H, p.W), randn(1.0/float64(p.KH*p.KW), p.Batch, p.KH, p.KW)
		return step(func() *engine.Tensor { return engine.PSFConv(x, psf) }, nil), nil
	case "layernorm":
		x, gamma, beta := randn(1, p.Rows, p.Cols), randn(1, p.Cols), randn(1, p.Cols)
		dy := randn(1, p.Rows, p.Cols)
		return step(func() *engine.Tensor { return engine.LayerNorm(x, gamma, beta, 1e-6) }, dy, x, gamma, beta), nil
	case "softmax":
		x := randn(1, p.Rows, p.Cols)
		dy := randn(1, p.Rows, p.Cols)
		return step(func() *engine.Tensor { return engine.Softmax(x, -1) }, dy, x), nil
	case "internimage":
		return internImageCall(dev, p, bwd)
	}
	return nil, fmt.Errorf("row %q: unknown kind %q", s.Key(), s.Kind)
}

// internImageCall builds the backbone with random weights on dev (eval
// mode: no drop-path) and returns a forward, or a forward and a backward of
// the sum of the four level outputs to every parameter.
func internImageCall(dev backend.Backend, p benchParams, bwd bool) (func(), error) {
	cfg, err := allnet.InternImagePreset(p.Model)
	if err != nil {
		return nil, err
	}
	m := allnet.NewInternImage(cfg, 0)
	m.SetTraining(false)
	params := m.Parameters()
	for _, t := range append(params, m.Buffers()...) {
		t.MoveTo(dev)
	}
	var x *engine.Tensor
	engine.NoGrad(func() { x = engine.NewGenerator(1).Normal(dev, engine.Float32, p.Batch, 3, p.H, p.W) })
	if !bwd {
		return func() { engine.NoGrad(func() { m.Forward(x) }) }, nil
	}
	return func() {
		for _, t := range params {
			t.ZeroGrad()
		}
		var loss *engine.Tensor
		for _, o := range m.Forward(x) {
			s := engine.SumAll(o)
			if loss == nil {
				loss = s
			} else {
				loss = engine.Add(loss, s)
			}
		}
		loss.Backward()
	}, nil
}

// benchModelFLOPs is the forward FLOPs of an internimage row's model,
// counted on the meta backend.
func benchModelFLOPs(p benchParams) (float64, error) {
	cfg, err := allnet.InternImagePreset(p.Model)
	if err != nil {
		return 0, err
	}
	return float64(p.Batch) * float64(allnet.BackboneFLOPs(cfg, p.H, p.W).FLOPs()), nil
}
