package metrics

import "math"

// This file is the thinning front end of the edge benchmark: the
// non-maximum suppression that the HED/RCF "nms_process" step applies to an
// edge probability map before SEISM scores it, built from Piotr Dollar's
// toolbox (convTri, gradient2, edgesNmsMex):
//
//	E = convTri(E, 1)
//	[Ox, Oy] = gradient2(convTri(E, 4))
//	[Oxx, ~] = gradient2(Ox); [Oxy, Oyy] = gradient2(Oy)
//	O = mod(atan(Oyy .* sign(-Oxy) ./ (Oxx + 1e-5)), pi)
//	E = edgesNmsMex(E, O, 1, 5, 1.01)
//
// Arithmetic is float32, as MATLAB's single and the mex files.

// nmsRadius, nmsBorder and nmsMultiplier are edgesNmsMex's r, s and m.
const (
	nmsRadius     = 1
	nmsBorder     = 5
	nmsMultiplier = 1.01
)

// reflect maps i into [0, n) with MATLAB's 'symmetric' padding
// (... b a | a b c ... z | z y ...).
func reflect(i, n int) int {
	for i < 0 || i >= n {
		if i < 0 {
			i = -i - 1
		} else {
			i = 2*n - i - 1
		}
	}
	return i
}

// convTri smooths src (h x w, row-major) into dst with Dollar's separable
// triangle filter of integer radius r >= 1, f = [1 .. r, r+1, r .. 1] /
// (r+1)^2 (for r = 1 this is [1 2 1]/4, the same as convTri's r <= 1 branch),
// with symmetric padding. tmp holds h*w values; dst may not alias src.
func convTri(dst, src, tmp []float32, h, w, r int) {
	f := make([]float32, 2*r+1)
	norm := float32((r + 1) * (r + 1))
	for i := range f {
		f[i] = float32(r+1-abs(i-r)) / norm
	}
	for y := 0; y < h; y++ {
		row := src[y*w : (y+1)*w]
		out := tmp[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			var s float32
			if x >= r && x+r < w {
				for j, fj := range f {
					s += fj * row[x-r+j]
				}
			} else {
				for j, fj := range f {
					s += fj * row[reflect(x-r+j, w)]
				}
			}
			out[x] = s
		}
	}
	for y := 0; y < h; y++ {
		out := dst[y*w : (y+1)*w]
		for x := range out {
			out[x] = 0
		}
		for j, fj := range f {
			in := tmp[reflect(y-r+j, h)*w:]
			for x := range out {
				out[x] += fj * in[x]
			}
		}
	}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// gradient2 writes the x (along a row) and y (down a column) derivatives of
// src: central differences inside, one-sided at the borders (MATLAB's
// gradient; zero along a dimension of size 1).
func gradient2(gx, gy, src []float32, h, w int) {
	for y := 0; y < h; y++ {
		row := src[y*w : (y+1)*w]
		out := gx[y*w : (y+1)*w]
		switch {
		case w == 1:
			out[0] = 0
		default:
			out[0] = row[1] - row[0]
			out[w-1] = row[w-1] - row[w-2]
			for x := 1; x < w-1; x++ {
				out[x] = (row[x+1] - row[x-1]) / 2
			}
		}
	}
	for y := 0; y < h; y++ {
		out := gy[y*w : (y+1)*w]
		switch {
		case h == 1:
			for x := range out {
				out[x] = 0
			}
		case y == 0:
			for x := range out {
				out[x] = src[w+x] - src[x]
			}
		case y == h-1:
			for x := range out {
				out[x] = src[y*w+x] - src[(y-1)*w+x]
			}
		default:
			for x := range out {
				out[x] = (src[(y+1)*w+x] - src[(y-1)*w+x]) / 2
			}
		}
	}
}

func sign32(v float32) float32 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return v // 0 (and NaN) as MATLAB's sign
}

// nmsWork holds the float maps edgeNMS needs, each h*w.
type nmsWork struct {
	e, s, t, ox, oy, oxx, oxy, oyy []float32
}

