package cuda_test

import (
	"fmt"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
)

// psfTwinCases: odd and even kernels, a kernel larger than the image, the
// largest supported kernel (64x64), images of several tiles (16 x 32 for
// the forward, dx and dpsf), and one image with several channels (dpsf then
// splits an image's tiles among blocks).
var psfTwinCases = []backend.PSFGeom{
	{N: 2, C: 3, H: 11, W: 13, KH: 3, KW: 3},
	{N: 2, C: 2, H: 9, W: 10, KH: 4, KW: 6},
	{N: 1, C: 2, H: 12, W: 14, KH: 31, KW: 31},
	{N: 1, C: 1, H: 10, W: 9, KH: 64, KW: 64},
	{N: 1, C: 2, H: 37, W: 70, KH: 5, KW: 8},
	{N: 3, C: 1, H: 17, W: 33, KH: 2, KW: 1},
}

// TestPSFConvTwin compares PSFConv (into a poisoned y) and PSFConvBackward
// (dx and dpsf pre-filled with random values, since it accumulates; each
// alone and both together) with the CPU twin.
func TestPSFConvTwin(t *testing.T) {
	cpu, gpu := twins(t)
	r := rng(t)
	for _, g := range psfTwinCases {
		n, taps := g.N*g.C*g.H*g.W, g.N*g.KH*g.KW
		x, psf, dy := randn(r, n, 1), randn(r, taps, 0.2), randn(r, n, 1)
		dx0, dpsf0 := randn(r, n, 1), randn(r, taps, 1)
		var ys [2][]float32
		for i, b := range []backend.Backend{cpu, gpu} {
			y := poisoned(b, n)
			b.PSFConv(y, upload(b, x), upload(b, psf), g)
			ys[i] = download(b, y)
		}
		requireClose(t, fmt.Sprintf("PSFConv %+v", g), ys[1], ys[0], 1e-5)
		for set := 1; set < 4; set++ {
			var dxs, dpsfs [2][]float32
			for i, b := range []backend.Backend{cpu, gpu} {
				var dx, dpsf backend.Buffer
				if set&1 != 0 {
					dx = upload(b, dx0)
				}
				if set&2 != 0 {
					dpsf = upload(b, dpsf0)
				}
				b.PSFConvBackward(dx, dpsf, upload(b, dy), upload(b, x), upload(b, psf), g)
				if dx != nil {
					dxs[i] = download(b, dx)
				}
				if dpsf != nil {
					dpsfs[i] = download(b, dpsf)
				}
			}
			if set&1 != 0 {
				requireClose(t, fmt.Sprintf("PSFConvBackward dx %+v", g), dxs[1], dxs[0], 1e-5)
			}
			if set&2 != 0 {
				requireClose(t, fmt.Sprintf("PSFConvBackward dpsf %+v", g), dpsfs[1], dpsfs[0], 1e-5)
			}
		}
	}
}

// TestConformancePSF runs the conformance suite's PSFConv and
// PSFConvBackward checks.
func TestConformancePSF(t *testing.T) {
	backendtest.RunOnly(t, newEmu(t), "PSFConv", "PSFConvBackward")
}
