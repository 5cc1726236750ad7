package backendtest

import (
	"fmt"
	"math"
	"testing"

	"allnet/engine/backend"
)

func init() { register("Gemm", checkGemm) }

// gemmRef is the float64 reference of Gemm, a transcription of the GemmArgs
// doc comment: it returns the new contents of the whole C buffer. With Beta
// == 0 the old C is not read.
func gemmRef(g backend.GemmArgs, a, b, c0 []float64) []float64 {
	c := append([]float64(nil), c0...)
	at := func(bi, i, p int) float64 { // op(A[bi])[i, p]
		if g.TransA {
			return a[g.OffA+bi*g.StrideA+p*g.LDA+i]
		}
		return a[g.OffA+bi*g.StrideA+i*g.LDA+p]
	}
	bt := func(bi, p, j int) float64 { // op(B[bi])[p, j]
		if g.TransB {
			return b[g.OffB+bi*g.StrideB+j*g.LDB+p]
		}
		return b[g.OffB+bi*g.StrideB+p*g.LDB+j]
	}
	for bi := range g.Batch {
		for i := range g.M {
			for j := range g.N {
				var s float64
				for p := range g.K {
					s += at(bi, i, p) * bt(bi, p, j)
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
	return c
}

// gemmCase is one Gemm problem; the leading dimensions exceed the minimum by
// pad, matrices start after off elements and follow each other with a gap,
// unless sharedA/sharedB give them stride 0.
type gemmCase struct {
	transA, transB   bool
	m, n, k, batch   int
	alpha, beta      float64
	pad, off         int
	sharedA, sharedB bool
}

func gemmCases() []gemmCase {
	var cs []gemmCase
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			cs = append(cs,
				gemmCase{transA: ta, transB: tb, m: 13, n: 17, k: 11, batch: 3, alpha: 1.25, beta: 0, pad: 3, off: 5},
				gemmCase{transA: ta, transB: tb, m: 13, n: 17, k: 11, batch: 3, alpha: -0.5, beta: 0.75, pad: 2, off: 1},
				gemmCase{transA: ta, transB: tb, m: 9, n: 6, k: 14, batch: 4, alpha: 1, beta: 0, sharedA: true},
				gemmCase{transA: ta, transB: tb, m: 9, n: 6, k: 14, batch: 4, alpha: 1, beta: -1.5, pad: 1, off: 2, sharedB: true},
				gemmCase{transA: ta, transB: tb, m: 1, n: 19, k: 7, batch: 2, alpha: 2, beta: 0, pad: 1},
				gemmCase{transA: ta, transB: tb, m: 23, n: 1, k: 8, batch: 1, alpha: 1, beta: 1, off: 3},
				// Large enough that backends split the work and tile it.
				gemmCase{transA: ta, transB: tb, m: 70, n: 65, k: 129, batch: 2, alpha: 0.5, beta: 0.5, pad: 4, off: 1},
			)
		}
	}
	// K == 0: C = Beta*C (and 0 with Beta == 0, whatever C held).
	cs = append(cs,
		gemmCase{m: 5, n: 4, k: 0, batch: 2, alpha: 1, beta: 2},
		gemmCase{m: 5, n: 4, k: 0, batch: 2, alpha: 1, beta: 0},
	)
	return cs
}

// args lays the case out in three buffers and returns the arguments and the
// buffer lengths.
func (c gemmCase) args() (g backend.GemmArgs, lenA, lenB, lenC int) {
	g = backend.GemmArgs{TransA: c.transA, TransB: c.transB, M: c.m, N: c.n, K: c.k, Batch: c.batch, Alpha: c.alpha, Beta: c.beta}
	rowsA, colsA := c.m, c.k
	if c.transA {
		rowsA, colsA = c.k, c.m
	}
	rowsB, colsB := c.k, c.n
	if c.transB {
		rowsB, colsB = c.n, c.k
	}
	g.LDA, g.LDB, g.LDC = colsA+c.pad, colsB+c.pad+1, c.n+c.pad
	g.OffA, g.OffB, g.OffC = c.off, 2*c.off, 3*c.off
	g.StrideA, g.StrideB, g.StrideC = rowsA*g.LDA+2, rowsB*g.LDB+1, c.m*g.LDC+3
	if c.sharedA {
		g.StrideA = 0
	}
	if c.sharedB {
		g.StrideB = 0
	}
	lenA = g.OffA + (c.batch-1)*g.StrideA + rowsA*g.LDA + 1
	lenB = g.OffB + (c.batch-1)*g.StrideB + rowsB*g.LDB + 1
	lenC = g.OffC + (c.batch-1)*g.StrideC + c.m*g.LDC + 2
	return g, lenA, lenB, lenC
}

// checkGemm runs every case. C starts NaN-filled when Beta == 0 (the NaNs
// must be ignored) and random otherwise; elements of C outside the
// matrices must keep their values.
func checkGemm(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("Gemm")
	for _, c := range gemmCases() {
		g, lenA, lenB, lenC := c.args()
		a, bv := Rounded(dt, Randn(r, lenA, 1)), Rounded(dt, Randn(r, lenB, 1))
		c0 := Rounded(dt, Randn(r, lenC, 1))
		if c.beta == 0 {
			for i := range c0 {
				c0[i] = math.NaN()
			}
		}
		g.A, g.B, g.C = Upload(b, dt, a), Upload(b, dt, bv), Upload(b, dt, c0)
		b.Gemm(g)
		want := gemmRef(g, a, bv, c0)
		Close(t, fmt.Sprintf("Gemm %+v", c), Download(b, g.C), want, Tol(dt))
		memExact(t, fmt.Sprintf("Gemm %+v leaves A alone", c), Download(b, g.A), a)
		memExact(t, fmt.Sprintf("Gemm %+v leaves B alone", c), Download(b, g.B), bv)
		b.Free(g.A)
		b.Free(g.B)
		b.Free(g.C)
	}
}
