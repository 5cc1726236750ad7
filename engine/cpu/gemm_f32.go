package cpu

import "allnet/engine/backend"

// f32Kernel is a SIMD micro-kernel of the float32 GEMM. It computes an
// mr x w tile (mr and w fixed per kernel) from kc steps of mr rows of op(A),
// lda apart in a, and a packed panel b of op(B) holding w values per step,
// and stores it into c (rows ldc apart), or adds it to c when add is set.
// (Scaling by alpha and beta is left to the caller: inside the kernel its
// extra registers make the compiler spill in the k loop.)
type f32Kernel func(kc int, a []float32, lda int, b, c []float32, ldc int, add bool)

// simdKernels is a family of micro-kernels for one instruction set: kern[v]
// computes an mr x (v+1)*lanes tile.
type simdKernels struct {
	name      string
	mr, lanes int
	kern      []f32Kernel
}

// nr is the width of the widest tile.
func (s *simdKernels) nr() int { return s.lanes * len(s.kern) }

// gemmSIMD holds the float32 micro-kernels for this CPU, chosen at start-up
// (gemm_simd_amd64.go), or nil where the build or the CPU has none; the
// portable kernel then serves float32 too.
var gemmSIMD *simdKernels

// Blocking of the SIMD GEMM: a packed kc x nc block of op(B) is shared by
// all row panels of a worker, a packed mc x kc block of op(A) stays in L2,
// and one kc x nr panel of op(B) stays in L1 while the micro-kernel runs
// down the rows of the A block.
const (
	gemmSIMDKC = 256
	gemmSIMDMC = 120
	gemmSIMDNC = 1536
)

// gemmTiledF32 is gemmTiled with the SIMD micro-kernels ks: C is split into
// units of mr rows times a column range over all batches, contiguous runs
// of units go to the workers, and each worker packs what its units need.
func gemmTiledF32(g backend.GemmArgs, a, b, c []float32, ks *simdKernels) {
	mr, nr := ks.mr, ks.nr()
	sp := splitGemm(g, mr, nr, gemmSIMDKC)
	mc := gemmSIMDMC / mr * mr
	runGemmSplit(sp, g, func() *gemmBufs[float32] {
		w := getGemmBufs[float32](gemmRoundUp(min(g.M, mc), 24)*sp.kc, gemmRoundUp(min(sp.nChunk, gemmSIMDNC), nr)*sp.kc)
		if len(w.t) < mr*nr {
			w.t = make([]float32, mr*nr)
		}
		return w
	}, func(w *gemmBufs[float32], bi, i0, i1, j0, j1 int) {
		gemmBlockF32(g, a, b, c, ks, w, sp.kc, mc, bi, i0, i1, j0, j1)
	})
}

// gemmBlockF32 computes rows [i0, i1) and columns [j0, j1) of C[bi].
// The kernels read A in place when it is not transposed; op(A) = A^T is
// packed per block into rows.
func gemmBlockF32(g backend.GemmArgs, a, b, c []float32, ks *simdKernels, w *gemmBufs[float32], kc, mc, bi, i0, i1, j0, j1 int) {
	aBase, bBase := g.OffA+bi*g.StrideA, g.OffB+bi*g.StrideB
	cBase := g.OffC + bi*g.StrideC
	alpha, beta := float32(g.Alpha), float32(g.Beta)
	for jc := j0; jc < j1; jc += gemmSIMDNC {
		nb := min(gemmSIMDNC, j1-jc)
		for pc := 0; pc < g.K; pc += kc {
			kb := min(kc, g.K-pc)
			packBF32(w.b, b, bBase, g.LDB, g.TransB, pc, kb, jc, nb, ks.nr(), ks.lanes)
			// The first depth block applies Beta (or overwrites C when it is
			// zero); the others add to what it wrote.
			over, be := pc == 0 && g.Beta == 0, beta
			if pc > 0 {
				be = 1
			}
			for ic := i0; ic < i1; ic += mc {
				mb := min(mc, i1-ic)
				ablk, lda, packed := w.a, kb, true
				if g.TransA {
					packATF32(w.a, a, aBase, g.LDA, ic, mb, pc, kb, ks.mr)
				} else {
					ablk, lda, packed = a[aBase+ic*g.LDA+pc:], g.LDA, false
				}
				gemmMacroF32(ks, w, ablk, lda, packed, kb, mb, nb, c, cBase+ic*g.LDC+jc, g.LDC, alpha, be, over)
			}
		}
	}
}

