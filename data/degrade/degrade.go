// Package degrade synthesises the four degradations ALLNet trains and is
// evaluated on (ALLNET.md section 4): Gaussian noise, haze from depth, rain
// streaks and RSBlur-style motion blur. It works on plain data.Image values
// holding RGB in [0, 1] and knows nothing of the engine.
//
// Each type has a Params struct (the "params" object of degradations.json),
// a Ranges struct whose Sample draws Params from documented default ranges,
// and an Apply that is deterministic given the Params and the *rand.Rand it
// is handed (per-pixel randomness such as noise or rain drop positions comes
// from that generator). Spec, ValSpec and ApplySpec implement the seeded
// degraded validation split of CONVENTIONS.md ("Seeds and degraded splits").
//
// Every output is clipped to [0, 1], as the degraded images are stored as
// 8-bit PNGs.
package degrade

import (
	"fmt"
	"math"
	"math/rand/v2"

	"allnet/data"
)

// Type names a degradation (CONVENTIONS.md "Names").
type Type string

// The degradation types. Clean means none.
const (
	Clean Type = "clean"
	Noise Type = "noise"
	Haze  Type = "haze"
	Rain  Type = "rain"
	Blur  Type = "blur"
)

// AllTypes lists the four degradations in the order the validation split
// indexes them (types[hash % 4]); changing it changes every degraded split.
var AllTypes = []Type{Noise, Haze, Rain, Blur}

// ParseType returns the Type named s.
func ParseType(s string) (Type, error) {
	switch t := Type(s); t {
	case Clean, Noise, Haze, Rain, Blur:
		return t, nil
	}
	return "", fmt.Errorf("degradation type %q: expected one of clean, noise, haze, rain, blur", s)
}

// Params are one image's degradation parameters. The concrete types are
// CleanParams, NoiseParams, HazeParams, RainParams and BlurParams.
type Params interface {
	// Type names the degradation.
	Type() Type
	// Validate reports a parameter outside its domain, naming the field.
	Validate() error
	// apply degrades a checked image; depth is nil or H*W.
	apply(img data.Image, depth []float32, rng *rand.Rand) data.Image
}

// Apply returns a degraded copy of img (RGB in [0, 1]) under p, drawing any
// per-pixel randomness from rng; the input is not modified. depth (metres,
// H*W, 0 = invalid) is used by haze only and may be nil: haze then uses
// DepthProxy with DefaultProxy. The result depends only on img, depth, p and
// the state of rng.
func Apply(img data.Image, depth []float32, p Params, rng *rand.Rand) (data.Image, error) {
	if p == nil {
		return data.Image{}, fmt.Errorf("degrade: nil params")
	}
	if err := img.Check(); err != nil {
		return data.Image{}, fmt.Errorf("degrade %s: %w", p.Type(), err)
	}
	if depth != nil && len(depth) != img.H*img.W {
		return data.Image{}, fmt.Errorf("degrade %s: depth has %d values, image is %dx%d",
			p.Type(), len(depth), img.H, img.W)
	}
	if err := p.Validate(); err != nil {
		return data.Image{}, err
	}
	if p.Type() == Haze && img.C != 3 {
		return data.Image{}, fmt.Errorf("degrade haze: image has %d channels, want 3 (RGB)", img.C)
	}
	if rng == nil && p.Type() != Clean && p.Type() != Haze {
		return data.Image{}, fmt.Errorf("degrade %s: nil random generator", p.Type())
	}
	return p.apply(img, depth, rng), nil
}

// CleanParams is the identity degradation.
type CleanParams struct{}

// Type returns Clean.
func (CleanParams) Type() Type { return Clean }

// Validate always succeeds.
func (CleanParams) Validate() error { return nil }

func (CleanParams) apply(img data.Image, _ []float32, _ *rand.Rand) data.Image { return img.Clone() }

// Range is a closed interval [lo, hi] that parameters are drawn from
// uniformly; lo == hi fixes the value.
type Range [2]float64

// Sample draws uniformly from the range.
func (r Range) Sample(rng *rand.Rand) float64 {
	if r[0] == r[1] {
		return r[0]
	}
	return r[0] + (r[1]-r[0])*rng.Float64()
}

// check reports a range that is reversed or leaves [min, max].
func (r Range) check(name string, min, max float64) error {
	for _, v := range r {
		if math.IsNaN(v) || v < min || v > max {
			return fmt.Errorf("%s [%g, %g]: values must lie in [%g, %g]", name, r[0], r[1], min, max)
		}
	}
	if r[0] > r[1] {
		return fmt.Errorf("%s [%g, %g]: lower bound above upper bound", name, r[0], r[1])
	}
	return nil
}

