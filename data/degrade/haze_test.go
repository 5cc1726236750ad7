package degrade

import (
	"math"
	"slices"
	"testing"
)

// Recovering t = (I - A) / (J - A) from the output pixel by pixel must give
// exp(-beta*d), and exactly the clean pixel where the depth is invalid.
func TestHazeTransmission(t *testing.T) {
	const h, w = 60, 80
	rng := NewRNG(11, 3)
	for trial := range 4 {
		img := randomImage(h, w, uint64(trial))
		depth := make([]float32, h*w)
		for i := range depth {
			switch {
			case i%10 == 0:
				depth[i] = 0 // invalid
			case i%97 == 0:
				depth[i] = float32(math.NaN())
			default:
				depth[i] = 0.5 + 9.5*rng.Float32()
			}
		}
		p := DefaultHaze().Sample(rng)
		out := mustApply(t, img, depth, p, 0)
		n, checked := h*w, 0
		for c := range 3 {
			for i, d := range depth {
				j, got := float64(img.Pix[c*n+i]), out.Pix[c*n+i]
				if !(d > 0) {
					if got != img.Pix[c*n+i] {
						t.Fatalf("%+v: invalid depth at %d: output %g, want clean %g", p, i, got, img.Pix[c*n+i])
					}
					continue
				}
				if math.Abs(j-p.A[c]) < 0.05 {
					continue
				}
				tr := (float64(got) - p.A[c]) / (j - p.A[c])
				want := math.Exp(-p.Beta * float64(d))
				if math.Abs(tr-want) > 1e-5 {
					t.Fatalf("%+v: channel %d pixel %d depth %g: t = %.6f, want exp(-beta*d) = %.6f", p, c, i, d, tr, want)
				}
				checked++
			}
		}
		if checked < n {
			t.Fatalf("only %d pixels checked", checked)
		}
	}
}

func TestHazeWithoutDepthUsesProxy(t *testing.T) {
	img := randomImage(30, 20, 4)
	p := HazeParams{Beta: 0.4, A: [3]float64{0.8, 0.9, 0.75}}
	got := mustApply(t, img, nil, p, 0)
	want := mustApply(t, img, DepthProxy(30, 20, DefaultProxy()), p, 0)
	if !slices.Equal(got.Pix, want.Pix) {
		t.Fatal("haze without depth differs from haze with DepthProxy(DefaultProxy())")
	}
}

func TestDepthProxy(t *testing.T) {
	const h, w = 41, 7
	o := ProxyOptions{Near: 1, Far: 8, Gamma: 2}
	d := DepthProxy(h, w, o)
	for y := range h {
		f := float64(h-1-y) / float64(h-1)
		want := 1 + 7*f*f
		for x := range w {
			if got := float64(d[y*w+x]); math.Abs(got-want) > 1e-6 {
				t.Fatalf("row %d col %d: %g, want %g", y, x, got, want)
			}
		}
	}
	// Smoothed: still within [near, far], non-increasing from top to bottom,
	// strictly farther at the top than at the bottom.
	d = DepthProxy(h, w, DefaultProxy())
	for y := 1; y < h; y++ {
		if d[y*w] > d[(y-1)*w] {
			t.Fatalf("smoothed proxy grows downward at row %d: %g > %g", y, d[y*w], d[(y-1)*w])
		}
	}
	if d[0] <= d[(h-1)*w] || d[(h-1)*w] < 1 || d[0] > 8 {
		t.Fatalf("smoothed proxy top %g bottom %g, want 1 <= bottom < top <= 8", d[0], d[(h-1)*w])
	}
}

func TestProxyOptionsValidate(t *testing.T) {
	for field, o := range map[string]ProxyOptions{
		"near":   {Near: 0, Far: 8, Gamma: 2},
		"far":    {Near: 3, Far: 2, Gamma: 2},
		"gamma":  {Near: 1, Far: 8, Gamma: 0},
		"smooth": {Near: 1, Far: 8, Gamma: 1, Smooth: -1},
	} {
		if err := o.Validate(); err == nil || !contains(err.Error(), field) {
			t.Errorf("%+v: error %v, want one naming %q", o, err, field)
		}
	}
}
