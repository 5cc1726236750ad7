package degrade

import (
	"math"
	"math/rand/v2"

	"allnet/data"
)

// Gamma is the camera response of the RSBlur-style blur: L = I^Gamma is the
// linear intensity, the blurred image is (k * L)^(1/Gamma).
const Gamma = 2.2

// BlurParams: RSBlur-style motion blur. The camera follows a trajectory of
// M points p_i, a parabolic arc
//
//	p(s) = Length*s*u + 4*Curvature*Length*s^2*v,  s = i/(M-1) - 1/2,
//
// u = (cos Angle, -sin Angle) in image coordinates (x right, y down, so the
// angle turns counter-clockwise on screen), v = (sin Angle, cos Angle) its
// normal, shifted so that the points' centroid is at the kernel centre (the
// image does not move). Curvature is the arc's sagitta over its chord.
// M = ceil(4*Length)+1 keeps neighbouring points a quarter pixel apart. The
// PSF k = (1/M) sum_i delta(u - p_i) is rasterised by bilinear splatting and
// normalised to sum 1; B = (k * I^Gamma)^(1/Gamma), a true convolution with
// replicated borders, so a flat image stays flat. When Shot or Read is
// non-zero, Poisson-Gaussian noise is added in the linear domain before the
// inverse gamma: y = Shot*Poisson(b/Shot) + N(0, Read^2), clipped to [0, 1].
type BlurParams struct {
	Length    float64 `json:"length"`         // trajectory chord, pixels
	Angle     float64 `json:"angle"`          // chord direction, degrees counter-clockwise from +x
	Curvature float64 `json:"curvature"`      // sagitta / chord; 0 is a straight line
	Shot      float64 `json:"shot,omitempty"` // Poisson gain (linear units per photon), 0 = none
	Read      float64 `json:"read,omitempty"` // Gaussian read-noise std in linear units, 0 = none
}

// Type returns Blur.
func (BlurParams) Type() Type { return Blur }

// Validate checks every field's domain, naming the field.
func (p BlurParams) Validate() error {
	return firstError(
		checkValue("blur length", p.Length, 0, 60),
		checkValue("blur angle", p.Angle, -360, 360),
		checkValue("blur curvature", p.Curvature, -0.5, 0.5),
		checkValue("blur shot", p.Shot, 0, 0.1),
		checkValue("blur read", p.Read, 0, 0.1),
	)
}

// Trajectory returns the M points (x, y) of the camera path, centred on
// their centroid.
func (p BlurParams) Trajectory() [][2]float64 {
	m := int(math.Ceil(4*p.Length)) + 1
	a := p.Angle * math.Pi / 180
	ux, uy := math.Cos(a), -math.Sin(a)
	vx, vy := -uy, ux
	pts := make([][2]float64, m)
	var cx, cy float64
	for i := range pts {
		s := 0.0
		if m > 1 {
			s = float64(i)/float64(m-1) - 0.5
		}
		along, across := p.Length*s, 4*p.Curvature*p.Length*s*s
		pts[i] = [2]float64{along*ux + across*vx, along*uy + across*vy}
		cx += pts[i][0]
		cy += pts[i][1]
	}
	cx /= float64(m)
	cy /= float64(m)
	for i := range pts {
		pts[i][0] -= cx
		pts[i][1] -= cy
	}
	return pts
}

// PSF returns the K x K kernel (row-major, K odd, centre at K/2), summing
// to 1: entry [(K/2+dy)*K + K/2+dx] is the weight of displacement (dx, dy).
func (p BlurParams) PSF() (k []float64, size int) {
	pts := p.Trajectory()
	r := 0.0
	for _, q := range pts {
		r = max(r, math.Abs(q[0]), math.Abs(q[1]))
	}
	c := int(math.Ceil(r)) + 1
	size = 2*c + 1
	k = make([]float64, size*size)
	w := 1 / float64(len(pts))
	for _, q := range pts {
		x0, y0 := math.Floor(q[0]), math.Floor(q[1])
		fx, fy := q[0]-x0, q[1]-y0
		i := (int(y0)+c)*size + int(x0) + c
		k[i] += w * (1 - fx) * (1 - fy)
		k[i+1] += w * fx * (1 - fy)
		k[i+size] += w * (1 - fx) * fy
		k[i+size+1] += w * fx * fy
	}
	sum := 0.0
	for _, v := range k {
		sum += v
	}
	for i := range k {
		k[i] /= sum
	}
	return k, size
}

// taps returns the PSF's non-zero entries as displacements.
func (p BlurParams) taps() []tap {
	k, size := p.PSF()
	c := size / 2
	var ts []tap
	for i, v := range k {
		if v != 0 {
			ts = append(ts, tap{i%size - c, i/size - c, v})
		}
	}
	return ts
}

