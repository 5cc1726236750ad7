package transform

import (
	"fmt"
	"math/rand/v2"

	"allnet/data"
)

// Options set the training augmentation ([MTL], ALLNET.md section 2).
type Options struct {
	// ScaleMin and ScaleMax bound the random scale factor (0.5 and 2);
	// 1 and 1 disable scaling.
	ScaleMin float64 `json:"scale_min" yaml:"scale_min"`
	ScaleMax float64 `json:"scale_max" yaml:"scale_max"`
	// FlipProb is the probability of a horizontal flip (0.5).
	FlipProb float64 `json:"flip_prob" yaml:"flip_prob"`
	// Jitter sets the photometric jitter; Prob 0 disables it.
	Jitter JitterOptions `json:"jitter" yaml:"jitter"`
}

// DefaultOptions returns scale 0.5-2, flip probability 0.5 and DefaultJitter.
func DefaultOptions() Options {
	return Options{ScaleMin: 0.5, ScaleMax: 2, FlipProb: 0.5, Jitter: DefaultJitter()}
}

// Validate reports the first invalid field.
func (o Options) Validate() error {
	if !(o.ScaleMin > 0) || !(o.ScaleMax >= o.ScaleMin) || o.ScaleMax > 16 {
		return fmt.Errorf("augment scale [%g, %g]: want 0 < min <= max <= 16", o.ScaleMin, o.ScaleMax)
	}
	if !(o.FlipProb >= 0 && o.FlipProb <= 1) {
		return fmt.Errorf("augment flip_prob = %g: must lie in [0, 1]", o.FlipProb)
	}
	return o.Jitter.Validate()
}

// Augment applies the training augmentation to s and leaves it h x w:
// RandomScale in [ScaleMin, ScaleMax], RandomCrop to h x w (padding samples
// that are smaller), RandomFlip with FlipProb, then PhotometricJitter. The
// result depends only on s, o, h, w and the state of rng. Scale and crop are
// fused (ScaleCrop) with the same draws and the same result as RandomScale
// then RandomCrop.
func Augment(s *data.Sample, rng *rand.Rand, o Options, h, w int) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if err := Check(s); err != nil {
		return err
	}
	f, err := drawScale(rng, o.ScaleMin, o.ScaleMax)
	if err != nil {
		return err
	}
	if h <= 0 || w <= 0 {
		return fmt.Errorf("sample %q: crop to %dx%d: sizes must be positive", s.Name, h, w)
	}
	sh, sw := ScaledSize(s.H(), s.W(), f)
	y0, x0 := drawCrop(rng, sh, sw, h, w)
	if err := ScaleCrop(s, f, y0, x0, h, w); err != nil {
		return err
	}
	if _, err := RandomFlip(s, rng, o.FlipProb); err != nil {
		return err
	}
	return PhotometricJitter(s, rng, o.Jitter)
}
