package cpu

//go:generate go run gemm_gen.go

import (
	"runtime"
	"sync"
	"unsafe"

	"allnet/engine/backend"
)

// Blocking of the portable GEMM (Goto/BLIS style). A worker packs a
// kc x nc block of op(B) into nr-column panels and, for each mc rows of its
// share of C, an mc x kc block of op(A) into mr-row panels; the micro-kernel
// then runs over every (mr row, nr column) tile of the block.
const (
	gemmMR    = 4       // rows of a micro-tile (gemmKernel)
	gemmNR    = 2       // columns of a micro-tile
	gemmKC    = 256     // depth of a packed block (K up to 1.5*gemmKC is one block)
	gemmMC    = 128     // rows of a packed A block: mc*kc values stay in L2
	gemmNC    = 1024    // columns of a packed B block
	gemmWork  = 1 << 16 // multiply-adds below which no worker is started
	gemmMinNC = 64      // narrowest column range a worker is given
)

// Gemm computes C[b] = Alpha*op(A[b])*op(B[b]) + Beta*C[b] (see
// backend.GemmArgs), blocked and packed with a register-tiled micro-kernel
// (in float32 the AVX2 or AVX-512 kernels where the build and the CPU have
// them, gemm_f32.go; otherwise portable Go), or row by row for very few
// rows or a very short K; parallel over the rows of all batches, and over
// column ranges when there are too few rows. Every product is computed, so a NaN or Inf
// in A or B reaches C even where the other factor is zero, as in BLAS and
// PyTorch.
func (*CPU) Gemm(g backend.GemmArgs) {
	checkGemm(g)
	if isF64(g.C) {
		gemm(g, floats[float64](g.A), floats[float64](g.B), floats[float64](g.C))
	} else if ks := gemmSIMD; ks != nil {
		gemmF32(g, floats[float32](g.A), floats[float32](g.B), floats[float32](g.C), ks)
	} else {
		gemm(g, floats[float32](g.A), floats[float32](g.B), floats[float32](g.C))
	}
}

func checkGemm(g backend.GemmArgs) {
	if err := g.Validate(); err != nil {
		panic("cpu: Gemm: " + err.Error())
	}
}

// gemm picks the path for the shape: nothing to do, C = Beta*C for K == 0,
// row by row, or tiled.
func gemm[T Float](g backend.GemmArgs, a, b, c []T) {
	switch {
	case g.Batch == 0 || g.M == 0 || g.N == 0:
	case g.K == 0:
		gemmScale(g, c)
	case gemmUseRows(g):
		gemmRows(g, a, b, c)
	default:
		gemmTiled(g, a, b, c)
	}
}

// gemmF32 is gemm for float32 with the SIMD micro-kernels ks.
func gemmF32(g backend.GemmArgs, a, b, c []float32, ks *simdKernels) {
	switch {
	case g.Batch == 0 || g.M == 0 || g.N == 0:
	case g.K == 0:
		gemmScale(g, c)
	case g.M < ks.mr || (g.K < 8 && !g.TransB):
		gemmRows(g, a, b, c)
	default:
		gemmTiledF32(g, a, b, c, ks)
	}
}

// gemmUseRows reports whether gemmRows beats the tiled path: with fewer
// rows than a tile, most of the tile is padding and packing op(B) costs as
// much as the product; with K below 8 the tile overhead dominates, unless
// TransB turns the rows into dot products that short (measured single
// thread on the tuning machine: 3-5 GFLOP/s against 0.4-3 for M = 1-3 or K
// = 1-6, e.g. depthwise convolutions, and a tie at M = 4 or K = 8).
func gemmUseRows(g backend.GemmArgs) bool {
	return g.M < gemmMR || (g.K < 8 && !g.TransB)
}