// convolve returns out(x, y) = sum_taps w * src(clamp(x-dx), clamp(y-dy))
// on one h x w plane, visiting only the non-zero taps.
func convolve(src []float64, h, w int, taps []tap) []float64 {
	out := make([]float64, h*w)
	for y := range h {
		acc := out[y*w : (y+1)*w]
		for _, t := range taps {
			row := src[min(max(y-t.dy, 0), h-1)*w:][:w]
			lo, hi := min(max(t.dx, 0), w), max(min(w+t.dx, w), 0)
			for x := 0; x < lo; x++ {
				acc[x] += t.w * row[0]
			}
			if hi > lo {
				dst := acc[lo:hi]
				src := row[lo-t.dx : hi-t.dx]
				src = src[:len(dst)]
				for x := range dst {
					dst[x] += t.w * src[x]
				}
			}
			for x := hi; x < w; x++ {
				acc[x] += t.w * row[w-1]
			}
		}
	}
	return out
}

func (p BlurParams) apply(img data.Image, _ []float32, rng *rand.Rand) data.Image {
	taps := p.taps()
	n := img.H * img.W
	out := data.NewImage(img.C, img.H, img.W)
	lin := make([]float64, n)
	for c := range img.C {
		for i, v := range img.Pix[c*n : (c+1)*n] {
			lin[i] = pow01(float64(v), Gamma)
		}
		b := convolve(lin, img.H, img.W, taps)
		for i, v := range b {
			if p.Shot > 0 {
				v = p.Shot * poisson(v/p.Shot, rng)
			}
			if p.Read > 0 {
				v += p.Read * rng.NormFloat64()
			}
			out.Pix[c*n+i] = clip01(pow01(v, 1/Gamma))
		}
	}
	return out
}

// poisson draws a Poisson(lambda) count: by Knuth's product of uniforms
// below 30, by the rounded normal approximation (error under 1% of the std)
// above.
func poisson(lambda float64, rng *rand.Rand) float64 {
	if lambda <= 0 {
		return 0
	}
	if lambda >= 30 {
		return max(0, math.Round(lambda+math.Sqrt(lambda)*rng.NormFloat64()))
	}
	limit, prod, k := math.Exp(-lambda), rng.Float64(), 0.0
	for prod > limit {
		prod *= rng.Float64()
		k++
	}
	return k
}

// BlurRanges are the ranges blur parameters are drawn from.
type BlurRanges struct {
	Length    Range   `json:"length" yaml:"length"`
	Angle     Range   `json:"angle" yaml:"angle"`
	Curvature Range   `json:"curvature" yaml:"curvature"`
	NoiseProb float64 `json:"noise_prob" yaml:"noise_prob"` // probability of adding Poisson-Gaussian noise
	Shot      Range   `json:"shot" yaml:"shot"`
	Read      Range   `json:"read" yaml:"read"`
}

// DefaultBlur returns the defaults (ours; ALLNET.md leaves them open):
//   - length U(5, 25) pixels: camera-shake blur of GoPro/RSBlur scenes
//     (tens of pixels at 720p) at the 288x384 working size, strong enough
//     to smear edges, small enough to keep objects recognisable;
//   - angle U(0, 180) degrees: any direction (the PSF of a path does not
//     depend on which way it is travelled);
//   - curvature U(-0.15, 0.15): a mild arc, at most 3.75 pixels of bow on a
//     25-pixel path;
//   - noise_prob 0.5, shot U(0.0002, 0.002), read U(0.0005, 0.003): half of
//     the blurred images carry the weak sensor noise of real blurred photos
//     (about 2-6/255 at mid-grey); set noise_prob 0 for pure blur.
func DefaultBlur() BlurRanges {
	return BlurRanges{
		Length:    Range{5, 25},
		Angle:     Range{0, 180},
		Curvature: Range{-0.15, 0.15},
		NoiseProb: 0.5,
		Shot:      Range{0.0002, 0.002},
		Read:      Range{0.0005, 0.003},
	}
}

// Validate checks the ranges, naming the field.
func (r BlurRanges) Validate() error {
	return firstError(
		r.Length.check("blur length", 0, 60),
		r.Angle.check("blur angle", -360, 360),
		r.Curvature.check("blur curvature", -0.5, 0.5),
		checkValue("blur noise_prob", r.NoiseProb, 0, 1),
		r.Shot.check("blur shot", 0, 0.1),
		r.Read.check("blur read", 0, 0.1),
	)
}

// Sample draws blur parameters; shot and read are drawn only when the noise
// is drawn.
func (r BlurRanges) Sample(rng *rand.Rand) BlurParams {
	p := BlurParams{
		Length:    r.Length.Sample(rng),
		Angle:     r.Angle.Sample(rng),
		Curvature: r.Curvature.Sample(rng),
	}
	if r.NoiseProb > 0 && rng.Float64() < r.NoiseProb {
		p.Shot = r.Shot.Sample(rng)
		p.Read = r.Read.Sample(rng)
	}
	return p
}
