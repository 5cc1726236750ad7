package cpu

import (
	"fmt"

	"allnet/engine/backend"
)

// Gemm computes C[b] = Alpha*op(A[b])*op(B[b]) + Beta*C[b] (see
// backend.GemmArgs). This is the portable implementation: op(B) is packed
// row-major once per distinct B matrix, and each row of C accumulates
// axpy-style over K, parallel over the rows of all batches.
func (*CPU) Gemm(g backend.GemmArgs) {
	checkGemm(g)
	if isF64(g.C) {
		gemm(g, floats[float64](g.A), floats[float64](g.B), floats[float64](g.C))
	} else {
		gemm(g, floats[float32](g.A), floats[float32](g.B), floats[float32](g.C))
	}
}

func checkGemm(g backend.GemmArgs) {
	bad := g.M < 0 || g.N < 0 || g.K < 0 || g.Batch < 0 || g.A == nil || g.B == nil || g.C == nil
	lda, ldb := g.K, g.N
	if g.TransA {
		lda = g.M
	}
	if g.TransB {
		ldb = g.K
	}
	if bad || g.LDA < lda || g.LDB < ldb || g.LDC < g.N {
		panic(fmt.Sprintf("cpu: Gemm: inconsistent arguments M=%d N=%d K=%d batch=%d lda=%d ldb=%d ldc=%d transA=%v transB=%v",
			g.M, g.N, g.K, g.Batch, g.LDA, g.LDB, g.LDC, g.TransA, g.TransB))
	}
	if g.Batch == 0 || g.M == 0 || g.N == 0 {
		return
	}
	rowsA, rowsB := g.M, g.K
	if g.TransA {
		rowsA = g.K
	}
	if g.TransB {
		rowsB = g.N
	}
	need := func(name string, b backend.Buffer, off, stride, rows, ld, cols int) {
		if rows == 0 || cols == 0 {
			return
		}
		last := off + (g.Batch-1)*stride + (rows-1)*ld + cols
		if off < 0 || last > b.Len() {
			panic(fmt.Sprintf("cpu: Gemm: %s reaches element %d of a buffer of %d", name, last, b.Len()))
		}
	}
	need("A", g.A, g.OffA, g.StrideA, rowsA, g.LDA, lda)
	need("B", g.B, g.OffB, g.StrideB, rowsB, g.LDB, ldb)
	need("C", g.C, g.OffC, g.StrideC, g.M, g.LDC, g.N)
}

func gemm[T Float](g backend.GemmArgs, a, b, c []T) {
	if g.Batch == 0 || g.M == 0 || g.N == 0 {
		return
	}
	M, N, K := g.M, g.N, g.K
	// Pack op(B) for each distinct batch matrix as K x N row-major.
	nb := g.Batch
	if g.StrideB == 0 {
		nb = 1
	}
	packed := make([]T, nb*K*N)
	parallelFor(nb*K, max(1, 8192/max(N, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			bi, p := r/K, r%K
			base := g.OffB + bi*g.StrideB
			dst := packed[(bi*K+p)*N : (bi*K+p+1)*N]
			if g.TransB {
				for j := range dst {
					dst[j] = b[base+j*g.LDB+p]
				}
			} else {
				copy(dst, b[base+p*g.LDB:base+p*g.LDB+N])
			}
		}
	})
	alpha, beta := T(g.Alpha), T(g.Beta)
	parallelFor(g.Batch*M, max(1, 65536/max(N*K, 1)), func(lo, hi int) {
		acc := make([]T, N)
		for r := lo; r < hi; r++ {
			bi, i := r/M, r%M
			bp := packed
			if nb > 1 {
				bp = packed[bi*K*N : (bi+1)*K*N]
			} else {
				bp = packed[:K*N]
			}
			for j := range acc {
				acc[j] = 0
			}
			aBase := g.OffA + bi*g.StrideA
			for p := 0; p < K; p++ {
				var aip T
				if g.TransA {
					aip = a[aBase+p*g.LDA+i]
				} else {
					aip = a[aBase+i*g.LDA+p]
				}
				if aip == 0 {
					continue
				}
				row := bp[p*N : p*N+N]
				for j, bv := range row {
					acc[j] += aip * bv
				}
			}
			crow := c[g.OffC+bi*g.StrideC+i*g.LDC : g.OffC+bi*g.StrideC+i*g.LDC+N]
			if g.Beta == 0 {
				for j := range crow {
					crow[j] = alpha * acc[j]
				}
			} else {
				for j := range crow {
					crow[j] = alpha*acc[j] + beta*crow[j]
				}
			}
		}
	})
}
