package optim

import (
	"fmt"
	"math"

	"allnet/engine"
)

// SGDConfig holds SGD's hyperparameters (the zero value except LR is plain
// SGD, as torch.optim.SGD's defaults).
type SGDConfig struct {
	LR          float64 // learning rate lr (>= 0)
	Momentum    float64 // momentum mu (>= 0); 0 keeps no buffer
	Dampening   float64 // dampening d in [0, 1]
	WeightDecay float64 // L2 penalty wd added to the gradient (>= 0)
	Nesterov    bool    // Nesterov momentum (needs Momentum > 0, Dampening 0)
	// NoDecay, when set, returns true for parameter names that get no
	// weight decay (see DefaultNoDecay).
	NoDecay func(name string) bool
}

// Validate returns an error naming the first field out of range.
func (c SGDConfig) Validate() error {
	if err := checkLR("SGD", c.LR); err != nil {
		return err
	}
	switch {
	case !(c.Momentum >= 0) || math.IsInf(c.Momentum, 0):
		return fmt.Errorf("optim: SGD: Momentum is %g, want finite and >= 0", c.Momentum)
	case !(c.Dampening >= 0 && c.Dampening <= 1):
		return fmt.Errorf("optim: SGD: Dampening is %g, want in [0, 1]", c.Dampening)
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return fmt.Errorf("optim: SGD: WeightDecay is %g, want finite and >= 0", c.WeightDecay)
	case c.Nesterov && (c.Momentum == 0 || c.Dampening != 0):
		return fmt.Errorf("optim: SGD: Nesterov needs Momentum > 0 and Dampening 0, have Momentum %g, Dampening %g",
			c.Momentum, c.Dampening)
	}
	return nil
}

// SGD is stochastic gradient descent with optional momentum, exactly as
// torch.optim.SGD. For each parameter p with gradient g:
//
//	d   = g + wd*p                  (wd = 0 for NoDecay names)
//	buf = d                         at p's first update, else
//	buf = mu*buf + (1-dampening)*d
//	d   = d + mu*buf  (Nesterov)    or  d = buf  (otherwise)
//	p   = p - lr*d
//
// With Momentum 0 the buffer steps are skipped (p = p - lr*d). State: slot
// "momentum_buffer" when Momentum > 0.
type SGD struct {
	base
	cfg SGDConfig
}

// NewSGD returns an SGD optimiser over params (leaves with a unique Name
// that require grad), or an error naming the bad parameter or
// hyperparameter.
func NewSGD(params []*engine.Tensor, cfg SGDConfig) (*SGD, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var slots []string
	if cfg.Momentum != 0 {
		slots = []string{"momentum_buffer"}
	}
	b, err := newBase("SGD", params, cfg.LR, cfg.NoDecay, slots...)
	if err != nil {
		return nil, err
	}
	return &SGD{base: b, cfg: cfg}, nil
}

// Config returns the hyperparameters, with LR the current learning rate.
func (o *SGD) Config() SGDConfig {
	c := o.cfg
	c.LR = o.lr
	return c
}

// Step applies the SGD update above to every parameter that has a
// gradient, in place; momentum buffers are replaced by new tensors.
func (o *SGD) Step() {
	mu, lr := o.cfg.Momentum, o.lr
	engine.NoGrad(func() {
		for i, p := range o.params {
			d := p.Grad()
			if d == nil {
				continue
			}
			if wd := o.cfg.WeightDecay; wd != 0 && o.decay[i] {
				d = engine.Add(d, engine.Scale(p, wd))
			}
			if mu != 0 {
				var buf *engine.Tensor
				switch {
				case o.pSteps[i] == 0:
					buf = d.Clone()
				case o.cfg.Dampening == 0:
					buf = engine.Add(engine.Scale(o.moments[i][0], mu), d)
				default:
					buf = engine.Add(engine.Scale(o.moments[i][0], mu), engine.Scale(d, 1-o.cfg.Dampening))
				}
				o.moments[i][0] = buf
				if o.cfg.Nesterov {
					d = engine.Add(d, engine.Scale(buf, mu))
				} else {
					d = buf
				}
			}
			o.pSteps[i]++
			p.CopyFrom(engine.Sub(p, engine.Scale(d, lr)))
		}
	})
	o.steps++
}
