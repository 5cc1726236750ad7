package transform

import (
	"fmt"
	"math"
	"math/rand/v2"

	"allnet/data"
)

// ScaledSize returns the size of an h x w sample scaled by f: each side
// times f, rounded, at least 1.
func ScaledSize(h, w int, f float64) (int, int) {
	return max(1, int(math.Round(float64(h)*f))), max(1, int(math.Round(float64(w)*f)))
}

// Scale resizes s by factor f (to ScaledSize) with Resize's rules and
// divides its depth by f: zooming in by f makes the scene look f times
// closer ([MTL]: depth / scale).
func Scale(s *data.Sample, f float64) error {
	if err := Check(s); err != nil {
		return err
	}
	h, w := ScaledSize(s.H(), s.W(), f)
	return ScaleCrop(s, f, 0, 0, h, w)
}

// ScaleCrop is Scale(s, f) followed by Crop(s, y0, x0, h, w), computed at
// the cost of the crop: only the window's pixels are interpolated. The result
// is the same as the two calls in sequence.
func ScaleCrop(s *data.Sample, f float64, y0, x0, h, w int) error {
	if !(f > 0) || math.IsInf(f, 0) {
		return fmt.Errorf("sample %q: scale factor %g: must be positive and finite", s.Name, f)
	}
	if err := Check(s); err != nil {
		return err
	}
	if h <= 0 || w <= 0 {
		return fmt.Errorf("sample %q: crop to %dx%d: sizes must be positive", s.Name, h, w)
	}
	sh, sw := ScaledSize(s.H(), s.W(), f)
	resample(s, window{s.H(), sh, y0, h}, window{s.W(), sw, x0, w})
	if s.Depth != nil {
		inv := float32(1 / f)
		for i, d := range s.Depth {
			s.Depth[i] = d * inv
		}
	}
	return nil
}

// RandomScale draws f uniformly from [lo, hi] (one rng.Float64 call), applies
// Scale(s, f) and returns f. Training uses [0.5, 2].
func RandomScale(s *data.Sample, rng *rand.Rand, lo, hi float64) (float64, error) {
	f, err := drawScale(rng, lo, hi)
	if err != nil {
		return 0, err
	}
	return f, Scale(s, f)
}

func drawScale(rng *rand.Rand, lo, hi float64) (float64, error) {
	if !(lo > 0) || !(hi >= lo) || math.IsInf(hi, 0) {
		return 0, fmt.Errorf("random scale [%g, %g]: want 0 < lo <= hi", lo, hi)
	}
	return lo + (hi-lo)*rng.Float64(), nil
}
