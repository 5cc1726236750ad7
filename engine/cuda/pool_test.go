package cuda_test

import (
	"fmt"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
)

// TestAvgPoolTwin compares AvgPool and AvgPoolBackward (accumulating onto a
// random dx) with the CPU twin: fixed windows with stride, padding and
// dropped rows, adaptive pooling with non-divisible and overlapping windows,
// outputs larger than the input, and global pooling.
func TestAvgPoolTwin(t *testing.T) {
	cpu, gpu := twins(t)
	r := rng(t)
	fixed := func(n, c, h, w, kh, kw, sh, sw, ph, pw int) backend.PoolGeom {
		return backend.PoolGeom{N: n, C: c, H: h, W: w, OH: (h+2*ph-kh)/sh + 1, OW: (w+2*pw-kw)/sw + 1,
			KH: kh, KW: kw, SH: sh, SW: sw, PH: ph, PW: pw}
	}
	adaptive := func(n, c, h, w, oh, ow int) backend.PoolGeom {
		return backend.PoolGeom{N: n, C: c, H: h, W: w, OH: oh, OW: ow, Adaptive: true}
	}
	for _, g := range []backend.PoolGeom{
		fixed(2, 3, 7, 9, 2, 2, 2, 2, 0, 0), fixed(1, 2, 6, 7, 3, 3, 1, 1, 1, 1), fixed(1, 3, 7, 5, 3, 2, 2, 1, 1, 0),
		fixed(2, 2, 5, 8, 3, 3, 3, 2, 1, 1), fixed(1, 1, 9, 11, 5, 4, 2, 3, 2, 1),
		adaptive(2, 3, 7, 5, 3, 3), adaptive(1, 2, 3, 4, 5, 6), adaptive(2, 3, 6, 7, 1, 1),
		adaptive(1, 2, 13, 11, 5, 4), adaptive(1, 1, 10, 10, 10, 10),
	} {
		nx, ny := g.N*g.C*g.H*g.W, g.N*g.C*g.OH*g.OW
		x, dy, dx0 := randn(r, nx, 1), randn(r, ny, 1), randn(r, nx, 1)
		var got [2][2][]float32
		for i, b := range []backend.Backend{cpu, gpu} {
			y := poisoned(b, ny)
			b.AvgPool(y, upload(b, x), g)
			dx := upload(b, dx0)
			b.AvgPoolBackward(dx, upload(b, dy), g)
			got[i] = [2][]float32{download(b, y), download(b, dx)}
		}
		what := fmt.Sprintf("%+v", g)
		requireClose(t, "AvgPool "+what, got[1][0], got[0][0], 1e-6)
		requireClose(t, "AvgPoolBackward "+what, got[1][1], got[0][1], 1e-6)
	}
}

func TestAvgPoolConformance(t *testing.T) {
	backendtest.RunOnly(t, newEmu(t), "AvgPool", "AvgPoolBackward", "AdaptiveAvgPool", "AdaptiveAvgPoolBackward")
}

// TestAvgPoolSweep compares AvgPool and AvgPoolBackward with the CPU twin
// over every adaptive pair of sizes from 1 to 9 and fixed windows with
// every kernel, stride and padding up to 3 on a 7x6 input, so that the
// backward's closed-form window ranges are checked everywhere.
func TestAvgPoolSweep(t *testing.T) {
	cpu, gpu := twins(t)
	r := rng(t)
	var geoms []backend.PoolGeom
	for h := 1; h <= 9; h++ {
		for oh := 1; oh <= 9; oh++ {
			geoms = append(geoms, backend.PoolGeom{N: 1, C: 1, H: h, W: oh + 1, OH: oh, OW: h, Adaptive: true})
		}
	}
	for k := 1; k <= 3; k++ {
		for s := 1; s <= 3; s++ {
			for p := 0; p <= k/2; p++ {
				// Rows: kernel k, stride s, padding p; columns the mirror.
				g := backend.PoolGeom{N: 1, C: 1, H: 7, W: 6, KH: k, KW: 4 - k, SH: s, SW: 4 - s, PH: p, PW: min(p, (4-k)/2)}
				g.OH, g.OW = (g.H+2*g.PH-g.KH)/g.SH+1, (g.W+2*g.PW-g.KW)/g.SW+1
				geoms = append(geoms, g)
			}
		}
	}
	for _, g := range geoms {
		nx, ny := g.H*g.W, g.OH*g.OW
		x, dy := randn(r, nx, 1), randn(r, ny, 1)
		var got [2][2][]float32
		for i, b := range []backend.Backend{cpu, gpu} {
			y, dx := poisoned(b, ny), b.Alloc(backend.Float32, nx)
			b.AvgPool(y, upload(b, x), g)
			b.AvgPoolBackward(dx, upload(b, dy), g)
			got[i] = [2][]float32{download(b, y), download(b, dx)}
		}
		what := fmt.Sprintf("%+v", g)
		requireClose(t, "AvgPool "+what, got[1][0], got[0][0], 1e-6)
		requireClose(t, "AvgPoolBackward "+what, got[1][1], got[0][1], 1e-6)
	}
}
