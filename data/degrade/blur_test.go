package degrade

import (
	"math"
	"testing"
)

// pureBlur draws blur parameters without sensor noise.
func pureBlur(n int, seed uint64) []BlurParams {
	r := DefaultBlur()
	r.NoiseProb = 0
	rng := NewRNG(seed, 1)
	ps := []BlurParams{{Length: 25, Angle: 30, Curvature: 0.15}, {Length: 5, Angle: 90}, {Length: 18, Angle: 135, Curvature: -0.1}}
	for range n {
		ps = append(ps, r.Sample(rng))
	}
	return ps
}

// Blurring a single bright point must reproduce the PSF, tap by tap in the
// linear domain, and the PSF's principal axis (second moments) must have the
// sampled angle and length.
func TestBlurPointReproducesPSF(t *testing.T) {
	const size, c = 81, 40
	for _, p := range pureBlur(6, 31) {
		img := flatImage(1, size, size, 0)
		img.Set(0, c, c, 1)
		out := mustApply(t, img, nil, p, 0)
		k, ks := p.PSF()
		kc := ks / 2
		var m0, mx, my float64
		lin := make([]float64, size*size)
		for y := range size {
			for x := range size {
				v := math.Pow(float64(out.At(0, x, y)), Gamma)
				lin[y*size+x] = v
				want := 0.0
				if dx, dy := x-c, y-c; abs(dx) <= kc && abs(dy) <= kc {
					want = k[(kc+dy)*ks+kc+dx]
				}
				if math.Abs(v-want) > 1e-6 {
					t.Fatalf("%+v: blurred point at offset (%d, %d) = %g, PSF %g", p, x-c, y-c, v, want)
				}
				m0 += v
				mx += v * float64(x)
				my += v * float64(y)
			}
		}
		mx /= m0
		my /= m0
		if math.Hypot(mx-c, my-c) > 0.01 {
			t.Errorf("%+v: blurred point's centroid moved by (%.3f, %.3f)", p, mx-c, my-c)
		}
		var sxx, sxy, syy float64
		for y := range size {
			for x := range size {
				v, dx, dy := lin[y*size+x]/m0, float64(x)-mx, float64(y)-my
				sxx += v * dx * dx
				sxy += v * dx * dy
				syy += v * dy * dy
			}
		}
		// Principal axis (ex, ey) in image coordinates (y down); the angle
		// counter-clockwise on screen is atan2(-ey, ex).
		phi := 0.5 * math.Atan2(2*sxy, sxx-syy)
		ex, ey := math.Cos(phi), math.Sin(phi)
		angle := math.Atan2(-ey, ex) * 180 / math.Pi
		if d := angleDiff(angle, p.Angle); d > 2 {
			t.Errorf("%+v: PSF axis at %.2f deg, sampled %.2f", p, angle, p.Angle)
		}
		// Variance along the axis: a uniform path of M points spanning L has
		// L^2 (M+1) / (12 (M-1)); bilinear splatting adds about 1/6.
		lambda := 0.5*(sxx+syy) + math.Sqrt(0.25*(sxx-syy)*(sxx-syy)+sxy*sxy)
		m := math.Ceil(4*p.Length) + 1
		length := math.Sqrt(12 * (lambda - 1.0/6) * (m - 1) / (m + 1))
		if math.Abs(length/p.Length-1) > 0.05 {
			t.Errorf("%+v: PSF length %.2f px, sampled %.2f", p, length, p.Length)
		}
	}
}

func TestBlurFlatStaysFlat(t *testing.T) {
	for _, p := range pureBlur(4, 32) {
		for _, v := range []float32{0, 0.37, 0.5, 1} {
			out := mustApply(t, flatImage(3, 40, 56, v), nil, p, 0)
			for i, got := range out.Pix {
				if math.Abs(float64(got-v)) > 1e-6 {
					t.Fatalf("%+v: flat %g became %g at %d", p, v, got, i)
				}
			}
		}
	}
}