// gemmMacroF32 runs the micro-kernels over an mb x nb block of C at c[off]
// from rows of op(A) lda apart in ablk (padded to a multiple of mr rows
// when packed, else the last partial panel is copied to w.a) and packed B (nb columns), of depth kb, and stores
// alpha*tile + be*C, or alpha*tile when over is set. The kernels write C
// directly when alpha is 1 and be is 0 (over) or 1; other tiles, and those
// that stick out of the block, go through w.t.
func gemmMacroF32(ks *simdKernels, w *gemmBufs[float32], ablk []float32, lda int, packed bool, kb, mb, nb int, c []float32, off, ldc int, alpha, be float32, over bool) {
	mr, nr, lanes := ks.mr, ks.nr(), ks.lanes
	bp, t := w.b, w.t
	direct, add := alpha == 1 && (over || be == 1), !over
	for jr, wide := 0, 0; jr < nb; jr += wide {
		wide = panelWidth(nb-jr, nr, lanes)
		nn := min(wide, nb-jr)
		kern := ks.kern[wide/lanes-1]
		bpan := bp[jr*kb : jr*kb+wide*kb]
		for ir := 0; ir < mb; ir += mr {
			apan, alda := ablk[ir*lda:], lda
			ci, mm := off+ir*ldc+jr, min(mr, mb-ir)
			if mm < mr && !packed {
				// The last rows of A: copy them into a zero-padded panel.
				apan, alda = w.a[:mr*kb], kb
				clear(apan)
				for i := range mm {
					copy(apan[i*kb:(i+1)*kb], ablk[(ir+i)*lda:])
				}
			}
			if direct && mm == mr && nn == wide {
				kern(kb, apan, alda, bpan, c[ci:], ldc, add)
				continue
			}
			kern(kb, apan, alda, bpan, t, wide, false)
			for i := range mm {
				row, src := c[ci+i*ldc:ci+i*ldc+nn], t[i*wide:i*wide+nn]
				for j, v := range src {
					if over {
						row[j] = alpha * v
					} else {
						row[j] = alpha*v + be*row[j]
					}
				}
			}
		}
	}
}

// packATF32 copies rows [i0, i0+mb) and columns [p0, p0+kb) of op(A) = A^T
// (A at a[base], leading dimension lda) into dst as a row-major mb x kb
// matrix, rows padded with zeros to multiples of 8 and of mr.
func packATF32(dst, a []float32, base, lda int, i0, mb, p0, kb, mr int) {
	rows := max(gemmRoundUp(mb, 8), gemmRoundUp(mb, mr))
	d := dst[:rows*kb]
	clear(d[mb*kb:])
	// Eight rows of op(A) (columns of A) at a time: each step reads eight
	// consecutive values of a row of A.
	i := 0
	for ; i+8 <= mb; i += 8 {
		q := d[i*kb : (i+8)*kb]
		for p := range kb {
			s := a[base+(p0+p)*lda+i0+i:][:8]
			q[p], q[kb+p], q[2*kb+p], q[3*kb+p] = s[0], s[1], s[2], s[3]
			q[4*kb+p], q[5*kb+p], q[6*kb+p], q[7*kb+p] = s[4], s[5], s[6], s[7]
		}
	}
	for ; i < mb; i++ {
		q := d[i*kb : (i+1)*kb]
		for p := range q {
			q[p] = a[base+(p0+p)*lda+i0+i]
		}
	}
}

// panelWidth returns the width of the packed B panel that starts r columns
// before the end of a block: nr, or a multiple of lanes covering the rest;
// where one full panel would leave a single vector, the rest is split in two
// halves instead, since a one-vector kernel has too few accumulators to
// hide the latency of its multiply-adds.
func panelWidth(r, nr, lanes int) int {
	switch {
	case r <= nr:
		return gemmRoundUp(r, lanes)
	case r-nr <= lanes && nr >= 3*lanes:
		return gemmRoundUp((r+1)/2, lanes)
	}
	return nr
}

// packBF32 copies rows [p0, p0+kb) and columns [j0, j0+nb) of op(B) (B at
// b[base], leading dimension ldb) into dst as panels of the widths that
// panelWidth gives: the panel at column jr of width w holds row p0+p,
// column j0+jr+j at dst[jr*kb + p*w + j]. Columns past nb are zero.
func packBF32(dst, b []float32, base, ldb int, trans bool, p0, kb, j0, nb, nr, lanes int) {
	for jr, w := 0, 0; jr < nb; jr += w {
		w = panelWidth(nb-jr, nr, lanes)
		nn := min(w, nb-jr)
		d := dst[jr*kb : jr*kb+w*kb]
		if !trans {
			for p := range kb {
				o := base + (p0+p)*ldb + j0 + jr
				q := d[p*w : p*w+w]
				clear(q[copy(q, b[o:o+nn]):])
			}
			continue
		}
		// op(B)[p, j] = B[j, p]: the panel's columns are rows of B, read four
		// at a time.
		if nn < w {
			clear(d)
		}
		j := 0
		for ; j+4 <= nn; j += 4 {
			o := base + (j0+jr+j)*ldb + p0
			r0 := b[o : o+kb]
			r1, r2, r3 := b[o+ldb:][:len(r0)], b[o+2*ldb:][:len(r0)], b[o+3*ldb:][:len(r0)]
			for p, v := range r0 {
				q := d[p*w+j:][:4]
				q[0], q[1], q[2], q[3] = v, r1[p], r2[p], r3[p]
			}
		}
		for ; j < nn; j++ {
			o := base + (j0+jr+j)*ldb + p0
			for p, v := range b[o : o+kb] {
				d[p*w+j] = v
			}
		}
	}
}
