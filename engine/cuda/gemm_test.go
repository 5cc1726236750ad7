package cuda_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
	"allnet/kernels"
	"github.com/stretchr/testify/require"
)

// gemmCase is one Gemm problem laid out in three buffers: leading dimensions
// pad elements wider than needed, matrices starting off elements in and
// spaced by their size plus a gap, or shared (stride 0).
type gemmCase struct {
	ta, tb           bool
	m, n, k, batch   int
	alpha, beta      float64
	pad, off         int
	sharedA, sharedB bool
}

// layout returns the arguments (without buffers) and the buffer lengths.
func (c gemmCase) layout() (g backend.GemmArgs, lenA, lenB, lenC int) {
	g = backend.GemmArgs{TransA: c.ta, TransB: c.tb, M: c.m, N: c.n, K: c.k, Batch: c.batch, Alpha: c.alpha, Beta: c.beta}
	rowsA, colsA, rowsB, colsB := c.m, c.k, c.k, c.n
	if c.ta {
		rowsA, colsA = c.k, c.m
	}
	if c.tb {
		rowsB, colsB = c.n, c.k
	}
	g.LDA, g.LDB, g.LDC = colsA+c.pad, colsB+c.pad, c.n+c.pad
	g.OffA, g.OffB, g.OffC = c.off, c.off, c.off
	g.StrideA, g.StrideB, g.StrideC = rowsA*g.LDA+c.pad, rowsB*g.LDB+c.pad, c.m*g.LDC+c.pad
	if c.sharedA {
		g.StrideA = 0
	}
	if c.sharedB {
		g.StrideB = 0
	}
	lenA = g.OffA + (c.batch-1)*g.StrideA + rowsA*g.LDA + 3
	lenB = g.OffB + (c.batch-1)*g.StrideB + rowsB*g.LDB + 3
	lenC = g.OffC + (c.batch-1)*g.StrideC + c.m*g.LDC + 3
	return g, lenA, lenB, lenC
}

// gemmTwin runs c on the CPU twin and the emulated backend with the same
// random inputs (C NaN-poisoned when Beta == 0) and compares the whole C
// buffers, so elements between and after the matrices must keep their
// values.
func gemmTwin(t *testing.T, cpu, gpu backend.Backend, c gemmCase, tol float64) {
	t.Helper()
	r := rng(t)
	g, lenA, lenB, lenC := c.layout()
	a, bv, c0 := randn(r, lenA, 1), randn(r, lenB, 1), randn(r, lenC, 1)
	if c.beta == 0 {
		for i := range c0 {
			c0[i] = float32(math.NaN())
		}
	}
	var got [2][]float32
	for i, b := range []backend.Backend{cpu, gpu} {
		gi := g
		gi.A, gi.B, gi.C = upload(b, a), upload(b, bv), upload(b, c0)
		b.Gemm(gi)
		got[i] = download(b, gi.C)
		require.Equal(t, a, download(b, gi.A), "A changed")
		require.Equal(t, bv, download(b, gi.B), "B changed")
	}
	requireClose(t, fmt.Sprintf("Gemm %+v", c), got[1], got[0], tol)
}

// TestGemmTwin covers every transpose combination on odd shapes (1, 7, 33,
// 130: below, inside and across the 64- and 128-wide tiles), unaligned and
// aligned leading dimensions (the scalar and float4 load paths), batches with
// shared operands, offsets, and Alpha/Beta including Beta == 0 over NaN.
func TestGemmTwin(t *testing.T) {
	cpu, gpu := twins(t)
	shapes := []struct{ m, n, k int }{
		{1, 7, 33}, {7, 1, 130}, {33, 130, 1}, {130, 33, 7}, {130, 130, 33}, {33, 33, 130}, {7, 7, 7},
	}
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			for i, s := range shapes {
				c := gemmCase{ta: ta, tb: tb, m: s.m, n: s.n, k: s.k, batch: 1 + i%3, alpha: 1, beta: 0}
				switch i % 4 {
				case 1:
					c.alpha, c.beta, c.pad, c.off = -0.75, 0.5, 3, 1 // unaligned
				case 2:
					c.alpha, c.beta, c.pad = 1.5, 0, 4 // LD multiple of 4 when the width is
					c.sharedA = true
				case 3:
					c.alpha, c.beta, c.pad, c.off = 1, -1.25, 1, 5
					c.sharedB = true
				}
				gemmTwin(t, cpu, gpu, c, 1e-5)
			}
		}
	}
}

// TestGemmAligned runs shapes whose rows are all 16-byte aligned, so that
// every interior quad takes the float4 path, and whose sizes are whole tiles
// and whole tiles plus one.
func TestGemmAligned(t *testing.T) {
	cpu, gpu := twins(t)
	for _, s := range []struct{ m, n, k int }{{128, 128, 64}, {64, 64, 32}, {129, 132, 36}, {65, 68, 20}} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				gemmTwin(t, cpu, gpu, gemmCase{ta: ta, tb: tb, m: s.m, n: s.n, k: s.k, batch: 2, alpha: 1, beta: 0.25}, 1e-5)
			}
		}
	}
}

// TestGemmEdgeCases: K == 0 (C = Beta*C, zero with Beta == 0 even over
// NaN), empty batches and matrices (nothing happens), and a long K.
func TestGemmEdgeCases(t *testing.T) {
	cpu, gpu := twins(t)
	gemmTwin(t, cpu, gpu, gemmCase{m: 5, n: 9, k: 0, batch: 2, alpha: 1, beta: 2, pad: 1}, 0)
	gemmTwin(t, cpu, gpu, gemmCase{m: 5, n: 9, k: 0, batch: 2, alpha: 1, beta: 0, pad: 1}, 0)
	gemmTwin(t, cpu, gpu, gemmCase{m: 0, n: 9, k: 3, batch: 2, alpha: 1, beta: 0, pad: 1}, 0)
	gemmTwin(t, cpu, gpu, gemmCase{m: 4, n: 9, k: 3, batch: 0, alpha: 1, beta: 0, pad: 1}, 0)
	gemmTwin(t, cpu, gpu, gemmCase{ta: true, m: 3, n: 5, k: 1000, batch: 1, alpha: 1, beta: 1}, 1e-5)
}