// convolve must equal a dense convolution with replicated borders, also for
// kernels wider than the image.
func TestConvolveMatchesDense(t *testing.T) {
	const h, w = 23, 31
	rng := NewRNG(33, 1)
	src := make([]float64, h*w)
	for i := range src {
		src[i] = rng.Float64()
	}
	for _, p := range []BlurParams{{Length: 7, Angle: 20, Curvature: 0.3}, {Length: 55, Angle: 170, Curvature: -0.2}} {
		k, ks := p.PSF()
		c := ks / 2
		got := convolve(src, h, w, p.taps())
		for y := range h {
			for x := range w {
				want := 0.0
				for dy := -c; dy <= c; dy++ {
					for dx := -c; dx <= c; dx++ {
						sy, sx := min(max(y-dy, 0), h-1), min(max(x-dx, 0), w-1)
						want += k[(c+dy)*ks+c+dx] * src[sy*w+sx]
					}
				}
				if math.Abs(got[y*w+x]-want) > 1e-12 {
					t.Fatalf("%+v: (%d, %d) = %g, dense %g", p, x, y, got[y*w+x], want)
				}
			}
		}
	}
}

func TestPSFSumsToOne(t *testing.T) {
	for _, p := range append(pureBlur(5, 34), BlurParams{}, BlurParams{Length: 60, Angle: 45, Curvature: 0.5}) {
		k, ks := p.PSF()
		if ks%2 != 1 {
			t.Fatalf("%+v: even kernel size %d", p, ks)
		}
		sum := 0.0
		for _, v := range k {
			if v < 0 {
				t.Fatalf("%+v: negative tap", p)
			}
			sum += v
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Fatalf("%+v: PSF sums to %g", p, sum)
		}
	}
}

// Poisson-Gaussian noise in the linear domain: on a flat image the linear
// values must have mean b and variance Shot*b + Read^2, on both sides of the
// Poisson sampler's switch at lambda = 30.
func TestBlurNoiseIsPoissonGaussian(t *testing.T) {
	img := flatImage(3, 120, 160, 0.5)
	b := math.Pow(0.5, Gamma)
	for _, p := range []BlurParams{
		{Length: 10, Angle: 40, Shot: 0.002, Read: 0.003}, // lambda 109
		{Length: 10, Angle: 40, Shot: 0.02},               // lambda 10.9
		{Length: 10, Angle: 40, Read: 0.01},
	} {
		out := mustApply(t, img, nil, p, 5)
		lin := make([]float64, len(out.Pix))
		for i, v := range out.Pix {
			lin[i] = math.Pow(float64(v), Gamma)
		}
		mean, std := meanStd(lin)
		want := math.Sqrt(p.Shot*b + p.Read*p.Read)
		if math.Abs(mean-b) > 0.01*b || math.Abs(std/want-1) > 0.03 {
			t.Errorf("%+v: linear mean %.5f std %.5f, want %.5f and %.5f", p, mean, std, b, want)
		}
	}
}

func TestPow01(t *testing.T) {
	rng := NewRNG(35, 1)
	worst := 0.0
	for k := range 200000 {
		x := rng.Float64()
		if k%4 == 0 {
			x = math.Pow(10, -8*rng.Float64()) // small values too
		}
		if k%5 == 0 {
			x = 1 - math.Pow(10, -16*rng.Float64()) // and values next to 1
		}
		for _, e := range []float64{Gamma, 1 / Gamma} {
			want := math.Pow(x, e)
			worst = math.Max(worst, math.Abs(pow01(x, e)-want)/want)
		}
	}
	if worst > 1e-8 {
		t.Errorf("pow01 relative error up to %.2e, want < 1e-8", worst)
	}
	for _, c := range [][3]float64{{0, Gamma, 0}, {-0.5, Gamma, 0}, {1, Gamma, 1}, {1.5, 1 / Gamma, 1}, {math.NaN(), Gamma, 0}, {math.Nextafter(1, 0), 1e-9, 1}} {
		if got := pow01(c[0], c[1]); got != c[2] {
			t.Errorf("pow01(%g, %g) = %g, want %g", c[0], c[1], got, c[2])
		}
	}
}
