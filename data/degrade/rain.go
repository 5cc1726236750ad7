package degrade

import (
	"math"
	"math/rand/v2"

	"allnet/data"
)

// rainBankSize is the number of line kernels drawn per image; each streak
// picks one of them at random.
const rainBankSize = 16

// rainDimmest is the dimmest streak relative to Intensity: each streak's
// brightness is Intensity * U(rainDimmest, 1), for nearer and farther drops.
const rainDimmest = 0.6

// RainParams: rain streaks O = B + S, S = R (*) bank, where R is a sparse
// binary mask of streak seeds (each pixel a seed with probability Density)
// and every seed stamps one line kernel of a bank of rainBankSize, each with
// its own length, width and orientation drawn around the image's Length,
// Width and Angle (one direction per image: rain falls one way). The streak
// layer is grey (the same for every channel), at most 1, and only
// brightens: O >= B. Seeds also fall in a margin around the image so that
// streaks enter from the borders. Optionally a weak uniform veil follows,
// O' = O*(1-Haze) + HazeA*Haze, as in heavy-rain synthesis; it can darken
// pixels brighter than HazeA.
type RainParams struct {
	Density   float64 `json:"density"`          // seed probability per pixel
	Length    float64 `json:"length"`           // mean streak length, pixels; each kernel U(0.75, 1.25) times it
	Width     float64 `json:"width"`            // mean streak width, pixels; each kernel U(0.75, 1.25) times it
	Angle     float64 `json:"angle"`            // degrees from vertical; positive leans the streak's lower end right
	Jitter    float64 `json:"jitter"`           // each kernel's orientation is Angle + U(-Jitter, Jitter) degrees
	Intensity float64 `json:"intensity"`        // peak brightness added by a streak
	Haze      float64 `json:"haze,omitempty"`   // veil strength 1-t, 0 = no veil
	HazeA     float64 `json:"haze_A,omitempty"` // veil (atmospheric) light, grey
}

// Type returns Rain.
func (RainParams) Type() Type { return Rain }

// Validate checks every field's domain, naming the field.
func (p RainParams) Validate() error {
	return firstError(
		checkValue("rain density", p.Density, 0, 0.1),
		checkValue("rain length", p.Length, 1, 200),
		checkValue("rain width", p.Width, 0.25, 10),
		checkValue("rain angle", p.Angle, -90, 90),
		checkValue("rain jitter", p.Jitter, 0, 45),
		checkValue("rain intensity", p.Intensity, 0, 1),
		checkValue("rain haze", p.Haze, 0, 1),
		checkValue("rain haze_A", p.HazeA, 0, 1),
	)
}

// tap is one non-zero kernel entry at offset (dx, dy).
type tap struct {
	dx, dy int
	w      float64
}

// rainKernel rasterises an anti-aliased line segment of length l and width
// w through the origin along (sin a, cos a) (a in radians from vertical, y
// pointing down): coverage clamp(w/2+0.5-|across|) * clamp(l/2+0.5-|along|).
func rainKernel(l, w, a float64) []tap {
	sx, sy := math.Sin(a), math.Cos(a)
	r := int(math.Ceil((l+w)/2)) + 1
	var taps []tap
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			along := float64(dx)*sx + float64(dy)*sy
			across := float64(dx)*sy - float64(dy)*sx
			fa := w/2 + 0.5 - math.Abs(across)
			fl := l/2 + 0.5 - math.Abs(along)
			if fa > 0 && fl > 0 {
				taps = append(taps, tap{dx, dy, math.Min(1, fa) * math.Min(1, fl)})
			}
		}
	}
	return taps
}

// rainBank draws the image's kernels: the first use of the generator in
// apply, so tests can rebuild the bank from the same seed.
func (p RainParams) rainBank(rng *rand.Rand) [][]tap {
	bank := make([][]tap, rainBankSize)
	for i := range bank {
		l := p.Length * (0.75 + 0.5*rng.Float64())
		w := p.Width * (0.75 + 0.5*rng.Float64())
		a := (p.Angle + p.Jitter*(2*rng.Float64()-1)) * math.Pi / 180
		bank[i] = rainKernel(max(l, 1), w, a)
	}
	return bank
}

