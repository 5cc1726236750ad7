package backendtest

import (
	"fmt"
	"math"
	"testing"

	"allnet/engine/backend"
)

// geomNear fails t unless got and want agree elementwise within tol.
func geomNear(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
}

// geomFDMax is the largest input the finite-difference tests differentiate
// (each input costs two evaluations of the whole reference).
const geomFDMax = 1000

// geomBackwardFD fails t unless got, a reference backward at x for the
// output gradient dy, agrees to 1e-9 relative with central differences of
// <fwd(x), dy>.
func geomBackwardFD(t *testing.T, what string, fwd func([]float64) []float64, x, dy, got []float64) {
	t.Helper()
	const eps = 1e-3 // the functions tested are linear: no truncation error
	fd := CentralDiff(func() float64 { d, _ := geomDot(fwd(x), dy); return d }, x, nil, eps)
	if e := RelErr(got, fd); e > 1e-9 {
		t.Errorf("%s: reference backward vs finite differences: relative error %.3g", what, e)
	}
}

func TestConvRefKnown(t *testing.T) {
	// A 3x3 image 1..9, 2x2 kernel, stride 1, no padding: four 2x2 patches.
	g := backend.ConvGeom{N: 1, C: 1, H: 3, W: 3, KH: 2, KW: 2, SH: 1, SW: 1, DH: 1, DW: 1}
	img := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	want := []float64{
		1, 2, 4, 5, // ki=0, kj=0 over the 2x2 outputs
		2, 3, 5, 6, // ki=0, kj=1
		4, 5, 7, 8, // ki=1, kj=0
		5, 6, 8, 9, // ki=1, kj=1
	}
	geomNear(t, "3x3 image, 2x2 kernel", convRefIm2col(img, g), want, 0)

	// Padding 1, stride 2, dilation 2 on the same image: OH = OW = 2, and
	// every tap but one of the outer ones reads the padding.
	g = backend.ConvGeom{N: 1, C: 1, H: 3, W: 3, KH: 2, KW: 2, SH: 2, SW: 2, PH: 1, PW: 1, DH: 2, DW: 2}
	if g.OutH() != 2 || g.OutW() != 2 {
		t.Fatalf("output %dx%d, want 2x2", g.OutH(), g.OutW())
	}
	col := convRefIm2col(img, g)
	geomNear(t, "tap (0,0)", col[0:4], []float64{0, 0, 0, 5}, 0)   // (ki,kj)=(0,0): img[2y-1, 2x-1]
	geomNear(t, "tap (1,1)", col[12:16], []float64{5, 0, 0, 0}, 0) // (1,1): img[2y+1, 2x+1]
}

func TestConvRefAdjoint(t *testing.T) {
	r := RNG("TestConvRefAdjoint")
	for _, g := range convCases {
		x := Randn(r, g.N*g.C*g.H*g.W, 1)
		c := Randn(r, convColLen(g), 1)
		fx := convRefIm2col(x, g)
		gc := convRefCol2im(make([]float64, len(x)), c, g)
		adjointClose(t, fmt.Sprintf("%+v", g), fx, c, x, gc, 1e-13)
		// Col2im accumulates.
		x0 := Randn(r, len(x), 1)
		acc := convRefCol2im(x0, c, g)
		for i := range acc {
			x0[i] += gc[i]
		}
		geomNear(t, "Col2im accumulates", acc, x0, 1e-12)
	}
}

func TestResizeRefKnown(t *testing.T) {
	// PyTorch: F.interpolate(tensor([[[[1., 2, 3, 4, 5]]]]), size=(1, 3),
	// mode="bilinear", align_corners=False) -> 1.3333, 3.0, 4.6667.
	y := resizeRef([]float64{1, 2, 3, 4, 5}, resizeCase{1, 1, 1, 5, 1, 3})
	geomNear(t, "case 1", y, []float64{4.0 / 3, 3, 14.0 / 3}, 1e-12)
	// Upsampling [1, 2] to 4: the outer outputs clamp (below at 0, above at
	// the last column) -> 1, 1.25, 1.75, 2.
	y = resizeRef([]float64{1, 2}, resizeCase{1, 1, 1, 2, 1, 4})
	geomNear(t, "case 2", y, []float64{1, 1.25, 1.75, 2}, 1e-12)
	// Rows as well: a 2x1 column to 4x1.
	y = resizeRef([]float64{1, 2}, resizeCase{1, 1, 2, 1, 4, 1})
	geomNear(t, "case 3", y, []float64{1, 1.25, 1.75, 2}, 1e-12)
}

func TestResizeRefBackwardFD(t *testing.T) {
	r := RNG("TestResizeRefBackwardFD")
	for _, rc := range resizeCases {
		if rc.n*rc.c*rc.h*rc.w > geomFDMax {
			continue
		}
		x := Randn(r, rc.n*rc.c*rc.h*rc.w, 1)
		dy := Randn(r, rc.n*rc.c*rc.oh*rc.ow, 1)
		got := resizeRefBackward(make([]float64, len(x)), dy, rc)
		geomBackwardFD(t, rc.String(), func(x []float64) []float64 { return resizeRef(x, rc) }, x, dy, got)
	}
}

func TestPoolRefKnown(t *testing.T) {
	// Adaptive 5 -> 3 along W: windows [0,2), [1,4), [3,5), overlapping.
	x := []float64{1, 2, 3, 4, 5}
	y := poolRef(x, poolAdaptive(1, 1, 1, 5, 1, 3))
	geomNear(t, "case 4", y, []float64{1.5, 3, 4.5}, 1e-12)
	// Adaptive 7 -> 3: [0,3), [2,5), [4,7).
	y = poolRef([]float64{1, 2, 3, 4, 5, 6, 7}, poolAdaptive(1, 1, 1, 7, 1, 3))
	geomNear(t, "case 5", y, []float64{2, 4, 6}, 1e-12)
	// Adaptive 3 -> 5 (output larger): [0,1), [0,2), [1,2), [1,3), [2,3).
	y = poolRef([]float64{1, 2, 4}, poolAdaptive(1, 1, 1, 3, 1, 5))
	geomNear(t, "case 6", y, []float64{1, 1.5, 2, 3, 4}, 1e-12)
	// Fixed 3x3, stride 1, padding 1 on a 2x2 image of ones: every window
	// holds the four ones and five padding zeros, divided by 9.
	y = poolRef([]float64{1, 1, 1, 1}, poolFixed(1, 1, 2, 2, 3, 3, 1, 1, 1, 1))
	geomNear(t, "case 7", y, []float64{4.0 / 9, 4.0 / 9, 4.0 / 9, 4.0 / 9}, 1e-12)
}

func TestPoolRefBackwardFD(t *testing.T) {
	r := RNG("TestPoolRefBackwardFD")
	for _, g := range append(append([]backend.PoolGeom(nil), poolFixedCases...), poolAdaptiveCases...) {
		if g.N*g.C*g.H*g.W > geomFDMax {
			continue
		}
		x := Randn(r, g.N*g.C*g.H*g.W, 1)
		dy := Randn(r, g.N*g.C*g.OH*g.OW, 1)
		got := poolRefBackward(make([]float64, len(x)), dy, g)
		geomBackwardFD(t, fmt.Sprintf("%+v", g), func(x []float64) []float64 { return poolRef(x, g) }, x, dy, got)
	}
}
