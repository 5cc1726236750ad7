package cuda

import (
	"fmt"
	"math"

	"allnet/engine/backend"
)

// topKShared is the largest TopK sort buffer in keys (8 bytes each: 32 KiB
// of shared memory).
const topKShared = 4096

// TopK finds, for each of rows rows of cols values, the k largest values in
// descending order (ties: lower index first, NaN above every number) and
// their int32 indices: kernels/index.cu, a bitonic sort of (value, index)
// keys in shared memory per row, or a counting fallback for rows longer than
// the buffer with k above half of it.
func (b *Backend) TopK(values, indices, x backend.Buffer, rows, cols, k int) {
	if rows < 0 || cols < 0 || k < 0 || k > cols || cols > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: TopK: k=%d of rows=%d cols=%d", k, rows, cols))
	}
	normF32("TopK", "x", x, rows*cols)
	normF32("TopK", "values", values, rows*k)
	normLen("TopK", "indices", indices, rows*k, backend.Int32)
	if rows == 0 || k == 0 {
		return
	}
	s := 2
	for s < cols && s < topKShared {
		s *= 2
	}
	if cols > s && k > s/2 {
		b.launch("index_topk_rank_f32", dim1(blocksFor(rows*cols, 256)), dim1(256), 0, values, indices, x, rows, cols, k)
		return
	}
	b.launch("index_topk_f32", dim1(min(rows, maxGridX)), dim1(min(s/2, 512)), s*8, values, indices, x, rows, cols, k, s)
}

// Gather computes dst[o, i, n] = src[o, idx[o, i, n], n] (float32 or int32
// dst and src of one dtype), one thread per element; an index outside
// [0, srcDim) panics after the launch (see indexCheck).
func (b *Backend) Gather(dst, src, idx backend.Buffer, outer, srcDim, idxDim, inner int) {
	const op = "Gather"
	n := indexShape(op, dst, src, outer, srcDim, idxDim, inner)
	normLen(op, "dst", dst, n, dst.DType())
	normLen(op, "src", src, outer*srcDim*inner, dst.DType())
	normLen(op, "idx", idx, n, backend.Int32)
	if n == 0 {
		return
	}
	b.indexCheck(op, idx, outer, idxDim, inner, srcDim, func(err backend.Buffer) {
		b.launch("index_gather_b32", dim1(blocksFor(n, 256)), dim1(256), 0, dst, src, idx, outer, srcDim, idxDim, inner, err)
	})
}

// ScatterAdd accumulates dst[o, idx[o, i, n], n] += src[o, i, n] with
// atomics (repeated indices add up; float sums in no fixed order); an index
// outside [0, dstDim) panics after the launch, the valid ones having been
// added.
func (b *Backend) ScatterAdd(dst, src, idx backend.Buffer, outer, dstDim, idxDim, inner int) {
	const op = "ScatterAdd"
	n := indexShape(op, dst, src, outer, dstDim, idxDim, inner)
	normLen(op, "dst", dst, outer*dstDim*inner, dst.DType())
	normLen(op, "src", src, n, dst.DType())
	normLen(op, "idx", idx, n, backend.Int32)
	if n == 0 {
		return
	}
	kernel := "index_scatter_add_f32"
	if dst.DType() == backend.Int32 {
		kernel = "index_scatter_add_i32"
	}
	b.indexCheck(op, idx, outer, idxDim, inner, dstDim, func(err backend.Buffer) {
		b.launch(kernel, dim1(blocksFor(n, 256)), dim1(256), 0, dst, src, idx, outer, dstDim, idxDim, inner, err)
	})
}

// indexShape checks the dimensions and dtypes of Gather and ScatterAdd and
// returns the number of indices.
func indexShape(op string, dst, src backend.Buffer, outer, dim, idxDim, inner int) int {
	for _, d := range []int{outer, dim, idxDim, inner} {
		if d < 0 || d > math.MaxInt32 {
			panic(fmt.Sprintf("cuda: %s: bad dimensions %v", op, []int{outer, dim, idxDim, inner}))
		}
	}
	if dst == nil || src == nil {
		panic(fmt.Sprintf("cuda: %s: nil buffer", op))
	}
	if dst.DType() != src.DType() {
		panic(fmt.Sprintf("cuda: %s: dst is %v but src is %v", op, dst.DType(), src.DType()))
	}
	return outer * idxDim * inner
}

// indexCheck runs launch with a device error word (the first bad flat
// position, all ones when none) and panics, naming the index and its
// position as the CPU backend does, when an index of idx (outer, idxDim,
// inner) fell outside [0, dim).
func (b *Backend) indexCheck(op string, idx backend.Buffer, outer, idxDim, inner, dim int, launch func(err backend.Buffer)) {
	p, bad := b.withErrWord(launch)
	if !bad {
		return
	}
	ix := make([]int32, idx.Len())
	b.Download(ix, idx)
	o, rem := p/(idxDim*inner), p%(idxDim*inner)
	panic(fmt.Sprintf("cuda: %s: index %d at [%d, %d, %d] of idx (%d, %d, %d) is outside [0, %d)",
		op, ix[p], o, rem/inner, rem%inner, outer, idxDim, inner, dim))
}

// withErrWord allocates a 64-bit device word set to all ones, passes it to
// launch, downloads it, and returns the position a kernel stored there
// (bad: some kernel lowered it).
func (b *Backend) withErrWord(launch func(err backend.Buffer)) (pos int, bad bool) {
	err := b.Alloc(backend.Int32, 2)
	defer b.Free(err)
	b.Fill(err, -1)
	launch(err)
	var w [2]int32
	b.Download(w[:], err)
	v := uint64(uint32(w[0])) | uint64(uint32(w[1]))<<32
	if v == math.MaxUint64 {
		return 0, false
	}
	return int(v), true
}
