package cpu

import (
	"allnet/engine/backend"
)

// DepthwiseConv2d accumulates into out (N, C, OH, OW) the depthwise
// convolution of x (N, C, H, W) by w (C, 1, KH, KW), parallel over the
// N*C planes: each output pixel sums its KH*KW taps inside the image
// (padding contributes nothing).
func (*CPU) DepthwiseConv2d(out, x, w backend.Buffer, g backend.ConvGeom) {
	oh, ow := checkConv("DepthwiseConv2d", g)
	checkLen("DepthwiseConv2d", "x", x, g.N*g.C*g.H*g.W)
	checkLen("DepthwiseConv2d", "w", w, g.C*g.KH*g.KW)
	checkLen("DepthwiseConv2d", "out", out, g.N*g.C*oh*ow)
	if isF64(x) {
		depthwiseForward(floats[float64](out), floats[float64](x), floats[float64](w), g, oh, ow)
	} else {
		depthwiseForward(floats[float32](out), floats[float32](x), floats[float32](w), g, oh, ow)
	}
}

// DepthwiseConv2dBackward accumulates the gradients of DepthwiseConv2d for
// dy (N, C, OH, OW) into dx (N, C, H, W) and dw (C, 1, KH, KW), either of
// which may be nil. dx runs in parallel over planes; dw over channels, each
// summing its planes in batch order (deterministic).
func (*CPU) DepthwiseConv2dBackward(dx, dw, x, w, dy backend.Buffer, g backend.ConvGeom) {
	oh, ow := checkConv("DepthwiseConv2dBackward", g)
	checkLen("DepthwiseConv2dBackward", "x", x, g.N*g.C*g.H*g.W)
	checkLen("DepthwiseConv2dBackward", "w", w, g.C*g.KH*g.KW)
	checkLen("DepthwiseConv2dBackward", "dy", dy, g.N*g.C*oh*ow)
	if dx != nil {
		checkLen("DepthwiseConv2dBackward", "dx", dx, g.N*g.C*g.H*g.W)
	}
	if dw != nil {
		checkLen("DepthwiseConv2dBackward", "dw", dw, g.C*g.KH*g.KW)
	}
	if isF64(x) {
		depthwiseBackward(optFloats[float64](dx), optFloats[float64](dw), floats[float64](x), floats[float64](w), floats[float64](dy), g, oh, ow)
	} else {
		depthwiseBackward(optFloats[float32](dx), optFloats[float32](dw), floats[float32](x), floats[float32](w), floats[float32](dy), g, oh, ow)
	}
}

// optFloats is floats for a buffer that may be nil.
func optFloats[T Float](b backend.Buffer) []T {
	if b == nil {
		return nil
	}
	return floats[T](b)
}

// dwTaps are the horizontal extents of a depthwise kernel's columns: for
// kernel column kj, output columns [lo[kj], hi[kj]) read input column
// x*SW + off[kj] inside the image.
type dwTaps struct{ lo, hi, off []int }

func newDWTaps(g backend.ConvGeom, ow int) dwTaps {
	t := dwTaps{lo: make([]int, g.KW), hi: make([]int, g.KW), off: make([]int, g.KW)}
	for kj := range g.KW {
		t.off[kj] = kj*g.DW - g.PW
		t.lo[kj], t.hi[kj] = validRange(t.off[kj], g.SW, g.W, ow)
	}
	return t
}

func depthwiseForward[T Float](out, x, w []T, g backend.ConvGeom, oh, ow int) {
	hw, ohw, kk := g.H*g.W, oh*ow, g.KH*g.KW
	taps := newDWTaps(g, ow)
	parallelFor(g.N*g.C, max(1, 8192/(ohw*kk)), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			src := x[pl*hw : (pl+1)*hw]
			dst := out[pl*ohw : (pl+1)*ohw]
			wc := w[pl%g.C*kk : (pl%g.C+1)*kk]
			for y := range oh {
				row := dst[y*ow : (y+1)*ow]
				for ki := range g.KH {
					ih := y*g.SH - g.PH + ki*g.DH
					if ih < 0 || ih >= g.H {
						continue
					}
					in := src[ih*g.W : (ih+1)*g.W]
					for kj := range g.KW {
						wv := wc[ki*g.KW+kj]
						lo, hi, off := taps.lo[kj], taps.hi[kj], taps.off[kj]
						if g.SW == 1 {
							s := in[lo+off : hi+off]
							d := row[lo:hi]
							for i := range d {
								d[i] += wv * s[i]
							}
							continue
						}
						for ox := lo; ox < hi; ox++ {
							row[ox] += wv * in[ox*g.SW+off]
						}
					}
				}
			}
		}
	})
}

func depthwiseBackward[T Float](dx, dw, x, w, dy []T, g backend.ConvGeom, oh, ow int) {
	hw, ohw, kk := g.H*g.W, oh*ow, g.KH*g.KW
	taps := newDWTaps(g, ow)
	if dx != nil {
		// dx[ih, ox*SW+off] += w * dy[y, ox]: a scatter within one plane.
		parallelFor(g.N*g.C, max(1, 8192/(ohw*kk)), func(lo, hi int) {
			for pl := lo; pl < hi; pl++ {
				dst := dx[pl*hw : (pl+1)*hw]
				src := dy[pl*ohw : (pl+1)*ohw]
				wc := w[pl%g.C*kk : (pl%g.C+1)*kk]
				for y := range oh {
					row := src[y*ow : (y+1)*ow]
					for ki := range g.KH {
						ih := y*g.SH - g.PH + ki*g.DH
						if ih < 0 || ih >= g.H {
							continue
						}
						d := dst[ih*g.W : (ih+1)*g.W]
						for kj := range g.KW {
							wv := wc[ki*g.KW+kj]
							lo, hi, off := taps.lo[kj], taps.hi[kj], taps.off[kj]
							if g.SW == 1 {
								dd := d[lo+off : hi+off]
								s := row[lo:hi]
								for i := range dd {
									dd[i] += wv * s[i]
								}
								continue
							}
							for ox := lo; ox < hi; ox++ {
								d[ox*g.SW+off] += wv * row[ox]
							}
						}
					}
				}
			}
		})
	}
	if dw == nil {
		return
	}
	// dw[c, ki, kj] += sum over images and output pixels of dy * x.
	parallelFor(g.C, max(1, 8192/(g.N*ohw*kk)), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			wc := dw[c*kk : (c+1)*kk]
			for n := range g.N {
				pl := n*g.C + c
				src := x[pl*hw : (pl+1)*hw]
				grad := dy[pl*ohw : (pl+1)*ohw]
				for ki := range g.KH {
					for kj := range g.KW {
						lo, hi, off := taps.lo[kj], taps.hi[kj], taps.off[kj]
						var acc T
						for y := range oh {
							ih := y*g.SH - g.PH + ki*g.DH
							if ih < 0 || ih >= g.H {
								continue
							}
							in := src[ih*g.W : (ih+1)*g.W]
							row := grad[y*ow : (y+1)*ow]
							if g.SW == 1 {
								s := in[lo+off : hi+off]
								r := row[lo:hi]
								for i := range r {
									acc += r[i] * s[i]
								}
								continue
							}
							for ox := lo; ox < hi; ox++ {
								acc += row[ox] * in[ox*g.SW+off]
							}
						}
						wc[ki*g.KW+kj] += acc
					}
				}
			}
		}
	})
}
