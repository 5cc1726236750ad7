package cpu

import (
	"runtime"

	"allnet/engine/backend"
)

// gemmRows computes C one row at a time without packing: Beta*C plus, for
// each p, Alpha*op(A)[i, p] times row p of op(B), or with TransB the dot
// products of row i of op(A) with the rows of B. It serves the shapes where
// the tiled path mostly pays overhead (see gemmUseRows). Work is split over
// the rows of all batches, and over column ranges when rows are few.
func gemmRows[T Float](g backend.GemmArgs, a, b, c []T) {
	rows, nChunk := g.Batch*g.M, g.N
	if workers := runtime.GOMAXPROCS(0); rows < 2*workers && g.N >= 2*gemmMinNC {
		parts := min((2*workers+rows-1)/rows, g.N/gemmMinNC)
		nChunk = (g.N + parts - 1) / parts
	}
	nParts := (g.N + nChunk - 1) / nChunk
	parallelFor(rows*nParts, max(1, gemmWork/(nChunk*g.K)), func(lo, hi int) {
		for u := lo; u < hi; u++ {
			r, j0 := u/nParts, u%nParts*nChunk
			gemmRow(g, a, b, c, r/g.M, r%g.M, j0, min(j0+nChunk, g.N))
		}
	})
}

// gemmRowF32, when set, is a SIMD version of gemmRow for float32.
var gemmRowF32 func(g *backend.GemmArgs, a, b, c []float32, bi, i, j0, j1 int)

// gemmRow computes columns [j0, j1) of row i of C[bi].
func gemmRow[T Float](g backend.GemmArgs, a, b, c []T, bi, i, j0, j1 int) {
	if f := gemmRowF32; f != nil {
		if c32, ok := any(c).([]float32); ok {
			f(&g, any(a).([]float32), any(b).([]float32), c32, bi, i, j0, j1)
			return
		}
	}
	gemmRowGo(g, a, b, c, bi, i, j0, j1)
}

// gemmRowGo is gemmRow in portable Go.
func gemmRowGo[T Float](g backend.GemmArgs, a, b, c []T, bi, i, j0, j1 int) {
	alpha, beta := T(g.Alpha), T(g.Beta)
	ai, aStep := g.OffA+bi*g.StrideA+i*g.LDA, 1 // op(A)[i, p] = a[ai + p*aStep]
	if g.TransA {
		ai, aStep = g.OffA+bi*g.StrideA+i, g.LDA
	}
	bBase, co := g.OffB+bi*g.StrideB, g.OffC+bi*g.StrideC+i*g.LDC
	crow := c[co+j0 : co+j1]
	if g.TransB {
		for j := range crow {
			brow := b[bBase+(j0+j)*g.LDB:][:g.K]
			var s0, s1, s2, s3 T
			if aStep == 1 {
				ar, br := a[ai:][:len(brow)], brow
				for ; len(ar) >= 4 && len(br) >= 4; ar, br = ar[4:], br[4:] {
					x, y := ar[:4:4], br[:4:4]
					s0 += x[0] * y[0]
					s1 += x[1] * y[1]
					s2 += x[2] * y[2]
					s3 += x[3] * y[3]
				}
				ar = ar[:len(br)]
				for p, v := range br {
					s0 += ar[p] * v
				}
			} else {
				for p, v := range brow {
					s0 += a[ai+p*aStep] * v
				}
			}
			if s := alpha * (s0 + s1 + s2 + s3); g.Beta == 0 {
				crow[j] = s
			} else {
				crow[j] = s + beta*crow[j]
			}
		}
		return
	}
	if g.Beta == 0 {
		clear(crow)
	} else if g.Beta != 1 {
		for j := range crow {
			crow[j] *= beta
		}
	}
	for p := range g.K {
		s := alpha * a[ai+p*aStep]
		brow := b[bBase+p*g.LDB+j0:][:len(crow)]
		for j, v := range brow {
			crow[j] += s * v
		}
	}
}