func (nw *nmsWork) resize(n int) {
	grow := func(b []float32) []float32 {
		if cap(b) < n {
			return make([]float32, n)
		}
		return b[:n]
	}
	nw.e, nw.s, nw.t = grow(nw.e), grow(nw.s), grow(nw.t)
	nw.ox, nw.oy = grow(nw.ox), grow(nw.oy)
	nw.oxx, nw.oxy, nw.oyy = grow(nw.oxx), grow(nw.oxy), grow(nw.oyy)
}

// edgeNMS thins the edge probability map pred (h x w, values in [0, 1]) and
// writes the result to out (h*w). The orientation map O reuses nw.ox.
//
// Pixels whose smoothed value is at most floor are copied without the
// suppression test: a caller that discards every value <= floor (suppression
// only lowers values) passes its lowest threshold to skip that work; floor 0
// is the exact map.
func edgeNMS(out, pred []float32, h, w int, floor float32, nw *nmsWork) {
	n := h * w
	nw.resize(n)
	e := nw.e
	convTri(e, pred, nw.t, h, w, 1)
	convTri(nw.s, e, nw.t, h, w, 4)
	gradient2(nw.ox, nw.oy, nw.s, h, w)
	gradient2(nw.oxx, nw.t, nw.ox, h, w) // [Oxx, ~] = gradient2(Ox)
	gradient2(nw.oxy, nw.oyy, nw.oy, h, w)
	o := nw.ox
	for i := 0; i < n; i++ {
		if e[i] <= floor {
			continue
		}
		a := float32(math.Atan(float64(nw.oyy[i] * sign32(-nw.oxy[i]) / (nw.oxx[i] + 1e-5))))
		switch {
		case a < 0:
			a += math.Pi
		case a != a: // 0/0; the mex would read out of bounds, we take 0
			a = 0
		}
		o[i] = a
	}
	// Suppress pixels that are not a maximum across the edge: compare e*m
	// with the bilinearly interpolated map at distance d = -r..r along the
	// orientation.
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			v := e[i]
			out[i] = v
			if v <= floor || v == 0 {
				continue
			}
			v *= nmsMultiplier
			sn, cs := math.Sincos(float64(o[i]))
			c, s := float32(cs), float32(sn)
			for d := -nmsRadius; d <= nmsRadius; d++ {
				if d == 0 {
					continue
				}
				if v < interp(e, h, w, float32(x)+float32(d)*c, float32(y)+float32(d)*s) {
					out[i] = 0
					break
				}
			}
		}
	}
	// Suppress noisy estimates near the image border: scale by dist/s.
	s := min(nmsBorder, w/2, h/2)
	for x := 0; x < s; x++ {
		f := float32(x) / float32(s)
		for y := 0; y < h; y++ {
			out[y*w+x] *= f
			out[y*w+w-1-x] *= f
		}
	}
	for y := 0; y < s; y++ {
		f := float32(y) / float32(s)
		for x := 0; x < w; x++ {
			out[y*w+x] *= f
			out[(h-1-y)*w+x] *= f
		}
	}
}

// interp returns I(x, y) by bilinear interpolation, clamping the point into
// [0, w-1.001] x [0, h-1.001] as edgesNmsMex does.
func interp(img []float32, h, w int, x, y float32) float32 {
	x = min(max(x, 0), float32(w)-1.001)
	y = min(max(y, 0), float32(h)-1.001)
	x0, y0 := int(x), int(y)
	x1, y1 := x0+1, y0+1
	if x1 >= w { // only for w == 1
		x1 = x0
	}
	if y1 >= h {
		y1 = y0
	}
	dx0, dy0 := x-float32(x0), y-float32(y0)
	dx1, dy1 := 1-dx0, 1-dy0
	return img[y0*w+x0]*dx1*dy1 + img[y0*w+x1]*dx0*dy1 + img[y1*w+x0]*dx1*dy0 + img[y1*w+x1]*dx0*dy0
}