// gemmTiled splits C into units of mr rows times a column range over all
// batches and hands contiguous runs of units to the workers. Each worker
// packs the parts of op(A) and op(B) its units need, so when the batch does
// not feed all workers the columns are split if N > M (only op(A), the
// smaller operand, is then packed by every worker) or if there are too few
// rows to share; otherwise the rows are.
func gemmTiled[T Float](g backend.GemmArgs, a, b, c []T) {
	sp := splitGemm(g, gemmMR, gemmNR, gemmKC)
	runGemmSplit(sp, g, func() *gemmBufs[T] {
		return getGemmBufs[T](gemmRoundUp(min(g.M, gemmMC), gemmMR)*sp.kc, gemmRoundUp(min(sp.nChunk, gemmNC), gemmNR)*sp.kc)
	}, func(w *gemmBufs[T], bi, i0, i1, j0, j1 int) {
		gemmBlock(g, a, b, c, w, sp.kc, bi, i0, i1, j0, j1)
	})
}

// gemmSplit is how a tiled GEMM shares out C: units of mr rows by one of
// nUnits column ranges of nChunk columns, over every matrix of the batch,
// with depth blocks of kc.
type gemmSplit struct {
	mr, mUnits, nChunk, nUnits, kc int
}

// splitGemm splits C for micro-tiles of mr x nr and a target depth block
// kcTarget. With fewer matrices than workers, the columns are cut too (for
// wide C, or when there are too few row units to go round); the depth is
// cut into equal blocks of about kcTarget, up to 1.5 times that in one
// block (a B panel that spills from L1 to L2 costs less than a second pass
// over C).
func splitGemm(g backend.GemmArgs, mr, nr, kcTarget int) gemmSplit {
	sp := gemmSplit{mr: mr, mUnits: (g.M + mr - 1) / mr, nChunk: g.N, nUnits: 1, kc: g.K}
	if workers := runtime.GOMAXPROCS(0); g.Batch < workers {
		parts := 1
		if g.N > g.M {
			parts = workers
		}
		if rows := g.Batch * sp.mUnits; rows < 4*workers {
			parts = max(parts, (4*workers+rows-1)/rows)
		}
		if parts = min(parts, g.N/gemmMinNC); parts > 1 {
			sp.nChunk = gemmRoundUp((g.N+parts-1)/parts, nr)
			sp.nUnits = (g.N + sp.nChunk - 1) / sp.nChunk
		}
	}
	if sp.kc > kcTarget+kcTarget/2 {
		nk := (g.K + kcTarget - 1) / kcTarget
		sp.kc = (g.K + nk - 1) / nk
	}
	return sp
}

// runGemmSplit hands contiguous runs of sp's units to the workers; each
// worker takes its buffers from bufs (returning them when done) and calls
// block for each run of row units of one matrix and column range: rows
// [i0, i1) and columns [j0, j1) of C[bi].
func runGemmSplit[T Float](sp gemmSplit, g backend.GemmArgs, bufs func() *gemmBufs[T], block func(w *gemmBufs[T], bi, i0, i1, j0, j1 int)) {
	perBatch := sp.nUnits * sp.mUnits
	grain := max(1, gemmWork/(sp.mr*sp.nChunk*g.K))
	parallelFor(g.Batch*perBatch, grain, func(lo, hi int) {
		w := bufs()
		defer putGemmBufs(w)
		for u := lo; u < hi; {
			bi, nu, mu := u/perBatch, u%perBatch/sp.mUnits, u%sp.mUnits
			end := min(hi, u-mu+sp.mUnits) // the units of this batch and column range
			j0 := nu * sp.nChunk
			block(w, bi, mu*sp.mr, min((mu+end-u)*sp.mr, g.M), j0, min(j0+sp.nChunk, g.N))
			u = end
		}
	})
}

// gemmBlock computes rows [i0, i1) and columns [j0, j1) of C[bi].
func gemmBlock[T Float](g backend.GemmArgs, a, b, c []T, w *gemmBufs[T], kc, bi, i0, i1, j0, j1 int) {
	aBase, bBase := g.OffA+bi*g.StrideA, g.OffB+bi*g.StrideB
	cBase := g.OffC + bi*g.StrideC
	alpha, beta := T(g.Alpha), T(g.Beta)
	for jc := j0; jc < j1; jc += gemmNC {
		nb := min(gemmNC, j1-jc)
		for pc := 0; pc < g.K; pc += kc {
			kb := min(kc, g.K-pc)
			packB(w.b, b, bBase, g.LDB, g.TransB, pc, kb, jc, nb)
			// The first depth block applies Beta (or overwrites C when it is
			// zero); the others add to what it wrote.
			over, be := pc == 0 && g.Beta == 0, beta
			if pc > 0 {
				be = 1
			}
			for ic := i0; ic < i1; ic += gemmMC {
				mb := min(gemmMC, i1-ic)
				packA(w.a, a, aBase, g.LDA, g.TransA, ic, mb, pc, kb)
				gemmMacro(w.a, w.b, kb, mb, nb, c, cBase+ic*g.LDC+jc, g.LDC, alpha, be, over)
			}
		}
	}
}