// checkValue reports v outside [min, max], naming the field.
func checkValue(name string, v, min, max float64) error {
	if math.IsNaN(v) || v < min || v > max {
		return fmt.Errorf("%s = %g: must lie in [%g, %g]", name, v, min, max)
	}
	return nil
}

// firstError returns the first non-nil error of errs, or nil.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Options hold the ranges every type draws its parameters from.
type Options struct {
	Types []Type `json:"types" yaml:"types"` // drawn per image by RandomDegradation
	// Weights, when set, are the relative frequencies of Types (one each,
	// >= 0, not all 0); nil draws the types uniformly, as the paper does.
	Weights []float64   `json:"weights,omitempty" yaml:"weights,omitempty"`
	Noise   NoiseRanges `json:"noise" yaml:"noise"`
	Haze    HazeRanges  `json:"haze" yaml:"haze"`
	Rain    RainRanges  `json:"rain" yaml:"rain"`
	Blur    BlurRanges  `json:"blur" yaml:"blur"`
}

// DefaultOptions returns the documented defaults of every type, drawing all
// four types.
func DefaultOptions() Options {
	return Options{
		Types: append([]Type(nil), AllTypes...),
		Noise: DefaultNoise(),
		Haze:  DefaultHaze(),
		Rain:  DefaultRain(),
		Blur:  DefaultBlur(),
	}
}

// Validate reports the first invalid field.
func (o Options) Validate() error {
	if len(o.Types) == 0 {
		return fmt.Errorf("degrade options: types is empty")
	}
	for _, t := range o.Types {
		if _, err := ParseType(string(t)); err != nil {
			return fmt.Errorf("degrade options: types: %w", err)
		}
	}
	if err := o.validateWeights(); err != nil {
		return err
	}
	return firstError(o.Noise.Validate(), o.Haze.Validate(), o.Rain.Validate(), o.Blur.Validate())
}

// Sample draws parameters of type t from the options' ranges.
func (o Options) Sample(t Type, rng *rand.Rand) (Params, error) {
	switch t {
	case Clean:
		return CleanParams{}, nil
	case Noise:
		return o.Noise.Sample(rng), nil
	case Haze:
		return o.Haze.Sample(rng), nil
	case Rain:
		return o.Rain.Sample(rng), nil
	case Blur:
		return o.Blur.Sample(rng), nil
	}
	_, err := ParseType(string(t))
	return nil, err
}

// validateWeights checks Weights against Types.
func (o Options) validateWeights() error {
	if o.Weights == nil {
		return nil
	}
	if len(o.Weights) != len(o.Types) {
		return fmt.Errorf("degrade options: weights: %d values for %d types", len(o.Weights), len(o.Types))
	}
	sum := 0.0
	for i, w := range o.Weights {
		if !(w >= 0) || math.IsInf(w, 1) {
			return fmt.Errorf("degrade options: weights: %s = %g, want a finite value >= 0", o.Types[i], w)
		}
		sum += w
	}
	if sum == 0 || math.IsInf(sum, 1) {
		return fmt.Errorf("degrade options: weights: sum %g, want a finite sum > 0", sum)
	}
	return nil
}

// RandomDegradation draws a type from opts.Types (uniformly, or in the
// proportions of opts.Weights) and fresh parameters for it: the per-image
// sampling of training, so that each mini-batch mixes types.
func RandomDegradation(rng *rand.Rand, opts Options) (Type, Params, error) {
	if err := opts.Validate(); err != nil {
		return "", nil, err
	}
	t := opts.Types[pickType(rng, opts.Weights, len(opts.Types))]
	p, err := opts.Sample(t, rng)
	return t, p, err
}

// pickType draws an index in [0, n): uniformly when weights is nil (one
// IntN draw, the stream of a run without weights), else with probability
// weights[i] / sum(weights).
func pickType(rng *rand.Rand, weights []float64, n int) int {
	if weights == nil {
		return rng.IntN(n)
	}
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	u := rng.Float64() * sum
	last := 0
	for i, w := range weights {
		if w == 0 {
			continue
		}
		if u < w {
			return i
		}
		u -= w
		last = i
	}
	return last // rounding left u at the top of the range
}

// clip01 clamps v to [0, 1].
func clip01(v float64) float32 {
	if v <= 0 {
		return 0
	}
	if v >= 1 {
		return 1
	}
	return float32(v)
}