// margin returns the largest kernel reach in the bank.
func margin(bank [][]tap) int {
	m := 0
	for _, k := range bank {
		for _, t := range k {
			m = max(m, abs(t.dx), abs(t.dy))
		}
	}
	return m
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// Layer returns the H*W rain layer S (values in [0, 1]) that apply adds to
// every channel. It draws from rng the bank first, then for each seed in
// raster order its gap from the previous seed, its kernel and its
// brightness.
func (p RainParams) Layer(h, w int, rng *rand.Rand) []float32 {
	bank := p.rainBank(rng)
	m := margin(bank)
	eh, ew := h+2*m, w+2*m
	acc := make([]float64, h*w)
	// Bernoulli(Density) seeds over the extended grid, visited by geometric
	// gaps (the number of failures before the next success).
	if p.Density > 0 {
		logq := math.Log1p(-p.Density)
		for i := -1; ; {
			gap := 0
			if p.Density < 1 {
				g := math.Floor(math.Log(1-rng.Float64()) / logq)
				if g > float64(eh*ew) {
					break
				}
				gap = int(g)
			}
			i += gap + 1
			if i >= eh*ew {
				break
			}
			sy, sx := i/ew-m, i%ew-m
			k := bank[rng.IntN(len(bank))]
			b := p.Intensity * (rainDimmest + (1-rainDimmest)*rng.Float64())
			for _, t := range k {
				y, x := sy+t.dy, sx+t.dx
				if y >= 0 && y < h && x >= 0 && x < w {
					acc[y*w+x] += b * t.w
				}
			}
		}
	}
	layer := make([]float32, h*w)
	for i, v := range acc {
		layer[i] = float32(min(v, 1))
	}
	return layer
}

func (p RainParams) apply(img data.Image, _ []float32, rng *rand.Rand) data.Image {
	layer := p.Layer(img.H, img.W, rng)
	out := data.NewImage(img.C, img.H, img.W)
	n := img.H * img.W
	for c := range img.C {
		for i, s := range layer {
			v := float64(clip01(float64(img.Pix[c*n+i]) + float64(s)))
			if p.Haze > 0 {
				v = v*(1-p.Haze) + p.HazeA*p.Haze
			}
			out.Pix[c*n+i] = clip01(v)
		}
	}
	return out
}

// RainRanges are the ranges rain parameters are drawn from.
type RainRanges struct {
	Density   Range   `json:"density" yaml:"density"`
	Length    Range   `json:"length" yaml:"length"`
	Width     Range   `json:"width" yaml:"width"`
	Angle     Range   `json:"angle" yaml:"angle"`
	Jitter    Range   `json:"jitter" yaml:"jitter"`
	Intensity Range   `json:"intensity" yaml:"intensity"`
	HazeProb  float64 `json:"haze_prob" yaml:"haze_prob"` // probability of adding the veil
	Haze      Range   `json:"haze" yaml:"haze"`
	HazeA     Range   `json:"haze_A" yaml:"haze_A"`
}

// DefaultRain returns the defaults (ours; ALLNET.md leaves them open):
//   - density U(0.0005, 0.004) seeds per pixel: with 25-pixel streaks about
//     3% to 20% of the pixels are touched, light to heavy rain;
//   - length U(10, 40) pixels, width U(1, 2) pixels: the streaks of common
//     synthetic rain sets at 288x384;
//   - angle U(-30, 30) degrees from vertical, jitter U(2, 6) degrees per
//     kernel: rain falls one way, slanted by wind, never sideways;
//   - intensity U(0.4, 0.9): clearly visible but semi-transparent;
//   - haze_prob 0: the veil is off by default, so that rain rows measure rain
//     (haze is its own type) and rain only brightens; when on, haze
//     U(0.05, 0.25) and haze_A U(0.8, 1.0) keep it weak.
func DefaultRain() RainRanges {
	return RainRanges{
		Density:   Range{0.0005, 0.004},
		Length:    Range{10, 40},
		Width:     Range{1, 2},
		Angle:     Range{-30, 30},
		Jitter:    Range{2, 6},
		Intensity: Range{0.4, 0.9},
		HazeProb:  0,
		Haze:      Range{0.05, 0.25},
		HazeA:     Range{0.8, 1.0},
	}
}

// Validate checks the ranges, naming the field.
func (r RainRanges) Validate() error {
	return firstError(
		r.Density.check("rain density", 0, 0.1),
		r.Length.check("rain length", 1, 200),
		r.Width.check("rain width", 0.25, 10),
		r.Angle.check("rain angle", -90, 90),
		r.Jitter.check("rain jitter", 0, 45),
		r.Intensity.check("rain intensity", 0, 1),
		checkValue("rain haze_prob", r.HazeProb, 0, 1),
		r.Haze.check("rain haze", 0, 1),
		r.HazeA.check("rain haze_A", 0, 1),
	)
}

// Sample draws rain parameters. The veil's strength and light are drawn
// only when the veil is drawn.
func (r RainRanges) Sample(rng *rand.Rand) RainParams {
	p := RainParams{
		Density:   r.Density.Sample(rng),
		Length:    r.Length.Sample(rng),
		Width:     r.Width.Sample(rng),
		Angle:     r.Angle.Sample(rng),
		Jitter:    r.Jitter.Sample(rng),
		Intensity: r.Intensity.Sample(rng),
	}
	if r.HazeProb > 0 && rng.Float64() < r.HazeProb {
		p.Haze = r.Haze.Sample(rng)
		p.HazeA = r.HazeA.Sample(rng)
	}
	return p
}
