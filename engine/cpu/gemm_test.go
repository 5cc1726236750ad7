package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine/backend"
)

// naiveGemm is a float64 reference of backend.GemmArgs on float64 slices.
func naiveGemm(g backend.GemmArgs, a, b, c []float64) {
	for bi := range g.Batch {
		for i := range g.M {
			for j := range g.N {
				var s float64
				for p := range g.K {
					ai := g.OffA + bi*g.StrideA + i*g.LDA + p
					if g.TransA {
						ai = g.OffA + bi*g.StrideA + p*g.LDA + i
					}
					bj := g.OffB + bi*g.StrideB + p*g.LDB + j
					if g.TransB {
						bj = g.OffB + bi*g.StrideB + j*g.LDB + p
					}
					s += a[ai] * b[bj]
				}
				ci := g.OffC + bi*g.StrideC + i*g.LDC + j
				if g.Beta == 0 {
					c[ci] = g.Alpha * s
				} else {
					c[ci] = g.Alpha*s + g.Beta*c[ci]
				}
			}
		}
	}
}

// TestGemmBlocking covers the paths of Gemm that small shapes do not reach:
// depth split into several blocks (K > 1.5*gemmKC), more columns than a
// packed B block (N > gemmNC), column ranges split across workers (few
// rows), M spanning several A blocks with partial panels and tiles, a batch
// split between workers mid-matrix, columns split when N > M, and the row
// path (gemmRows). It runs with two workers so
// that the same paths run on any machine.
func TestGemmBlocking(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	forEachGemmKernel(t, testGemmBlocking)
}

// forEachGemmKernel runs fn with the portable float32 kernels and then with
// each SIMD kernel family the CPU supports (and the SIMD row kernel where
// the build has one), restoring the start-up choice.
func forEachGemmKernel(t *testing.T, fn func(t *testing.T)) {
	saved, savedRow := gemmSIMD, gemmRowF32
	defer func() { gemmSIMD, gemmRowF32 = saved, savedRow }()
	for _, ks := range append([]*simdKernels{nil}, simdFamilies()...) {
		name := "portable"
		gemmRowF32 = nil
		if ks != nil {
			name = ks.name
			gemmRowF32 = savedRow
		}
		gemmSIMD = ks
		t.Run(name, fn)
	}
}

func testGemmBlocking(t *testing.T) {
	cases := []struct {
		m, n, k, batch int
		beta           float64
	}{
		{5, 1100, 800, 1, 0},    // few rows: columns split; N > gemmNC; K in 3 blocks
		{1, 301, 9, 2, 0.5},     // a single row (gemmRows), columns split
		{37, 150, 5, 2, 0},      // short K: gemmRows, except with TransB
		{70, 300, 20, 1, 0.5},   // N > M: columns split between workers
		{300, 37, 390, 1, -0.5}, // M over several A blocks, K in 2 blocks
		{64, 64, 32, 9, 0},      // attention-like: batch split between workers
		{130, 83, 40, 1, 0},     // SIMD: narrow last panels and partial tiles
		{7, 1601, 300, 1, 1},    // SIMD: N over a packed B block, Beta = 1
		{250, 9, 11, 3, 0},      // SIMD: one narrow panel, odd K
		{2, 70, 100, 2, 0.5},    // two rows: gemmRows with long dot products
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			g := backend.GemmArgs{TransA: tr[0], TransB: tr[1], M: c.m, N: c.n, K: c.k, Batch: c.batch,
				Alpha: 0.75, Beta: c.beta}
			rowsA, colsA, rowsB, colsB := c.m, c.k, c.k, c.n
			if g.TransA {
				rowsA, colsA = colsA, rowsA
			}
			if g.TransB {
				rowsB, colsB = colsB, rowsB
			}
			g.LDA, g.LDB, g.LDC = colsA+3, colsB+1, c.n+2
			g.OffA, g.OffB, g.OffC = 2, 1, 3
			g.StrideA, g.StrideB, g.StrideC = rowsA*g.LDA+1, rowsB*g.LDB+5, c.m*g.LDC
			randn := func(n int) []float64 {
				x := make([]float64, n)
				for i := range x {
					x[i] = float64(float32(r.NormFloat64()))
				}
				return x
			}
			a := randn(g.OffA + c.batch*g.StrideA)
			b := randn(g.OffB + c.batch*g.StrideB)
			c0 := randn(g.OffC + c.batch*g.StrideC)
			want := append([]float64(nil), c0...)
			naiveGemm(g, a, b, want)
			for _, dt := range []backend.DType{backend.Float32, backend.Float64} {
				name := fmt.Sprintf("%+v %v", c, dt)
				cpu := New()
				g.A, g.B, g.C = gemmUpload(cpu, dt, a), gemmUpload(cpu, dt, b), gemmUpload(cpu, dt, c0)
				cpu.Gemm(g)
				got := gemmDownload(g.C)
				var num, den float64
				for i := range got {
					num += (got[i] - want[i]) * (got[i] - want[i])
					den += want[i] * want[i]
				}
				tol := 1e-12
				if dt == backend.Float32 {
					tol = 1e-5
				}
				require.LessOrEqual(t, math.Sqrt(num/den), tol, name)
			}
		}
	}
}

