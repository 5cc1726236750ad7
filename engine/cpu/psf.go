package cpu

import (
	"fmt"

	"allnet/engine/backend"
)

// PSFConv convolves every channel of image n with psf[n] (see
// backend.PSFGeom): a direct convolution, in parallel over output rows, on a
// copy of x whose rows are zero-padded by KW-1 columns so that the inner
// loops need no bounds tests.
func (*CPU) PSFConv(y, x, psf backend.Buffer, g backend.PSFGeom) {
	checkPSF("PSFConv", g, x, psf)
	checkLen("PSFConv", "y", y, g.N*g.C*g.H*g.W)
	if isF64(x) {
		psfConv(g, floats[float64](y), floats[float64](x), floats[float64](psf))
	} else {
		psfConv(g, floats[float32](y), floats[float32](x), floats[float32](psf))
	}
}

// PSFConvBackward accumulates dx (a correlation of dy with psf, in parallel
// over rows of dx) and dpsf (dot products of dy with shifted x, in parallel
// over kernel rows); either may be nil.
func (*CPU) PSFConvBackward(dx, dpsf, dy, x, psf backend.Buffer, g backend.PSFGeom) {
	checkPSF("PSFConvBackward", g, x, psf)
	checkLen("PSFConvBackward", "dy", dy, g.N*g.C*g.H*g.W)
	if dx != nil {
		checkLen("PSFConvBackward", "dx", dx, g.N*g.C*g.H*g.W)
	}
	if dpsf != nil {
		checkLen("PSFConvBackward", "dpsf", dpsf, g.N*g.KH*g.KW)
	}
	if isF64(dy) {
		psfBackward(g, floats[float64](dx), floats[float64](dpsf), floats[float64](dy), floats[float64](x), floats[float64](psf))
	} else {
		psfBackward(g, floats[float32](dx), floats[float32](dpsf), floats[float32](dy), floats[float32](x), floats[float32](psf))
	}
}

func checkPSF(op string, g backend.PSFGeom, x, psf backend.Buffer) {
	if g.N <= 0 || g.C <= 0 || g.H <= 0 || g.W <= 0 || g.KH <= 0 || g.KW <= 0 {
		panic(fmt.Sprintf("cpu: %s: bad geometry %+v", op, g))
	}
	checkLen(op, "x", x, g.N*g.C*g.H*g.W)
	checkLen(op, "psf", psf, g.N*g.KH*g.KW)
}

// psfPadRows copies the rows (each W long) of src into rows of width W+KW-1,
// with left zeros before each row and KW-1-left after it.
func psfPadRows[T Float](src []T, rows, W, KW, left int) []T {
	PW := W + KW - 1
	dst := make([]T, rows*PW)
	parallelFor(rows, max(1, 65536/PW), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			copy(dst[r*PW+left:r*PW+left+W], src[r*W:(r+1)*W])
		}
	})
	return dst
}

// psfConv computes y[h, w] = sum_{a,b} k[a,b] * xp[h-a+KH/2][w-b+KW-1],
// where xp is x padded by KW-1-KW/2 zeros on the left.
func psfConv[T Float](g backend.PSFGeom, y, x, psf []T) {
	H, W, KH, KW := g.H, g.W, g.KH, g.KW
	PW := W + KW - 1
	xp := psfPadRows(x[:g.N*g.C*H*W], g.N*g.C*H, W, KW, KW-1-KW/2)
	parallelFor(g.N*g.C*H, max(1, 65536/(W*KH*KW)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			plane, h := r/H, r%H
			k := psf[plane/g.C*KH*KW : (plane/g.C+1)*KH*KW]
			yr := y[r*W : (r+1)*W]
			clear(yr)
			for a := range KH {
				hs := h - a + KH/2
				if hs < 0 || hs >= H {
					continue
				}
				// Tap b reads xr[w + KW-1-b].
				xr := xp[(plane*H+hs)*PW : (plane*H+hs+1)*PW]
				psfAxpy(yr, xr, k[a*KW:(a+1)*KW], func(b int) int { return KW - 1 - b })
			}
		}
	})
}

