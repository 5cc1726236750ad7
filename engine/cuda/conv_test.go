package cuda_test

import (
	"fmt"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
)

// convTwinCases mix strides, padding (wider than the kernel too), dilation,
// non-square kernels, 1x1 kernels and outputs wider than a block of 256
// threads.
var convTwinCases = []backend.ConvGeom{
	{N: 2, C: 3, H: 9, W: 11, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1},
	{N: 1, C: 2, H: 13, W: 10, KH: 3, KW: 5, SH: 2, SW: 3, PH: 2, PW: 1, DH: 1, DW: 1},
	{N: 2, C: 2, H: 12, W: 15, KH: 3, KW: 3, SH: 1, SW: 2, PH: 2, PW: 3, DH: 2, DW: 3},
	{N: 1, C: 3, H: 7, W: 8, KH: 2, KW: 2, SH: 3, SW: 1, PH: 4, PW: 3, DH: 1, DW: 2},
	{N: 3, C: 1, H: 6, W: 5, KH: 1, KW: 1, SH: 2, SW: 2, PH: 0, PW: 0, DH: 1, DW: 1},
	{N: 1, C: 2, H: 21, W: 33, KH: 4, KW: 3, SH: 1, SW: 1, PH: 1, PW: 2, DH: 1, DW: 1},
}

// TestIm2colCol2imTwin compares Im2col (into a NaN-poisoned col) and Col2im
// (accumulating onto a random image) with the CPU twin.
func TestIm2colCol2imTwin(t *testing.T) {
	cpu, gpu := twins(t)
	r := rng(t)
	for _, g := range convTwinCases {
		nImg, nCol := g.N*g.C*g.H*g.W, g.N*g.C*g.KH*g.KW*g.OutH()*g.OutW()
		img, col, img0 := randn(r, nImg, 1), randn(r, nCol, 1), randn(r, nImg, 1)
		var cols, imgs [2][]float32
		for i, b := range []backend.Backend{cpu, gpu} {
			dst := poisoned(b, nCol)
			b.Im2col(dst, upload(b, img), g)
			cols[i] = download(b, dst)
			acc := upload(b, img0)
			b.Col2im(acc, upload(b, col), g)
			imgs[i] = download(b, acc)
		}
		requireClose(t, fmt.Sprintf("Im2col %+v", g), cols[1], cols[0], 0)
		requireClose(t, fmt.Sprintf("Col2im %+v", g), imgs[1], imgs[0], 1e-6)
	}
}

// TestConformanceConv runs the conformance suite's Im2col and Col2im checks.
func TestConformanceConv(t *testing.T) { backendtest.RunOnly(t, newEmu(t), "Im2col", "Col2im") }