// gemmMacro runs the micro-kernel over an mb x nb block of C starting at
// c[off], from packed A (mb rows) and B (nb columns) of depth kb, and stores
// alpha*tile + be*C, or alpha*tile when over is set.
func gemmMacro[T Float](ap, bp []T, kb, mb, nb int, c []T, off, ldc int, alpha, be T, over bool) {
	var t [gemmMR * gemmNR]T
	for jr := 0; jr < nb; jr += gemmNR {
		bpan := bp[jr*kb : (jr+gemmNR)*kb]
		nn := min(gemmNR, nb-jr)
		for ir := 0; ir < mb; ir += gemmMR {
			gemmKernel(kb, ap[ir*kb:(ir+gemmMR)*kb], bpan, &t)
			ci, mm := off+ir*ldc+jr, min(gemmMR, mb-ir)
			if mm < gemmMR || nn < gemmNR {
				gemmStore(c, ci, ldc, &t, mm, nn, alpha, be, over)
				continue
			}
			for i := range gemmMR {
				row := c[ci+i*ldc : ci+i*ldc+2]
				if over {
					row[0], row[1] = alpha*t[2*i], alpha*t[2*i+1]
				} else {
					row[0], row[1] = alpha*t[2*i]+be*row[0], alpha*t[2*i+1]+be*row[1]
				}
			}
		}
	}
}

// gemmStore writes the top-left mm x nn corner of tile t to C at c[ci]:
// alpha*t + be*C, or alpha*t when over is set.
func gemmStore[T Float](c []T, ci, ldc int, t *[gemmMR * gemmNR]T, mm, nn int, alpha, be T, over bool) {
	for i := range mm {
		row := c[ci+i*ldc : ci+i*ldc+nn]
		for j := range row {
			if over {
				row[j] = alpha * t[i*gemmNR+j]
			} else {
				row[j] = alpha*t[i*gemmNR+j] + be*row[j]
			}
		}
	}
}

// gemmScale sets C = Beta*C (zero when Beta == 0), the product for K == 0.
func gemmScale[T Float](g backend.GemmArgs, c []T) {
	beta := T(g.Beta)
	for bi := range g.Batch {
		for i := range g.M {
			o := g.OffC + bi*g.StrideC + i*g.LDC
			row := c[o : o+g.N]
			for j := range row {
				if g.Beta == 0 {
					row[j] = 0
				} else {
					row[j] *= beta
				}
			}
		}
	}
}

// gemmBufs holds a worker's packing buffers and a tile for the edges of C
// (SIMD kernels), reused across calls.
type gemmBufs[T Float] struct{ a, b, t []T }

var gemmPools [2]sync.Pool // float32, float64

func gemmPool[T Float]() *sync.Pool {
	var z T
	if unsafe.Sizeof(z) == 8 {
		return &gemmPools[1]
	}
	return &gemmPools[0]
}

// getGemmBufs returns buffers of at least na and nb values for packed A and
// B blocks.
func getGemmBufs[T Float](na, nb int) *gemmBufs[T] {
	w, _ := gemmPool[T]().Get().(*gemmBufs[T])
	if w == nil {
		w = new(gemmBufs[T])
	}
	if len(w.a) < na {
		w.a = make([]T, na)
	}
	if len(w.b) < nb {
		w.b = make([]T, nb)
	}
	return w
}

func putGemmBufs[T Float](w *gemmBufs[T]) { gemmPool[T]().Put(w) }

func gemmRoundUp(n, m int) int { return (n + m - 1) / m * m }
