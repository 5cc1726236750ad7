package degrade

import (
	"math"
	"testing"
)

func TestRainOnlyBrightens(t *testing.T) {
	rng := NewRNG(21, 1)
	for trial := range 5 {
		img := randomImage(72, 96, uint64(trial))
		p := DefaultRain().Sample(rng)
		out := mustApply(t, img, nil, p, uint64(trial))
		brighter := 0
		for i, v := range out.Pix {
			if v < img.Pix[i] {
				t.Fatalf("%+v: pixel %d darkened from %g to %g", p, i, img.Pix[i], v)
			}
			if v > img.Pix[i] {
				brighter++
			}
		}
		if brighter == 0 {
			t.Fatalf("%+v: rain changed nothing", p)
		}
	}
}

// expectedShare returns the probability that a pixel away from the borders
// is touched by some streak: seeds are Bernoulli(density) and each picks a
// bank kernel uniformly, so offset o is covered by a seed with probability
// density * (kernels covering o) / bank size.
func expectedShare(p RainParams, bank [][]tap) float64 {
	cover := map[[2]int]int{}
	for _, k := range bank {
		for _, tp := range k {
			cover[[2]int{tp.dx, tp.dy}]++
		}
	}
	untouched := 1.0
	for _, n := range cover {
		untouched *= 1 - p.Density*float64(n)/float64(len(bank))
	}
	return 1 - untouched
}

// The share of changed pixels must match the share the sampled density and
// bank imply: per image within 15% (a few hundred streaks per image), and
// over all images within 4% (seeds fall in a margin too, so borders are not
// thinner).
func TestRainChangesSampledShare(t *testing.T) {
	rng := NewRNG(22, 1)
	img := flatImage(1, benchH, benchW, 0.1)
	var sumGot, sumWant float64
	for trial := range 16 {
		p := DefaultRain().Sample(rng)
		seed := uint64(100 + trial)
		out := mustApply(t, img, nil, p, seed)
		changed := 0
		for i, v := range out.Pix {
			if v != img.Pix[i] {
				changed++
			}
		}
		got := float64(changed) / float64(len(out.Pix))
		want := expectedShare(p, p.rainBank(NewRNG(seed, PixelStream)))
		if math.Abs(got/want-1) > 0.15 {
			t.Errorf("%+v: %.4f of the pixels changed, expected %.4f", p, got, want)
		}
		sumGot += got
		sumWant += want
	}
	if math.Abs(sumGot/sumWant-1) > 0.04 {
		t.Errorf("mean share of changed pixels %.4f, expected %.4f", sumGot/16, sumWant/16)
	}
}

// streakOrientation returns the dominant streak direction of an h x w layer
// in degrees from vertical (RainParams.Angle's convention): the structure
// tensor's dominant gradient direction, turned by 90 degrees. Gradients are
// taken after a Gaussian blur (sigma 1.5 px), as central differences on
// one-pixel lines are biased towards the diagonals.
func streakOrientation(layer []float64, h, w int) float64 {
	s := gaussBlur(layer, h, w, 1.5)
	var jxx, jxy, jyy float64
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			gx := (s[y*w+x+1] - s[y*w+x-1]) / 2
			gy := (s[(y+1)*w+x] - s[(y-1)*w+x]) / 2
			jxx += gx * gx
			jxy += gx * gy
			jyy += gy * gy
		}
	}
	// Gradient angle from +x towards +y (down); the streak runs across it.
	// A streak along (sin a, cos a) has direction angle 90-a from +x, so its
	// gradient angle is -a (mod 180).
	phi := 0.5 * math.Atan2(2*jxy, jxx-jyy) * 180 / math.Pi
	return -phi
}

// gaussBlur is a separable Gaussian blur with replicated borders.
func gaussBlur(src []float64, h, w int, sigma float64) []float64 {
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	sum := 0.0
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	tmp, out := make([]float64, h*w), make([]float64, h*w)
	for y := range h {
		for x := range w {
			for i, v := range k {
				tmp[y*w+x] += v / sum * src[y*w+min(max(x+i-r, 0), w-1)]
			}
		}
	}
	for y := range h {
		for x := range w {
			for i, v := range k {
				out[y*w+x] += v / sum * tmp[min(max(y+i-r, 0), h-1)*w+x]
			}
		}
	}
	return out
}

func TestRainOrientationMatchesAngle(t *testing.T) {
	rng := NewRNG(23, 1)
	img := flatImage(3, benchH, benchW, 0.1)
	angles := []float64{-30, -12, 0, 7, 30, 60}
	for range 4 {
		angles = append(angles, DefaultRain().Angle.Sample(rng))
	}
	for i, a := range angles {
		p := DefaultRain().Sample(rng)
		p.Angle = a
		out := mustApply(t, img, nil, p, uint64(i))
		n := benchH * benchW
		layer := make([]float64, n)
		for j := range layer {
			layer[j] = float64(out.Pix[j] - img.Pix[j])
		}
		if got := streakOrientation(layer, benchH, benchW); angleDiff(got, a) > 10 {
			t.Errorf("%+v: streak orientation %.1f deg, sampled %.1f", p, got, a)
		}
	}
}

// With the veil on, O = clip(B + S)*(1-haze) + haze_A*haze, S the layer that
// Layer draws from the same generator state.
func TestRainVeil(t *testing.T) {
	img := randomImage(50, 60, 8)
	p := RainParams{Density: 0.003, Length: 20, Width: 1.5, Angle: 10, Jitter: 3, Intensity: 0.7,
		Haze: 0.2, HazeA: 0.9}
	out := mustApply(t, img, nil, p, 77)
	layer := p.Layer(50, 60, NewRNG(77, PixelStream))
	n := 50 * 60
	for c := range 3 {
		for i, s := range layer {
			b := math.Min(float64(img.Pix[c*n+i])+float64(s), 1)
			want := b*0.8 + 0.9*0.2
			if math.Abs(float64(out.Pix[c*n+i])-want) > 1e-6 {
				t.Fatalf("channel %d pixel %d: %g, want %g", c, i, out.Pix[c*n+i], want)
			}
		}
	}
}

func TestRainKernelShape(t *testing.T) {
	// A vertical 1-pixel line of length 9: nine full taps in column 0, none
	// beyond, and no tap outside the column's anti-aliased neighbours.
	var col, off int
	for _, tp := range rainKernel(9, 1, 0) {
		switch {
		case tp.dx == 0 && math.Abs(float64(tp.dy)) <= 4 && tp.w == 1:
			col++
		case tp.dx == 0:
			t.Errorf("tap %+v beyond the line's end", tp)
		default:
			off++
		}
	}
	if col != 9 || off != 0 {
		t.Errorf("vertical line: %d full taps in the column (want 9), %d off it (want 0)", col, off)
	}
}
