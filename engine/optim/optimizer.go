// Package optim holds allnet's optimisers (AdamW, SGD), learning-rate
// schedules and gradient-norm clipping. Everything is written with engine
// ops, so it runs on whatever backend the parameters live on.
//
// The update rules follow PyTorch 1.13's torch.optim (single-tensor path)
// operation by operation, so a float64 run matches PyTorch to rounding.
// A training step reads:
//
//	opt.SetLR(sched.LR(step)) // step = 0 for the first update
//	loss.Backward()
//	norm := optim.ClipGradNorm(opt.Params(), 10)
//	opt.Step()
//	opt.ZeroGrad()
package optim

import (
	"fmt"
	"math"
	"strings"

	"allnet/engine"
)

// Optimizer updates a fixed list of parameters from their gradients.
type Optimizer interface {
	// Step applies one update to every parameter whose Grad is not nil, in
	// place, and counts one step. Parameters without a gradient keep their
	// values and state.
	Step()
	// ZeroGrad clears every parameter's gradient (sets it to nil).
	ZeroGrad()
	// LR returns the learning rate the next Step uses.
	LR() float64
	// SetLR sets the learning rate for the following Steps.
	SetLR(lr float64)
	// Steps returns the number of Step calls so far (restored by LoadState).
	Steps() int
	// Params returns the parameters, in the order given to the constructor.
	Params() []*engine.Tensor
	// State returns the optimiser's state for a checkpoint, see StateNames.
	State() (tensors map[string]*engine.Tensor, counts map[string]int)
	// LoadState restores what State returned; it changes nothing and returns
	// an error listing every missing, unexpected or mis-shaped entry when
	// the state does not fit the parameters.
	LoadState(tensors map[string]*engine.Tensor, counts map[string]int) error
}

// Names of state entries. For a parameter named N the moment tensors are
// "optim.exp_avg.N" and "optim.exp_avg_sq.N" (AdamW: m and v) or
// "optim.momentum_buffer.N" (SGD with momentum), shaped like N, and the
// counts are "optim.step" (Step calls) and "optim.step.N" (updates N
// received: the t of AdamW's bias correction).
const (
	// StatePrefix starts every state name; LoadState ignores other names, so
	// a whole checkpoint's tensor map may be passed.
	StatePrefix = "optim."
	// StepKey names the count of Step calls.
	StepKey = "optim.step"
)

// slotName returns the state tensor name of a moment slot for parameter p.
func slotName(slot, param string) string { return StatePrefix + slot + "." + param }

// stepName returns the count name of parameter p's updates.
func stepName(param string) string { return StepKey + "." + param }

// base holds what both optimisers share: parameters, learning rate, step
// counts and named moment slots (one tensor per parameter per slot, shaped
// like the parameter, on its backend and dtype).
type base struct {
	params  []*engine.Tensor
	decay   []bool // weight decay applies to params[i]
	lr      float64
	steps   int
	pSteps  []int              // updates of params[i]
	slots   []string           // moment slot names, e.g. "exp_avg"
	moments [][]*engine.Tensor // moments[i][k]: slot k of params[i]
	opName  string             // "AdamW" or "SGD", for messages
}

// newBase validates the parameters and allocates zero moments for slots.
func newBase(op string, params []*engine.Tensor, lr float64, noDecay func(string) bool, slots ...string) (base, error) {
	if err := checkLR(op, lr); err != nil {
		return base{}, err
	}
	if len(params) == 0 {
		return base{}, fmt.Errorf("optim: %s: no parameters", op)
	}
	b := base{params: append([]*engine.Tensor(nil), params...), lr: lr, slots: slots, opName: op}
	seen := map[string]int{}
	for i, p := range params {
		switch {
		case p == nil:
			return base{}, fmt.Errorf("optim: %s: parameter %d is nil", op, i)
		case p.Name == "":
			return base{}, fmt.Errorf("optim: %s: parameter %d (%v) has no Name", op, i, p)
		case !p.DType().IsFloat():
			return base{}, fmt.Errorf("optim: %s: parameter %q is %v, want a float tensor", op, p.Name, p.DType())
		case !p.RequiresGrad():
			return base{}, fmt.Errorf("optim: %s: parameter %q does not require grad", op, p.Name)
		}
		if j, dup := seen[p.Name]; dup {
			return base{}, fmt.Errorf("optim: %s: parameters %d and %d are both named %q", op, j, i, p.Name)
		}
		seen[p.Name] = i
		b.decay = append(b.decay, noDecay == nil || !noDecay(p.Name))
		m := make([]*engine.Tensor, len(slots))
		for k := range slots {
			m[k] = engine.New(p.Backend(), p.DType(), p.Shape()...)
		}
		b.moments = append(b.moments, m)
	}
	b.pSteps = make([]int, len(params))
	return b, nil
}

func checkLR(op string, lr float64) error {
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("optim: %s: LR is %g, want a finite value >= 0", op, lr)
	}
	return nil
}

// LR returns the learning rate the next Step uses.
func (b *base) LR() float64 { return b.lr }

// SetLR sets the learning rate; it panics on a negative or non-finite value.
func (b *base) SetLR(lr float64) {
	if err := checkLR(b.opName, lr); err != nil {
		panic(err.Error())
	}
	b.lr = lr
}

// Steps returns the number of Step calls so far.
func (b *base) Steps() int { return b.steps }

// Params returns the parameters in constructor order.
func (b *base) Params() []*engine.Tensor { return append([]*engine.Tensor(nil), b.params...) }

// ZeroGrad sets every parameter's gradient to nil.
func (b *base) ZeroGrad() {
	for _, p := range b.params {
		p.ZeroGrad()
	}
}

// Decays reports whether weight decay applies to the parameter named name
// (false for names the NoDecay option excluded, and for unknown names).
func (b *base) Decays(name string) bool {
	for i, p := range b.params {
		if p.Name == name {
			return b.decay[i]
		}
	}
	return false
}

// DefaultNoDecay is a NoDecay rule for the usual exclusions: it returns true
// (no weight decay) when the last dotted component of name is "bias", a
// layer-scale factor ("gamma", "gamma1", "gamma2", "layer_scale*", "ls1",
// "ls2"), or names a token or embedding ("*token*", "*pos_embed*",
// "*level_embed*", "*position*", e.g. "relative_position_bias_table"), or
// when any component is a normalisation layer: after dropping trailing
// digits it equals "bn", "ln" or "gn" or ends in "norm" (so "norm1",
// "layernorm", "pre_norm" match but "normals" does not). Weights of
// normalisation layers nested in a Sequential ("norm1.1.weight") match
// through their "norm1" component.
func DefaultNoDecay(name string) bool {
	parts := strings.Split(name, ".")
	last := strings.ToLower(parts[len(parts)-1])
	switch strings.TrimRight(last, "0123456789") {
	case "bias", "gamma", "ls":
		return true
	}
	if strings.HasPrefix(last, "layer_scale") {
		return true
	}
	for _, s := range []string{"token", "pos_embed", "level_embed", "position"} {
		if strings.Contains(last, s) {
			return true
		}
	}
	for _, c := range parts {
		c = strings.TrimRight(strings.ToLower(c), "0123456789")
		if c == "bn" || c == "ln" || c == "gn" || strings.HasSuffix(c, "norm") {
			return true
		}
	}
	return false
}
