package degrade

import (
	"math/rand/v2"

	"allnet/data"
)

// NoiseParams: additive white Gaussian noise, I + N(0, Sigma^2) on
// intensities in [0, 1], independent per pixel and channel, clipped to
// [0, 1] (as a saved 8-bit image is; clipping shrinks the measured std only
// near black and white).
type NoiseParams struct {
	Sigma float64 `json:"sigma"` // standard deviation in [0, 1] intensity units
}

// Type returns Noise.
func (NoiseParams) Type() Type { return Noise }

// Validate checks Sigma in [0, 1].
func (p NoiseParams) Validate() error { return checkValue("noise sigma", p.Sigma, 0, 1) }

func (p NoiseParams) apply(img data.Image, _ []float32, rng *rand.Rand) data.Image {
	out := data.NewImage(img.C, img.H, img.W)
	for i, v := range img.Pix {
		out.Pix[i] = clip01(float64(v) + p.Sigma*rng.NormFloat64())
	}
	return out
}

// NoiseRanges are the ranges noise parameters are drawn from.
type NoiseRanges struct {
	Sigma Range `json:"sigma" yaml:"sigma"`
}

// DefaultNoise returns sigma ~ U(5/255, 50/255) (ALLNET.md section 4).
func DefaultNoise() NoiseRanges { return NoiseRanges{Sigma: Range{5.0 / 255, 50.0 / 255}} }

// Validate checks the ranges, naming the field.
func (r NoiseRanges) Validate() error { return r.Sigma.check("noise sigma", 0, 1) }

// Sample draws noise parameters.
func (r NoiseRanges) Sample(rng *rand.Rand) NoiseParams {
	return NoiseParams{Sigma: r.Sigma.Sample(rng)}
}
