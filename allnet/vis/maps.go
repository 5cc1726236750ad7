package vis

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"allnet/data"
)

// DepthMax is the far end of the fixed depth range, in metres (NYUD's
// sensor reaches about 10 m).
const DepthMax = 10

// Turbo returns Google's turbo colour map at t in [0, 1] (clamped; NaN
// counts as 0), through its published degree-5 polynomial approximation
// (A. Mikhailov, "Turbo, An Improved Rainbow Colormap", 2019): dark blue at
// 0, green near 0.5, dark red at 1. Channels are rounded to 8 bits after
// clamping to [0, 1].
func Turbo(t float64) color.RGBA {
	if !(t > 0) {
		t = 0
	}
	t = min(t, 1)
	r := 0.13572138 + t*(4.61539260+t*(-42.66032258+t*(132.13108234+t*(-152.94239396+t*59.28637943))))
	g := 0.09140261 + t*(2.19418839+t*(4.84296658+t*(-14.18503333+t*(4.27729857+t*2.82956604))))
	b := 0.10667330 + t*(12.64194608+t*(-60.58204836+t*(110.36276771+t*(-89.90310912+t*27.34824973))))
	return color.RGBA{unit8(r), unit8(g), unit8(b), 255}
}

// unit8 maps [0, 1] to 0..255 with rounding, clamping outside values and
// NaN (to 0).
func unit8(v float64) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(math.Round(v * 255))
}

// Depth colours a depth map in metres (row-major, w x h) with turbo over
// [lo, hi]: near (lo) is red, far (hi) is blue, so the pixel colour is
// Turbo((hi - d) / (hi - lo)), clamped. Invalid depths (<= 0, NaN or
// infinite) are black. predict uses the fixed range [0, DepthMax] so that
// colours mean the same distance in every image; DepthRange gives a
// per-image range instead.
func Depth(d []float32, w, h int, lo, hi float32) *image.RGBA {
	check("Depth", 1, w, h, len(d))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	span := float64(hi - lo)
	for i, v := range d {
		c := color.RGBA{0, 0, 0, 255}
		if x := float64(v); x > 0 && !math.IsInf(x, 0) {
			t := 0.0
			if span > 0 {
				t = (float64(hi) - x) / span
			}
			c = Turbo(t)
		}
		setPix(m, i, c)
	}
	return m
}

// DepthRange returns the smallest and largest valid (> 0, finite) depth,
// or (0, DepthMax) when none is valid.
func DepthRange(d []float32) (lo, hi float32) {
	first := true
	for _, v := range d {
		if !(v > 0) || math.IsInf(float64(v), 0) {
			continue
		}
		if first {
			lo, hi, first = v, v, false
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	if first {
		return 0, DepthMax
	}
	return lo, hi
}

// Normals draws unit normals (3, h, w channels-first) as RGB (n+1)/2 per
// component: +x red, +y green, +z blue. An all-zero (invalid) normal comes
// out mid-grey (128, 128, 128).
func Normals(n []float32, w, h int) *image.RGBA {
	check("Normals", 3, w, h, len(n))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	hw := w * h
	for i := range hw {
		setPix(m, i, color.RGBA{unit8((float64(n[i]) + 1) / 2), unit8((float64(n[hw+i]) + 1) / 2),
			unit8((float64(n[2*hw+i]) + 1) / 2), 255})
	}
	return m
}

// Gray draws values in [0, 1] (row-major, w x h; edge or saliency
// probabilities) as 8-bit grey, round(v*255), clamped, NaN as 0.
func Gray(p []float32, w, h int) *image.Gray {
	check("Gray", 1, w, h, len(p))
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range p {
		m.Pix[i] = unit8(float64(v))
	}
	return m
}

// RGB draws a data.Image with values in [0, 1]: 3 channels as colour, 1 as
// grey (clamped, rounded to 8 bits).
func RGB(im data.Image) *image.RGBA {
	if im.C != 1 && im.C != 3 {
		panic(fmt.Sprintf("vis: RGB: image of %d channels, want 1 or 3", im.C))
	}
	check("RGB", im.C, im.W, im.H, len(im.Pix))
	m := image.NewRGBA(image.Rect(0, 0, im.W, im.H))
	hw := im.W * im.H
	for i := range hw {
		if im.C == 1 {
			v := unit8(float64(im.Pix[i]))
			setPix(m, i, color.RGBA{v, v, v, 255})
			continue
		}
		setPix(m, i, color.RGBA{unit8(float64(im.Pix[i])), unit8(float64(im.Pix[hw+i])), unit8(float64(im.Pix[2*hw+i])), 255})
	}
	return m
}
