package cuda

import (
	"fmt"
	"math"

	"allnet/engine/backend"
)

// Launch shapes and splitting thresholds of the reduce kernels
// (kernels/reduce.cu). They do not depend on the device, so the emulator
// takes the same paths as a GPU.
const (
	redThreads     = 256  // block size of every reduce kernel
	redColsY       = 8    // reduce_cols_f32 blocks are 32 x redColsY
	redThreadMaxR  = 32   // rows up to this length: one thread per row
	redWarpMaxR    = 1024 // rows up to this length: one warp per row
	redTargetBlock = 1024 // split the reduced extent until about this many blocks run
	redRowChunk    = 4096 // smallest chunk of a split row
	redColChunk    = 256  // smallest chunk of a split column
	redMaxGrid     = 65535
)

// redGroup is a run of adjacent dimensions that are all kept or all reduced.
type redGroup struct {
	size    int
	reduced bool
}

// Reduce reduces src (srcShape) to dst (dstShape: same rank, each dimension
// equal to src's or 1, meaning reduced) by sum or max. Size-1 dimensions are
// dropped and adjacent dimensions of one kind merged, so the work becomes
// one pass per group of reduced dimensions, innermost first, each over src
// viewed as (A, R, B): rows when B == 1, columns otherwise. Max propagates
// NaN; an empty reduction gives 0 (sum) or -Inf (max).
func (b *Backend) Reduce(op backend.ReduceOp, dst backend.Buffer, dstShape []int, src backend.Buffer, srcShape []int) {
	if op != backend.ReduceSum && op != backend.ReduceMax {
		panic(fmt.Sprintf("cuda: Reduce: unknown op %v", op))
	}
	if len(dstShape) != len(srcShape) {
		panic(fmt.Sprintf("cuda: Reduce: dst shape %v and src shape %v differ in rank", dstShape, srcShape))
	}
	var groups []redGroup
	for k, n := range srcShape {
		if dstShape[k] != n && dstShape[k] != 1 {
			panic(fmt.Sprintf("cuda: Reduce: dst shape %v is not a reduction of src shape %v", dstShape, srcShape))
		}
		if n == 1 {
			continue
		}
		red := dstShape[k] == 1
		if l := len(groups) - 1; l >= 0 && groups[l].reduced == red {
			groups[l].size *= n
		} else {
			groups = append(groups, redGroup{n, red})
		}
	}
	what := "Reduce " + op.String()
	db, sb := b.ewF32(what, "dst", dst), b.ewF32(what, "src", src)
	nDst, nSrc := backend.NumElements(dstShape), backend.NumElements(srcShape)
	if db.n != nDst || sb.n != nSrc {
		panic(fmt.Sprintf("cuda: %s: dst has %d elements and src %d, shapes %v and %v need %d and %d",
			what, db.n, sb.n, dstShape, srcShape, nDst, nSrc))
	}
	switch {
	case nDst == 0:
		return
	case nSrc == 0:
		if op == backend.ReduceMax {
			b.Fill(db, math.Inf(-1))
		} else {
			b.Fill(db, 0)
		}
		return
	}
	cur := sb
	for {
		j := -1
		for i, g := range groups {
			if g.reduced {
				j = i
			}
		}
		if j < 0 {
			break
		}
		a, r, n := 1, groups[j].size, 1
		for _, g := range groups[:j] {
			a *= g.size
		}
		for _, g := range groups[j+1:] {
			n *= g.size
		}
		groups = append(groups[:j:j], groups[j+1:]...)
		if j > 0 && j < len(groups) { // two kept groups meet
			groups[j-1].size *= groups[j].size
			groups = append(groups[:j], groups[j+1:]...)
		}
		out := db
		if len(groups) > 1 || (len(groups) == 1 && groups[0].reduced) {
			out = b.reduceScratch(a * n)
		}
		b.reducePass(op, out, cur, a, r, n)
		if cur != sb {
			cur.blk.release()
		}
		cur = out
	}
	if cur == sb { // nothing reduced: dst is a copy of src
		if db.Ptr() != sb.Ptr() {
			b.check(what, b.drv.DtoD(db.Ptr(), sb.Ptr(), int64(nDst*4)))
		}
	}
}

// reducePass reduces in, viewed as (a, r, n), over r into out (a, n),
// splitting r across blocks (and finishing with a second pass) when a
// single block per output would leave the device idle.
func (b *Backend) reducePass(op backend.ReduceOp, out, in *Buffer, a, r, n int) {
	if n == 1 {
		switch {
		case r <= redThreadMaxR:
			b.launch("reduce_rows_thread_f32", dim1(blocksFor(a, redThreads)), dim1(redThreads), 0, out, in, int(op), a, r)
		case r <= redWarpMaxR:
			b.launch("reduce_rows_warp_f32", dim1(blocksFor(a, redThreads/32)), dim1(redThreads), 0, out, in, int(op), a, r)
		default:
			s, chunk := redSplit(a, r, redRowChunk, 4)
			part := out
			if s > 1 {
				part = b.reduceScratch(a * s)
			}
			grid := Dim3{X: min(a, redMaxGrid*8), Y: s, Z: 1}
			b.launch("reduce_rows_f32", grid, dim1(redThreads), 0, part, in, int(op), a, r, chunk)
			if s > 1 {
				b.reducePass(op, out, part, a, s, 1)
				part.blk.release()
			}
		}
		return
	}
	gx := (n + 31) / 32
	s, chunk := redSplit(gx*min(a, redMaxGrid), r, redColChunk, 1)
	part := out
	if s > 1 {
		part = b.reduceScratch(a * s * n)
	}
	grid := Dim3{X: gx, Y: min(a, redMaxGrid), Z: s}
	b.launch("reduce_cols_f32", grid, Dim3{X: 32, Y: redColsY, Z: 1}, 0, part, in, int(op), a, r, n, chunk)
	if s > 1 {
		b.reducePass(op, out, part, a, s, n)
		part.blk.release()
	}
}

// redSplit chooses how many chunks s to cut a reduced extent r into, given
// the blocks that run without splitting: none unless those are few and r
// is long; chunks are at least minChunk long and a multiple of align.
func redSplit(blocks, r, minChunk, align int) (s, chunk int) {
	if blocks >= redTargetBlock/2 || r < 2*minChunk {
		return 1, r
	}
	s = min((r+minChunk-1)/minChunk, (redTargetBlock+blocks-1)/blocks, redMaxGrid)
	chunk = (r + s - 1) / s
	chunk = (chunk + align - 1) / align * align
	return (r + chunk - 1) / chunk, chunk
}

// reduceScratch returns an uninitialised float32 buffer of n elements for
// partial results; release it with blk.release (stream order keeps that
// safe on a device).
func (b *Backend) reduceScratch(n int) *Buffer {
	p, size, err := b.alloc.alloc(int64(n) * 4)
	if err != nil {
		panic(err)
	}
	return newBuffer(b.alloc, p, size, backend.Float32, n)
}
