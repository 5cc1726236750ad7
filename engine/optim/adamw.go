package optim

import (
	"fmt"
	"math"

	"allnet/engine"
	"allnet/engine/backend"
)

// AdamWConfig holds AdamW's hyperparameters; AdamWDefaults gives PyTorch's.
type AdamWConfig struct {
	LR           float64 // learning rate lr (>= 0)
	Beta1, Beta2 float64 // moment decay rates b1, b2 in [0, 1)
	Eps          float64 // eps added to sqrt(vhat) (>= 0)
	WeightDecay  float64 // decoupled weight decay wd (>= 0)
	// NoDecay, when set, returns true for parameter names that get no
	// weight decay (see DefaultNoDecay).
	NoDecay func(name string) bool
}

// AdamWDefaults returns torch.optim.AdamW's defaults with learning rate lr:
// betas (0.9, 0.999), eps 1e-8, weight decay 0.01, no exclusions. ALLNet
// trains with lr 6e-5 and weight decay 0.05.
func AdamWDefaults(lr float64) AdamWConfig {
	return AdamWConfig{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
}

// Validate returns an error naming the first field out of range.
func (c AdamWConfig) Validate() error {
	if err := checkLR("AdamW", c.LR); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    float64
		ok   bool
	}{
		{"Beta1", c.Beta1, c.Beta1 >= 0 && c.Beta1 < 1},
		{"Beta2", c.Beta2, c.Beta2 >= 0 && c.Beta2 < 1},
		{"Eps", c.Eps, c.Eps >= 0 && !math.IsInf(c.Eps, 0)},
		{"WeightDecay", c.WeightDecay, c.WeightDecay >= 0 && !math.IsInf(c.WeightDecay, 0)},
	} {
		if !f.ok {
			want := "in [0, 1)"
			if f.name == "Eps" || f.name == "WeightDecay" {
				want = "finite and >= 0"
			}
			return fmt.Errorf("optim: AdamW: %s is %g, want %s", f.name, f.v, want)
		}
	}
	return nil
}

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter), exactly
// as torch.optim.AdamW (amsgrad off). For each parameter p with gradient g,
// at its t-th update (t counts from 1 per parameter):
//
//	p  = p * (1 - lr*wd)            (wd = 0 for NoDecay names)
//	m  = b1*m + (1-b1)*g
//	v  = b2*v + (1-b2)*g^2
//	p  = p - lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
//
// which is p -= lr * mhat/(sqrt(vhat)+eps) with mhat = m/(1-b1^t) and
// vhat = v/(1-b2^t). State: slots "exp_avg" (m) and "exp_avg_sq" (v).
type AdamW struct {
	base
	cfg AdamWConfig
}

// NewAdamW returns an AdamW optimiser over params (leaves with a unique
// Name that require grad) with zero moments, or an error naming the bad
// parameter or hyperparameter.
func NewAdamW(params []*engine.Tensor, cfg AdamWConfig) (*AdamW, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b, err := newBase("AdamW", params, cfg.LR, cfg.NoDecay, "exp_avg", "exp_avg_sq")
	if err != nil {
		return nil, err
	}
	return &AdamW{base: b, cfg: cfg}, nil
}

// Config returns the hyperparameters, with LR the current learning rate.
func (o *AdamW) Config() AdamWConfig {
	c := o.cfg
	c.LR = o.lr
	return c
}

// Step applies the AdamW update above to every parameter that has a
// gradient, in place (p, m and v), through engine.AdamWUpdate.
func (o *AdamW) Step() {
	b1, b2, lr := o.cfg.Beta1, o.cfg.Beta2, o.lr
	for i, p := range o.params {
		g := p.Grad()
		if g == nil {
			continue
		}
		o.pSteps[i]++
		t := float64(o.pSteps[i])
		decay := 1.0
		if wd := o.cfg.WeightDecay; wd != 0 && o.decay[i] {
			decay = 1 - lr*wd
		}
		engine.AdamWUpdate(p, o.moments[i][0], o.moments[i][1], g, backend.AdamWArgs{Decay: decay, Beta1: b1, Beta2: b2,
			StepSize: lr / (1 - math.Pow(b1, t)), BC2Sqrt: math.Sqrt(1 - math.Pow(b2, t)), Eps: o.cfg.Eps})
	}
	o.steps++
}
