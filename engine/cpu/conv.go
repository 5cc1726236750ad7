package cpu

import (
	"fmt"

	"allnet/engine/backend"
)

// Im2col unfolds img (N, C, H, W) into col (N, C*KH*KW, OH*OW), see
// backend.ConvGeom. Every element of col is written (zero in the padding),
// parallel over the rows of col.
func (*CPU) Im2col(col, img backend.Buffer, g backend.ConvGeom) {
	oh, ow := checkConv("Im2col", g)
	checkLen("Im2col", "img", img, g.N*g.C*g.H*g.W)
	checkLen("Im2col", "col", col, g.N*g.C*g.KH*g.KW*oh*ow)
	if isF64(img) {
		im2col(floats[float64](col), floats[float64](img), g, oh, ow)
	} else {
		im2col(floats[float32](col), floats[float32](img), g, oh, ow)
	}
}

// Col2im accumulates col (N, C*KH*KW, OH*OW) into img (N, C, H, W), the
// adjoint of Im2col. It gathers per image row, so rows run in parallel
// without sharing any output element.
func (*CPU) Col2im(img, col backend.Buffer, g backend.ConvGeom) {
	oh, ow := checkConv("Col2im", g)
	checkLen("Col2im", "img", img, g.N*g.C*g.H*g.W)
	checkLen("Col2im", "col", col, g.N*g.C*g.KH*g.KW*oh*ow)
	if isF64(img) {
		col2im(floats[float64](img), floats[float64](col), g, oh, ow)
	} else {
		col2im(floats[float32](img), floats[float32](col), g, oh, ow)
	}
}

// checkConv panics unless g describes a convolution with a non-empty output,
// and returns the output size.
func checkConv(op string, g backend.ConvGeom) (oh, ow int) {
	if g.N <= 0 || g.C <= 0 || g.H <= 0 || g.W <= 0 || g.KH <= 0 || g.KW <= 0 ||
		g.SH <= 0 || g.SW <= 0 || g.PH < 0 || g.PW < 0 || g.DH <= 0 || g.DW <= 0 {
		panic(fmt.Sprintf("cpu: %s: bad geometry %+v", op, g))
	}
	if g.H+2*g.PH < g.DH*(g.KH-1)+1 || g.W+2*g.PW < g.DW*(g.KW-1)+1 {
		panic(fmt.Sprintf("cpu: %s: kernel %dx%d (dilation %dx%d) exceeds the padded image %dx%d",
			op, g.KH, g.KW, g.DH, g.DW, g.H+2*g.PH, g.W+2*g.PW))
	}
	return g.OutH(), g.OutW()
}

// validRange returns the output positions [lo, hi) of n whose input position
// o*stride + off falls inside [0, size).
func validRange(off, stride, size, n int) (lo, hi int) {
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	if size-1-off >= 0 {
		hi = (size-1-off)/stride + 1
	}
	lo = min(lo, n)
	hi = max(min(hi, n), lo)
	return lo, hi
}

func im2col[T Float](col, img []T, g backend.ConvGeom, oh, ow int) {
	kk := g.KH * g.KW
	ohw := oh * ow
	hw := g.H * g.W
	parallelFor(g.N*g.C*kk, max(1, 16384/ohw), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			// Row r of the whole col buffer is (n*C + c)*KH*KW + ki*KW + kj.
			kj := r % g.KW
			ki := r / g.KW % g.KH
			plane := img[r/kk*hw : (r/kk+1)*hw]
			dst := col[r*ohw : (r+1)*ohw]
			xOff := kj*g.DW - g.PW
			xLo, xHi := validRange(xOff, g.SW, g.W, ow)
			for y := range oh {
				d := dst[y*ow : (y+1)*ow]
				ih := y*g.SH - g.PH + ki*g.DH
				if ih < 0 || ih >= g.H {
					clear(d)
					continue
				}
				src := plane[ih*g.W : (ih+1)*g.W]
				clear(d[:xLo])
				clear(d[xHi:])
				if g.SW == 1 && xLo < xHi {
					copy(d[xLo:xHi], src[xLo+xOff:xHi+xOff])
					continue
				}
				for x := xLo; x < xHi; x++ {
					d[x] = src[x*g.SW+xOff]
				}
			}
		}
	})
}

func col2im[T Float](img, col []T, g backend.ConvGeom, oh, ow int) {
	kk := g.KH * g.KW
	ohw := oh * ow
	xLo := make([]int, g.KW)
	xHi := make([]int, g.KW)
	for kj := range g.KW {
		xLo[kj], xHi[kj] = validRange(kj*g.DW-g.PW, g.SW, g.W, ow)
	}
	parallelFor(g.N*g.C*g.H, max(1, 4096/(g.W*kk)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			// r = (n*C + c)*H + ih indexes one image row.
			ih := r % g.H
			nc := r / g.H
			dst := img[r*g.W : (r+1)*g.W]
			for ki := range g.KH {
				t := ih + g.PH - ki*g.DH
				if t < 0 || t%g.SH != 0 || t/g.SH >= oh {
					continue
				}
				y := t / g.SH
				for kj := range g.KW {
					if xLo[kj] >= xHi[kj] {
						continue
					}
					xOff := kj*g.DW - g.PW
					src := col[(nc*kk+ki*g.KW+kj)*ohw+y*ow:]
					if g.SW == 1 {
						d := dst[xLo[kj]+xOff : xHi[kj]+xOff]
						s := src[xLo[kj]:xHi[kj]]
						s = s[:len(d)]
						for i := range d {
							d[i] += s[i]
						}
						continue
					}
					for x := xLo[kj]; x < xHi[kj]; x++ {
						dst[x*g.SW+xOff] += src[x]
					}
				}
			}
		}
	})
}
