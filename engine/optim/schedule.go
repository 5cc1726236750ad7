package optim

import (
	"fmt"
	"math"
)

// Schedule gives the learning rate of each update. Steps count from 0: LR(0)
// is the rate of the first update, LR(s) that of update s+1, as a PyTorch
// scheduler stepped once after every optimizer.step(). A training loop calls
// opt.SetLR(sched.LR(step)) before opt.Step() with step = opt.Steps().
type Schedule interface {
	LR(step int) float64
}

// Poly is linear warm-up followed by polynomial decay (mmseg's "poly"
// policy, ALLNet's schedule with Power 0.9). With w = WarmupSteps and
// T = Total:
//
//	LR(s) = Base * (r + (1-r) * s/w)                 for s < w (r = WarmupRatio)
//	LR(s) = max(Base * (1 - (s-w)/(T-w))^Power, MinLR) for w <= s, s clamped to T
//
// so the rate climbs linearly from Base*WarmupRatio at step 0 to Base at
// step w, then decays to 0 (floored at MinLR) at step T and stays there.
// It equals PyTorch's LinearLR(start_factor=r, total_iters=w) followed by
// PolynomialLR(total_iters=T-w, power) in a SequentialLR (MinLR 0).
// Negative steps count as 0. Call Validate before use.
type Poly struct {
	Base        float64 // peak learning rate (> 0)
	Power       float64 // decay exponent (> 0; ALLNet: 0.9)
	Total       int     // total number of updates (> 0)
	WarmupSteps int     // warm-up length w in [0, Total)
	WarmupRatio float64 // starting factor r in [0, 1] (e.g. 1e-6)
	MinLR       float64 // floor in [0, Base]
}

// Validate returns an error naming the first field out of range.
func (p Poly) Validate() error {
	if err := checkSchedule("Poly", p.Base, p.Total, p.WarmupSteps, p.WarmupRatio, p.MinLR); err != nil {
		return err
	}
	if !(p.Power > 0) || math.IsInf(p.Power, 0) {
		return fmt.Errorf("optim: Poly: Power is %g, want finite and > 0 (ALLNet uses 0.9)", p.Power)
	}
	return nil
}

// LR returns the learning rate of update step (see Poly).
func (p Poly) LR(step int) float64 {
	if lr, ok := warmup(step, p.Base, p.WarmupSteps, p.WarmupRatio); ok {
		return lr
	}
	lr := p.Base * math.Pow(1-progress(step, p.Total, p.WarmupSteps), p.Power)
	return math.Max(lr, p.MinLR)
}

// Cosine is linear warm-up followed by cosine annealing to MinLR. With
// w = WarmupSteps and T = Total:
//
//	LR(s) = Base * (r + (1-r) * s/w)                           for s < w
//	LR(s) = MinLR + (Base-MinLR) * (1 + cos(pi*(s-w)/(T-w)))/2 for w <= s, s clamped to T
//
// so it reaches MinLR at step T and stays there. Up to step T it equals
// PyTorch's LinearLR(start_factor=r, total_iters=w) followed by
// CosineAnnealingLR(T_max=T-w, eta_min=MinLR) in a SequentialLR. Negative
// steps count as 0. Call Validate before use.
type Cosine struct {
	Base        float64 // peak learning rate (> 0)
	Total       int     // total number of updates (> 0)
	WarmupSteps int     // warm-up length w in [0, Total)
	WarmupRatio float64 // starting factor r in [0, 1]
	MinLR       float64 // final learning rate in [0, Base]
}

// Validate returns an error naming the first field out of range.
func (c Cosine) Validate() error {
	return checkSchedule("Cosine", c.Base, c.Total, c.WarmupSteps, c.WarmupRatio, c.MinLR)
}

// LR returns the learning rate of update step (see Cosine).
func (c Cosine) LR(step int) float64 {
	if lr, ok := warmup(step, c.Base, c.WarmupSteps, c.WarmupRatio); ok {
		return lr
	}
	x := progress(step, c.Total, c.WarmupSteps)
	return c.MinLR + (c.Base-c.MinLR)*(1+math.Cos(math.Pi*x))/2
}

// warmup returns the warm-up rate of step and true while step < w.
func warmup(step int, base float64, w int, ratio float64) (float64, bool) {
	step = max(step, 0)
	if step >= w {
		return 0, false
	}
	return base * (ratio + (1-ratio)*float64(step)/float64(w)), true
}

// progress returns (s-w)/(T-w) for s clamped to [w, T].
func progress(step, total, w int) float64 {
	step = min(max(step, w), total)
	return float64(step-w) / float64(total-w)
}

func checkSchedule(kind string, base float64, total, w int, ratio, minLR float64) error {
	switch {
	case !(base > 0) || math.IsInf(base, 0):
		return fmt.Errorf("optim: %s: Base is %g, want a finite learning rate > 0", kind, base)
	case total <= 0:
		return fmt.Errorf("optim: %s: Total is %d, want > 0", kind, total)
	case w < 0 || w >= total:
		return fmt.Errorf("optim: %s: WarmupSteps is %d, want in [0, Total=%d)", kind, w, total)
	case !(ratio >= 0 && ratio <= 1):
		return fmt.Errorf("optim: %s: WarmupRatio is %g, want in [0, 1]", kind, ratio)
	case !(minLR >= 0 && minLR <= base):
		return fmt.Errorf("optim: %s: MinLR is %g, want in [0, Base=%g]", kind, minLR, base)
	}
	return nil
}
