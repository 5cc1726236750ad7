package backendtest

import (
	"fmt"
	"math"
	"testing"

	"allnet/engine/backend"
)

func init() {
	register("Im2col", checkIm2col)
	register("Col2im", checkCol2im)
}

// convCases cover stride 2, padding, dilation 2, non-square kernels, mixed
// strides, 1x1 kernels and padding wider than the kernel (rows that fall
// wholly outside the image), with batch > 1 and odd sizes. The last is large
// enough for a parallel backend to split the work.
var convCases = []backend.ConvGeom{
	{N: 2, C: 3, H: 7, W: 9, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1},
	{N: 2, C: 2, H: 9, W: 8, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1, DH: 1, DW: 1},
	{N: 1, C: 2, H: 10, W: 11, KH: 3, KW: 2, SH: 2, SW: 1, PH: 1, PW: 0, DH: 1, DW: 1},
	{N: 2, C: 2, H: 11, W: 9, KH: 3, KW: 3, SH: 1, SW: 2, PH: 2, PW: 2, DH: 2, DW: 2},
	{N: 1, C: 3, H: 8, W: 13, KH: 2, KW: 5, SH: 3, SW: 2, PH: 0, PW: 3, DH: 2, DW: 1},
	{N: 2, C: 1, H: 5, W: 6, KH: 1, KW: 1, SH: 1, SW: 1, PH: 0, PW: 0, DH: 1, DW: 1},
	{N: 1, C: 2, H: 4, W: 5, KH: 2, KW: 2, SH: 1, SW: 3, PH: 3, PW: 2, DH: 1, DW: 1},
	{N: 2, C: 4, H: 21, W: 23, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1},
}

// convColLen returns the number of elements of col, N*C*KH*KW*OH*OW.
func convColLen(g backend.ConvGeom) int { return g.N * g.C * g.KH * g.KW * g.OutH() * g.OutW() }

// convRefVisit calls fn with the flat indices of every pair (image element,
// column element) that Im2col copies, a transcription of the ConvGeom doc
// comment; column elements over the padding are skipped.
func convRefVisit(g backend.ConvGeom, fn func(imgAt, colAt int)) {
	oh, ow := g.OutH(), g.OutW()
	rows := g.C * g.KH * g.KW
	for n := range g.N {
		for c := range g.C {
			for ki := range g.KH {
				for kj := range g.KW {
					row := c*g.KH*g.KW + ki*g.KW + kj
					for y := range oh {
						for x := range ow {
							ih := y*g.SH - g.PH + ki*g.DH
							iw := x*g.SW - g.PW + kj*g.DW
							if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
								continue
							}
							fn(((n*g.C+c)*g.H+ih)*g.W+iw, (n*rows+row)*oh*ow+y*ow+x)
						}
					}
				}
			}
		}
	}
}

// convRefIm2col is the float64 reference of Im2col: zero but where
// convRefVisit copies an image element.
func convRefIm2col(img []float64, g backend.ConvGeom) []float64 {
	col := make([]float64, convColLen(g))
	convRefVisit(g, func(imgAt, colAt int) { col[colAt] = img[imgAt] })
	return col
}

// convRefCol2im is the float64 reference of Col2im: img0 plus every column
// element added back to the image position Im2col read it from.
func convRefCol2im(img0, col []float64, g backend.ConvGeom) []float64 {
	img := append([]float64(nil), img0...)
	convRefVisit(g, func(imgAt, colAt int) { img[imgAt] += col[colAt] })
	return img
}

// geomDot returns <a, b> and sum |a_i b_i|, the scale against which an
// adjoint identity is judged.
func geomDot(a, b []float64) (dot, scale float64) {
	for i := range a {
		dot += a[i] * b[i]
		scale += math.Abs(a[i] * b[i])
	}
	return dot, scale
}

// adjointClose fails t unless <fx, y> and <x, gy> agree to tol relative to
// the scale of the products.
func adjointClose(t *testing.T, what string, fx, y, x, gy []float64, tol float64) {
	t.Helper()
	lhs, s1 := geomDot(fx, y)
	rhs, s2 := geomDot(x, gy)
	if d := math.Abs(lhs - rhs); d > tol*max(s1, s2) {
		t.Fatalf("%s: <F x, y> = %.12g but <x, F^T y> = %.12g (difference %.3g, scale %.3g)", what, lhs, rhs, d, max(s1, s2))
	}
}

func checkIm2col(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("Im2col")
	for _, g := range convCases {
		x := Rounded(dt, Randn(r, g.N*g.C*g.H*g.W, 1))
		img := Upload(b, dt, x)
		col := b.Alloc(dt, convColLen(g))
		b.Fill(col, math.NaN()) // every element must be written
		b.Im2col(col, img, g)
		Close(t, fmt.Sprintf("Im2col %+v", g), Download(b, col), convRefIm2col(x, g), Tol(dt))
		b.Free(img)
		b.Free(col)
	}
}

func checkCol2im(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("Col2im")
	for _, g := range convCases {
		nImg, nCol := g.N*g.C*g.H*g.W, convColLen(g)
		// Against the reference, accumulating onto a non-zero image.
		img0 := Rounded(dt, Randn(r, nImg, 1))
		c := Rounded(dt, Randn(r, nCol, 1))
		img, col := Upload(b, dt, img0), Upload(b, dt, c)
		b.Col2im(img, col, g)
		what := fmt.Sprintf("Col2im %+v", g)
		Close(t, what, Download(b, img), convRefCol2im(img0, c, g), Tol(dt))

		// The adjoint identity <Im2col(x), c> == <x, Col2im(c)> on the backend.
		x := Rounded(dt, Randn(r, nImg, 1))
		xb, zero := Upload(b, dt, x), b.Alloc(dt, nImg)
		b.Im2col(col, xb, g)
		ix := Download(b, col)
		b.Free(col)
		col = Upload(b, dt, c)
		b.Col2im(zero, col, g)
		adjointClose(t, what+" adjoint", ix, c, x, Download(b, zero), Tol(dt))
		for _, bf := range []backend.Buffer{img, col, xb, zero} {
			b.Free(bf)
		}
	}
}