// psfAxpy adds sum_b k[b] * src[w + at(b)] to dst[w] for every w, four
// taps at a time so that dst is loaded and stored once per four taps.
func psfAxpy[T Float](dst, src, k []T, at func(b int) int) {
	b := 0
	for ; b+4 <= len(k); b += 4 {
		k0, k1, k2, k3 := k[b], k[b+1], k[b+2], k[b+3]
		s0 := src[at(b):][:len(dst)]
		s1 := src[at(b+1):][:len(dst)]
		s2 := src[at(b+2):][:len(dst)]
		s3 := src[at(b+3):][:len(dst)]
		for w := range dst {
			dst[w] += k0*s0[w] + k1*s1[w] + k2*s2[w] + k3*s3[w]
		}
	}
	for ; b < len(k); b++ {
		kb := k[b]
		s := src[at(b):][:len(dst)]
		for w := range dst {
			dst[w] += kb * s[w]
		}
	}
}

func psfBackward[T Float](g backend.PSFGeom, dx, dpsf, dy, x, psf []T) {
	H, W, KH, KW := g.H, g.W, g.KH, g.KW
	PW := W + KW - 1
	rows := g.N * g.C * H
	if dx != nil {
		// dx[hs, ws] += sum_{a,b} k[a,b] * dy[hs+a-KH/2, ws+b-KW/2]; with dy
		// padded by KW/2 zeros on the left, tap b reads dyp[ws + b].
		dyp := psfPadRows(dy[:rows*W], rows, W, KW, KW/2)
		parallelFor(rows, max(1, 65536/(W*KH*KW)), func(lo, hi int) {
			for r := lo; r < hi; r++ {
				plane, hs := r/H, r%H
				k := psf[plane/g.C*KH*KW : (plane/g.C+1)*KH*KW]
				dr := dx[r*W : (r+1)*W]
				for a := range KH {
					h := hs + a - KH/2
					if h < 0 || h >= H {
						continue
					}
					src := dyp[(plane*H+h)*PW : (plane*H+h+1)*PW]
					psfAxpy(dr, src, k[a*KW:(a+1)*KW], func(b int) int { return b })
				}
			}
		})
	}
	if dpsf == nil {
		return
	}
	// dpsf[n,a,b] += sum_{c,h,w} dy[h, w] * xp[h-a+KH/2][w + KW-1-b].
	xp := psfPadRows(x[:rows*W], rows, W, KW, KW-1-KW/2)
	parallelFor(g.N*KH, 1, func(lo, hi int) {
		acc := make([]float64, KW)
		part := make([]T, KW)
		for na := lo; na < hi; na++ {
			n, a := na/KH, na%KH
			clear(acc)
			for c := range g.C {
				plane := n*g.C + c
				for h := range H {
					hs := h - a + KH/2
					if hs < 0 || hs >= H {
						continue
					}
					psfDots(part, dy[(plane*H+h)*W:(plane*H+h+1)*W], xp[(plane*H+hs)*PW:(plane*H+hs+1)*PW], KW-1)
					for b, v := range part {
						acc[b] += float64(v)
					}
				}
			}
			for b, v := range acc {
				dpsf[na*KW+b] += T(v)
			}
		}
	})
}

// psfDots sets out[b] = sum_w u[w] * src[w + base - b], four taps at a
// time so that u is loaded once per four taps.
func psfDots[T Float](out, u, src []T, base int) {
	b := 0
	for ; b+4 <= len(out); b += 4 {
		s0 := src[base-b:][:len(u)]
		s1 := src[base-b-1:][:len(u)]
		s2 := src[base-b-2:][:len(u)]
		s3 := src[base-b-3:][:len(u)]
		var d0, d1, d2, d3 T
		for w, uw := range u {
			d0 += uw * s0[w]
			d1 += uw * s1[w]
			d2 += uw * s2[w]
			d3 += uw * s3[w]
		}
		out[b], out[b+1], out[b+2], out[b+3] = d0, d1, d2, d3
	}
	for ; b < len(out); b++ {
		s := src[base-b:][:len(u)]
		var d T
		for w, uw := range u {
			d += uw * s[w]
		}
		out[b] = d
	}
}
