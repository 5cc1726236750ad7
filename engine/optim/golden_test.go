package optim

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"allnet/engine"
	"allnet/engine/backend/backendtest"
)

// The fixture engine/testdata/golden/optim.json is written by
// scripts/golden/gen_optim.py with PyTorch (same layout as engine's
// golden_test.go reads).

const goldenTol = 1e-12

type goldenCase struct {
	Name    string         `json:"name"`
	Attrs   map[string]any `json:"attrs"`
	Tensors map[string]struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	} `json:"tensors"`
}

// loadOptimGolden returns the fixture's cases by name.
func loadOptimGolden(t *testing.T) map[string]goldenCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "optim.json"))
	if err != nil {
		t.Fatalf("golden fixture: %v (regenerate with scripts/golden/gen_optim.py)", err)
	}
	var f struct {
		Cases []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("golden fixture: %v", err)
	}
	out := map[string]goldenCase{}
	for _, c := range f.Cases {
		out[c.Name] = c
	}
	return out
}

func (c goldenCase) data(t *testing.T, name string) []float64 {
	t.Helper()
	g, ok := c.Tensors[name]
	if !ok {
		t.Fatalf("golden case %s has no tensor %q", c.Name, name)
	}
	return g.Data
}

// row returns the s-th of the (steps, ...) stacked tensor's rows as a
// float64 CPU tensor of the row shape.
func (c goldenCase) row(t *testing.T, name string, s int) *engine.Tensor {
	t.Helper()
	g := c.Tensors[name]
	n := len(g.Data) / g.Shape[0]
	return engine.FromFloat64(engine.CPU(), g.Data[s*n:(s+1)*n], g.Shape[1:]...)
}

func (c goldenCase) num(t *testing.T, name string) float64 {
	t.Helper()
	v, ok := c.Attrs[name].(float64)
	if !ok {
		t.Fatalf("golden case %s: attribute %q missing or not a number", c.Name, name)
	}
	return v
}

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
	a := engine.FromFloat64(engine.CPU(), c.data(t, "a0"), 3, 4).SetRequiresGrad(true)
	b := engine.FromFloat64(engine.CPU(), c.data(t, "b0"), 5).SetRequiresGrad(true)
	a.Name, b.Name = "a", "b"
	opt := newOpt([]*engine.Tensor{a, b}, func(n string) bool { return n == "b" })
	lrs := c.data(t, "lr")
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
			backendtest.Close(t, c.Name+" "+slot+" "+p, tensors[slotName(slot, p)].Float64s(), c.data(t, slot+"_"+p), goldenTol)
		}
	}
}

func TestGoldenAdamW(t *testing.T) {
	cases := loadOptimGolden(t)
	for _, name := range []string{"adamw", "adamw_skip_lr"} {
		t.Run(name, func(t *testing.T) {
			c := cases[name]
			replay(t, c, func(ps []*engine.Tensor, nd func(string) bool) Optimizer {
				o, err := NewAdamW(ps, AdamWConfig{LR: 1, Beta1: c.num(t, "beta1"), Beta2: c.num(t, "beta2"),
					Eps: c.num(t, "eps"), WeightDecay: c.num(t, "weight_decay"), NoDecay: nd})
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
			nest, _ := c.Attrs["nesterov"].(bool)
			cfg := SGDConfig{LR: 1, Momentum: c.num(t, "momentum"), Dampening: c.num(t, "dampening"),
				WeightDecay: c.num(t, "weight_decay"), Nesterov: nest}
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
				g := c.Tensors[k]
				p := engine.New(engine.CPU(), engine.Float64, g.Shape...).SetRequiresGrad(true)
				p.SetGrad(engine.FromFloat64(engine.CPU(), g.Data, g.Shape...))
				ps = append(ps, p)
			}
			ps = append(ps, engine.New(engine.CPU(), engine.Float64, 7).SetRequiresGrad(true)) // no grad: skipped
			norm := ClipGradNorm(ps, c.num(t, "max_norm"))
			backendtest.Close(t, "total norm", []float64{norm}, c.data(t, "total_norm"), goldenTol)
			for i, k := range []string{"out_g0", "out_g1", "out_g2"} {
				backendtest.Close(t, k, ps[i].Grad().Float64s(), c.data(t, k), goldenTol)
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
				s = Poly{Base: c.num(t, "base"), Power: c.num(t, "power"), Total: int(c.num(t, "total")),
					WarmupSteps: int(c.num(t, "warmup")), WarmupRatio: c.num(t, "warmup_ratio"), MinLR: c.num(t, "min_lr")}
			} else {
				s = Cosine{Base: c.num(t, "base"), Total: int(c.num(t, "total")),
					WarmupSteps: int(c.num(t, "warmup")), WarmupRatio: c.num(t, "warmup_ratio"), MinLR: c.num(t, "min_lr")}
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			want := c.data(t, "lrs")
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