// TestGemmChecks: inconsistent arguments panic with a message naming Gemm.
func TestGemmChecks(t *testing.T) {
	gpu := newEmu(t)
	a, b, c := gpu.Alloc(backend.Float32, 12), gpu.Alloc(backend.Float32, 16), gpu.Alloc(backend.Float32, 12)
	ok := backend.GemmArgs{M: 3, N: 4, K: 4, Batch: 1, Alpha: 1, A: a, LDA: 4, B: b, LDB: 4, C: c, LDC: 4}
	require.NotPanics(t, func() { gpu.Gemm(ok) })
	for _, bad := range []func(*backend.GemmArgs){
		func(g *backend.GemmArgs) { g.LDA = 3 },
		func(g *backend.GemmArgs) { g.K = 5 },
		func(g *backend.GemmArgs) { g.Batch, g.StrideC = 2, 12 },
		func(g *backend.GemmArgs) { g.OffB = 1 },
		func(g *backend.GemmArgs) { g.C = gpu.Alloc(backend.Int32, 12) },
	} {
		g := ok
		bad(&g)
		func() {
			defer func() {
				v := recover()
				require.NotNil(t, v, "no panic for %+v", g)
				require.Contains(t, fmt.Sprint(v), "Gemm")
			}()
			gpu.Gemm(g)
		}()
	}
}

// TestGemmTF32Option: the option is off by default and switches Gemm to the
// tensor-core kernels, which the PTX carries but the emulator cannot run (the
// GPU script checks them against the SIMT kernels).
func TestGemmTF32Option(t *testing.T) {
	gpu := newEmu(t)
	require.False(t, gpu.TF32())
	gpu.SetTF32(true)
	require.True(t, gpu.TF32())
	g := backend.GemmArgs{M: 2, N: 2, K: 2, Batch: 1, Alpha: 1, LDA: 2, LDB: 2, LDC: 2,
		A: gpu.Alloc(backend.Float32, 4), B: gpu.Alloc(backend.Float32, 4), C: gpu.Alloc(backend.Float32, 4)}
	func() {
		defer func() { require.Contains(t, fmt.Sprint(recover()), "gemm_tf32_nn_f32") }()
		gpu.Gemm(g)
	}()
	gpu.SetTF32(false)
	require.False(t, gpu.TF32())
	require.NotPanics(t, func() { gpu.Gemm(g) })

	var ptx string
	for _, m := range kernels.Modules() {
		if m.Name == "gemm" {
			ptx = string(m.PTX)
		}
	}
	for _, tr := range []string{"nn", "nt", "tn", "tt"} {
		require.True(t, strings.Contains(ptx, ".entry gemm_tf32_"+tr+"_f32("), "gemm.ptx lacks gemm_tf32_%s_f32", tr)
	}
	require.Contains(t, ptx, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32")
}

// TestConformanceGemm runs the conformance suite's Gemm check.
func TestConformanceGemm(t *testing.T) { backendtest.RunOnly(t, newEmu(t), "Gemm") }

// TestGemmTF32Device checks, on a real GPU only (build tag cuda), the
// tensor-core kernels against the SIMT kernels and the SIMT kernels against
// the CPU twin, over every transpose combination, odd and tile-sized shapes,
// batches and Alpha/Beta. TF32 rounds each input to 11 significant bits, so
// the two GPU results agree to about 1e-3, not to float32 precision.
func TestGemmTF32Device(t *testing.T) {
	gpu := realDevice(t)
	if gpu == nil {
		t.Skip("needs a GPU (build tag cuda); the emulator has no tensor cores")
	}
	defer gpu.SetTF32(gpu.TF32())
	cpu, _ := twins(t)
	r := rng(t)
	for _, s := range []gemmCase{
		{m: 1024, n: 1024, k: 1024, batch: 1, alpha: 1},
		{m: 1000, n: 777, k: 333, batch: 2, alpha: 0.5, beta: 1.5, pad: 3, off: 1},
		{m: 130, n: 7, k: 129, batch: 3, alpha: 1, beta: -1, pad: 4, sharedA: true},
		{m: 33, n: 257, k: 16, batch: 4, alpha: -2, pad: 1, off: 2, sharedB: true},
		{m: 1, n: 1, k: 1, batch: 1, alpha: 1, beta: 1},
	} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				c := s
				c.ta, c.tb = ta, tb
				g, lenA, lenB, lenC := c.layout()
				a, bv, c0 := randn(r, lenA, 1), randn(r, lenB, 1), randn(r, lenC, 1)
				var got [3][]float32 // CPU, SIMT, TF32
				for i, b := range []backend.Backend{cpu, gpu, gpu} {
					if i > 0 {
						gpu.SetTF32(i == 2)
					}
					gi := g
					gi.A, gi.B, gi.C = upload(b, a), upload(b, bv), upload(b, c0)
					b.Gemm(gi)
					got[i] = download(b, gi.C)
				}
				what := fmt.Sprintf("%+v", c)
				requireClose(t, "SIMT vs CPU "+what, got[1], got[0], 1e-5)
				requireClose(t, "TF32 vs SIMT "+what, got[2], got[1], 3e-3)
			}
		}
	}
}
