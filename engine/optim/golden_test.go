package optim

import (
	"math"
	"path/filepath"
	"testing"

	"allnet/engine"
	"allnet/engine/backend/backendtest"
	"allnet/internal/golden"
)

// The fixture engine/testdata/golden/optim.json is written by
// scripts/golden/gen_optim.py with PyTorch (read by internal/golden,
// as engine's golden tests read theirs).

const goldenTol = 1e-12

type goldenCase struct{ golden.Case }

// loadOptimGolden returns the fixture's cases by name.
func loadOptimGolden(t *testing.T) map[string]goldenCase {
	t.Helper()
	out := map[string]goldenCase{}
	for _, c := range golden.Load(t, filepath.Join("..", "testdata", "golden"), "optim") {
		out[c.Name] = goldenCase{c}
	}
	return out
}

// row returns the s-th of the (steps, ...) stacked tensor's rows as a
// float64 CPU tensor of the row shape.
func (c goldenCase) row(t *testing.T, name string, s int) *engine.Tensor {
	t.Helper()
	g := c.Get(t, name)
	n := len(g.Data) / g.Shape[0]
	return engine.FromFloat64(engine.CPU(), g.Data[s*n:(s+1)*n], g.Shape[1:]...)
}

// skips reports whether step s is listed in the attribute skip_b.
func (c goldenCase) skips(s int) bool {
	l, _ := c.Attrs["skip_b"].([]any)
	for _, v := range l {
		if int(v.(float64)) == s {
			return true
		}
	}
	return false
}

// replay runs opt over the case's parameters "a" and "b" (b excluded from
// weight decay), comparing both after every step and the final moments.
func replay(t *testing.T, c goldenCase, newOpt func(ps []*engine.Tensor, noDecay func(string) bool) Optimizer, slots ...string) {
	t.Helper()
	a := engine.FromFloat64(engine.CPU(), c.Values(t, "a0"), 3, 4).SetRequiresGrad(true)
	b := engine.FromFloat64(engine.CPU(), c.Values(t, "b0"), 5).SetRequiresGrad(true)
	a.Name, b.Name = "a", "b"
	opt := newOpt([]*engine.Tensor{a, b}, func(n string) bool { return n == "b" })
	lrs := c.Values(t, "lr")
	for s := range lrs {
		opt.SetLR(lrs[s])
		a.SetGrad(c.row(t, "grad_a", s))
		b.SetGrad(nil)
		if !c.skips(s) {
			b.SetGrad(c.row(t, "grad_b", s))
		}
		opt.Step()
		backendtest.Close(t, c.Name+" a", a.Float64s(), c.row(t, "a", s).Float64s(), goldenTol)
		backendtest.Close(t, c.Name+" b", b.Float64s(), c.row(t, "b", s).Float64s(), goldenTol)
	}
	tensors, _ := opt.State()
	for _, slot := range slots {
		for _, p := range []string{"a", "b"} {
			backendtest.Close(t, c.Name+" "+slot+" "+p, tensors[slotName(slot, p)].Float64s(), c.Values(t, slot+"_"+p), goldenTol)
		}
	}
}

func TestGoldenAdamW(t *testing.T) {
	cases := loadOptimGolden(t)
	for _, name := range []string{"adamw", "adamw_skip_lr"} {
		t.Run(name, func(t *testing.T) {
			c := cases[name]
			replay(t, c, func(ps []*engine.Tensor, nd func(string) bool) Optimizer {
				o, err := NewAdamW(ps, AdamWConfig{LR: 1, Beta1: c.AttrFloat(t, "beta1"), Beta2: c.AttrFloat(t, "beta2"),
					Eps: c.AttrFloat(t, "eps"), WeightDecay: c.AttrFloat(t, "weight_decay"), NoDecay: nd})
				if err != nil {
					t.Fatal(err)
				}
				return o
			}, "exp_avg", "exp_avg_sq")
		})
	}
}

func TestGoldenSGD(t *testing.T) {
	cases := loadOptimGolden(t)
	for _, name := range []string{"sgd_momentum", "sgd_nesterov", "sgd_dampening", "sgd_plain"} {
		t.Run(name, func(t *testing.T) {
			c := cases[name]
			cfg := SGDConfig{LR: 1, Momentum: c.AttrFloat(t, "momentum"), Dampening: c.AttrFloat(t, "dampening"),
				WeightDecay: c.AttrFloat(t, "weight_decay"), Nesterov: c.AttrBool("nesterov")}
			var slots []string
			if cfg.Momentum != 0 {
				slots = []string{"momentum_buffer"}
			}
			replay(t, c, func(ps []*engine.Tensor, nd func(string) bool) Optimizer {
				cfg.NoDecay = nd
				o, err := NewSGD(ps, cfg)
				if err != nil {
					t.Fatal(err)
				}
				return o
			}, slots...)
		})
	}
}

func TestGoldenClipGradNorm(t *testing.T) {
	cases := loadOptimGolden(t)
	for _, name := range []string{"clip_active", "clip_inactive"} {
		t.Run(name, func(t *testing.T) {
			c := cases[name]
			var ps []*engine.Tensor
			for _, k := range []string{"g0", "g1", "g2"} {
				g := c.Get(t, k)
				p := engine.New(engine.CPU(), engine.Float64, g.Shape...).SetRequiresGrad(true)
				p.SetGrad(engine.FromFloat64(engine.CPU(), g.Data, g.Shape...))
				ps = append(ps, p)
			}
			ps = append(ps, engine.New(engine.CPU(), engine.Float64, 7).SetRequiresGrad(true)) // no grad: skipped
			norm := ClipGradNorm(ps, c.AttrFloat(t, "max_norm"))
			backendtest.Close(t, "total norm", []float64{norm}, c.Values(t, "total_norm"), goldenTol)
			for i, k := range []string{"out_g0", "out_g1", "out_g2"} {
				backendtest.Close(t, k, ps[i].Grad().Float64s(), c.Values(t, k), goldenTol)
			}
		})
	}
}

func TestGoldenSchedules(t *testing.T) {
	cases := loadOptimGolden(t)
	for _, name := range []string{"poly", "cosine"} {
		t.Run(name, func(t *testing.T) {
			c := cases[name]
			var s interface {
				Schedule
				Validate() error
			}
			if name == "poly" {
				s = Poly{Base: c.AttrFloat(t, "base"), Power: c.AttrFloat(t, "power"), Total: int(c.AttrFloat(t, "total")),
					WarmupSteps: int(c.AttrFloat(t, "warmup")), WarmupRatio: c.AttrFloat(t, "warmup_ratio"), MinLR: c.AttrFloat(t, "min_lr")}
			} else {
				s = Cosine{Base: c.AttrFloat(t, "base"), Total: int(c.AttrFloat(t, "total")),
					WarmupSteps: int(c.AttrFloat(t, "warmup")), WarmupRatio: c.AttrFloat(t, "warmup_ratio"), MinLR: c.AttrFloat(t, "min_lr")}
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			want := c.Values(t, "lrs")
			got := make([]float64, len(want))
			for i := range got {
				got[i] = s.LR(i)
			}
			backendtest.Close(t, name+" lrs", got, want, goldenTol)
			for i := range got { // elementwise too: the norm hides small entries
				if math.Abs(got[i]-want[i]) > goldenTol*math.Abs(want[i]) {
					t.Errorf("%s LR(%d) = %g, PyTorch %g", name, i, got[i], want[i])
				}
			}
		})
	}
}
