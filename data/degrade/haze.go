package degrade

import (
	"fmt"
	"math"
	"math/rand/v2"

	"allnet/data"
)

// HazeParams: the atmospheric scattering model I = J*t + A*(1-t) with
// transmission t = exp(-Beta*d), d the depth in metres. Pixels of invalid
// depth (0, negative or NaN) keep t = 1: no haze. The model needs no
// randomness.
type HazeParams struct {
	Beta float64    `json:"beta"` // scattering coefficient, per metre
	A    [3]float64 `json:"A"`    // atmospheric light per RGB channel, in [0, 1]
}

// Type returns Haze.
func (HazeParams) Type() Type { return Haze }

// Validate checks Beta in [0, 10] per metre and A in [0, 1].
func (p HazeParams) Validate() error {
	if err := checkValue("haze beta", p.Beta, 0, 10); err != nil {
		return err
	}
	for c, a := range p.A {
		if err := checkValue(fmt.Sprintf("haze A[%d]", c), a, 0, 1); err != nil {
			return err
		}
	}
	return nil
}

// UnmarshalJSON reads {"beta", "A"}, requiring A to hold exactly three
// values and rejecting unknown fields.
func (p *HazeParams) UnmarshalJSON(b []byte) error {
	var raw struct {
		Beta float64   `json:"beta"`
		A    []float64 `json:"A"`
	}
	if err := strictDecode(b, &raw); err != nil {
		return err
	}
	if len(raw.A) != 3 {
		return fmt.Errorf("haze A has %d values, want 3 (RGB)", len(raw.A))
	}
	*p = HazeParams{Beta: raw.Beta, A: [3]float64(raw.A)}
	return nil
}

// Transmission returns t = exp(-Beta*d) for a depth in metres, and 1 where
// the depth is invalid (d <= 0 or NaN).
func (p HazeParams) Transmission(d float32) float64 {
	if !(d > 0) {
		return 1
	}
	return math.Exp(-p.Beta * float64(d))
}

func (p HazeParams) apply(img data.Image, depth []float32, _ *rand.Rand) data.Image {
	if depth == nil {
		depth = DepthProxy(img.H, img.W, DefaultProxy())
	}
	out := data.NewImage(img.C, img.H, img.W)
	n := img.H * img.W
	for i, d := range depth {
		t := p.Transmission(d)
		for c := range img.C {
			j := float64(img.Pix[c*n+i])
			out.Pix[c*n+i] = clip01(j*t + p.A[c]*(1-t))
		}
	}
	return out
}

// HazeRanges are the ranges haze parameters are drawn from.
type HazeRanges struct {
	Beta Range `json:"beta" yaml:"beta"` // per metre
	A    Range `json:"A" yaml:"A"`       // each channel drawn independently
}

// DefaultHaze returns beta ~ U(0.1, 0.6) per metre and A_c ~ U(0.7, 1.0)
// per channel (ALLNET.md section 4 gives the A range; beta is ours).
//
// Beta: NYUD depths run from about 0.5 to 10 m with a mean near 2.8 m. At
// that mean depth t = exp(-beta*2.8) spans 0.76 (light haze) at beta = 0.1 to
// 0.19 (dense, objects still visible) at beta = 0.6; a wall at 6 m keeps
// t >= 0.03 at the densest setting. Larger beta (RESIDE-style 0.6-1.8 on
// metric depth) whites out most of a room, leaving nothing to predict.
func DefaultHaze() HazeRanges { return HazeRanges{Beta: Range{0.1, 0.6}, A: Range{0.7, 1.0}} }

// Validate checks the ranges, naming the field.
func (r HazeRanges) Validate() error {
	if err := r.Beta.check("haze beta", 0, 10); err != nil {
		return err
	}
	return r.A.check("haze A", 0, 1)
}

// Sample draws haze parameters.
func (r HazeRanges) Sample(rng *rand.Rand) HazeParams {
	p := HazeParams{Beta: r.Beta.Sample(rng)}
	for c := range p.A {
		p.A[c] = r.A.Sample(rng)
	}
	return p
}

// ProxyOptions shape the depth proxy of datasets without depth (PASCAL).
type ProxyOptions struct {
	Near   float64 `json:"near" yaml:"near"`     // depth of the bottom row, metres
	Far    float64 `json:"far" yaml:"far"`       // depth of the top row, metres
	Gamma  float64 `json:"gamma" yaml:"gamma"`   // curve exponent: >1 keeps the lower image near
	Smooth int     `json:"smooth" yaml:"smooth"` // vertical box-blur radius in rows, 0 = none
}

// DefaultProxy returns near 1 m, far 8 m, gamma 2, smoothing radius 8 rows.
// With these the middle row sits at 2.75 m, close to NYUD's mean depth, so the
// haze ranges tuned on NYUD give PASCAL images a similar density, and the top
// of the image (usually sky or the far background) is the haziest.
func DefaultProxy() ProxyOptions { return ProxyOptions{Near: 1, Far: 8, Gamma: 2, Smooth: 8} }

// Validate checks 0 < Near <= Far, Gamma > 0 and Smooth >= 0.
func (o ProxyOptions) Validate() error {
	if !(o.Near > 0) || math.IsInf(o.Near, 0) {
		return fmt.Errorf("depth proxy near = %g: must be positive", o.Near)
	}
	if !(o.Far >= o.Near) || math.IsInf(o.Far, 0) {
		return fmt.Errorf("depth proxy far = %g: must be finite and at least near (%g)", o.Far, o.Near)
	}
	if !(o.Gamma > 0) || math.IsInf(o.Gamma, 0) {
		return fmt.Errorf("depth proxy gamma = %g: must be positive", o.Gamma)
	}
	if o.Smooth < 0 {
		return fmt.Errorf("depth proxy smooth = %d: must be >= 0", o.Smooth)
	}
	return nil
}

// DepthProxy returns an H*W depth map in metres for images without depth
// (CONVENTIONS.md "Seeds and degraded splits", ours): distance grows with
// height from the bottom row to the top,
//
//	d(y) = Near + (Far - Near) * ((H-1-y) / (H-1))^Gamma,
//
// constant along each row, then smoothed with a vertical box blur of radius
// Smooth rows (replicated borders), which rounds off the curve's ends. It
// panics on invalid options or sizes; validate options first.
func DepthProxy(h, w int, o ProxyOptions) []float32 {
	if err := o.Validate(); err != nil {
		panic("degrade.DepthProxy: " + err.Error())
	}
	if h <= 0 || w <= 0 {
		panic(fmt.Sprintf("degrade.DepthProxy: size %dx%d", h, w))
	}
	col := make([]float64, h)
	for y := range col {
		f := 0.0
		if h > 1 {
			f = float64(h-1-y) / float64(h-1)
		}
		col[y] = o.Near + (o.Far-o.Near)*math.Pow(f, o.Gamma)
	}
	if o.Smooth > 0 {
		sm := make([]float64, h)
		for y := range sm {
			s := 0.0
			for k := -o.Smooth; k <= o.Smooth; k++ {
				s += col[min(max(y+k, 0), h-1)]
			}
			sm[y] = s / float64(2*o.Smooth+1)
		}
		col = sm
	}
	d := make([]float32, h*w)
	for y, v := range col {
		row := d[y*w : (y+1)*w]
		for x := range row {
			row[x] = float32(v)
		}
	}
	return d
}
