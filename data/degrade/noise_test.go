package degrade

import (
	"math"
	"testing"
)

// On a mid-grey image clipping at 0 and 1 is negligible (it lowers the std by
// under 1% at sigma = 50/255), so the measured std must match sigma.
func TestNoiseStdMatchesSigma(t *testing.T) {
	rng := NewRNG(1, 2)
	sigmas := []float64{5.0 / 255, 20.0 / 255, 50.0 / 255}
	for range 3 {
		sigmas = append(sigmas, DefaultNoise().Sample(rng).Sigma)
	}
	img := flatImage(3, benchH, benchW, 0.5)
	for i, s := range sigmas {
		out := mustApply(t, img, nil, NoiseParams{Sigma: s}, uint64(i))
		diff := make([]float64, len(out.Pix))
		for j, v := range out.Pix {
			diff[j] = float64(v) - 0.5
		}
		mean, std := meanStd(diff)
		if math.Abs(std/s-1) > 0.02 {
			t.Errorf("sigma %.4f: measured std %.4f (ratio %.4f)", s, std, std/s)
		}
		if math.Abs(mean) > 3*s/math.Sqrt(float64(len(diff))) {
			t.Errorf("sigma %.4f: noise mean %.2e, want 0", s, mean)
		}
	}
}

func TestNoiseClipsAndSamplesInRange(t *testing.T) {
	img := randomImage(40, 50, 3)
	img.Pix[0], img.Pix[1] = 0, 1
	out := mustApply(t, img, nil, NoiseParams{Sigma: 0.5}, 9)
	for i, v := range out.Pix {
		if v < 0 || v > 1 {
			t.Fatalf("pixel %d = %g outside [0, 1]", i, v)
		}
	}
	rng := NewRNG(5, 5)
	r := DefaultNoise()
	for range 1000 {
		s := r.Sample(rng).Sigma
		if s < 5.0/255 || s > 50.0/255 {
			t.Fatalf("sigma %g outside the default range", s)
		}
	}
}