// TestGemmNaN checks that NaN and Inf in A or B reach C even where the
// other factor is zero (0*NaN and 0*Inf are NaN), as in BLAS and PyTorch,
// and nowhere else.
func TestGemmNaN(t *testing.T) { forEachGemmKernel(t, testGemmNaN) }

func testGemmNaN(t *testing.T) {
	for _, dt := range []backend.DType{backend.Float32, backend.Float64} {
		cpu := New()
		const m, n, k = 6, 5, 9   // K >= 8: the tiled path
		a := make([]float64, m*k) // zero except row 2
		b := make([]float64, k*n) // zero except column 3
		for p := range k {
			a[2*k+p] = 1
			b[p*n+3] = 1
		}
		a[4*k+1] = math.NaN()  // row 4 of C is NaN
		b[5*n+0] = math.Inf(1) // column 0 of C is NaN (0*Inf) ...
		a[2*k+5] = math.Inf(1) // ... except C[2,0] = Inf*Inf = Inf, and C[2,3] = Inf
		g := backend.GemmArgs{M: m, N: n, K: k, Batch: 1, Alpha: 1, LDA: k, LDB: n, LDC: n,
			A: gemmUpload(cpu, dt, a), B: gemmUpload(cpu, dt, b), C: cpu.Alloc(dt, m*n)}
		cpu.Gemm(g)
		got := gemmDownload(g.C)
		for i := range m {
			for j := range n {
				v := got[i*n+j]
				switch {
				case i == 2 && (j == 0 || j == 3):
					require.True(t, math.IsInf(v, 1), "%v C[%d,%d] = %g, want +Inf", dt, i, j, v)
				case i == 4 || i == 2 || j == 0:
					require.True(t, math.IsNaN(v), "%v C[%d,%d] = %g, want NaN", dt, i, j, v)
				default:
					require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%v C[%d,%d] = %g, want finite", dt, i, j, v)
				}
			}
		}
	}
}

func gemmUpload(c *CPU, dt backend.DType, x []float64) backend.Buffer {
	buf := c.Alloc(dt, len(x))
	if dt == backend.Float64 {
		copy(floats[float64](buf), x)
	} else {
		f := floats[float32](buf)
		for i, v := range x {
			f[i] = float32(v)
		}
	}
	return buf
}

func gemmDownload(b backend.Buffer) []float64 {
	if isF64(b) {
		return append([]float64(nil), floats[float64](b)...)
	}
	f := floats[float32](b)
	out := make([]float64, len(f))
	for i, v := range f {
		out[i] = float64(v)
	}
	return out
}
