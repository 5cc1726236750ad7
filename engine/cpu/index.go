package cpu

import (
	"fmt"
	"math"
	"slices"

	"allnet/engine/backend"
)

// TopK writes, for each of rows rows of cols values, the k largest values in
// descending order to values (rows, k) and their column indices to indices
// (rows, k, int32). Ties keep the lower index first; NaN ranks above every
// number (as in PyTorch).
func (*CPU) TopK(values, indices, x backend.Buffer, rows, cols, k int) {
	if rows < 0 || cols < 0 || k < 0 || k > cols {
		panic(fmt.Sprintf("cpu: TopK: k=%d of rows=%d cols=%d", k, rows, cols))
	}
	checkLen("TopK", "x", x, rows*cols)
	checkLen("TopK", "values", values, rows*k)
	checkLen("TopK", "indices", indices, rows*k)
	if isF64(x) {
		topK(floats[float64](values), ints(indices), floats[float64](x), rows, cols, k)
	} else {
		topK(floats[float32](values), ints(indices), floats[float32](x), rows, cols, k)
	}
}

// before reports whether (a, i) ranks ahead of (b, j): larger value first,
// NaN largest, lower index on ties.
func before[T Float](a T, i int32, b T, j int32) bool {
	an, bn := a != a, b != b
	switch {
	case an || bn:
		if an && bn {
			return i < j
		}
		return an
	case a != b:
		return a > b
	}
	return i < j
}

// topK keeps, per row, a min-heap of the k best entries seen (worst at the
// root), then sorts it: O(cols log k) per row, parallel over rows.
func topK[T Float](values []T, indices []int32, x []T, rows, cols, k int) {
	if k == 0 {
		return
	}
	parallelFor(rows, max(1, 4096/max(cols, 1)), func(lo, hi int) {
		heap := make([]int32, 0, k)
		for r := lo; r < hi; r++ {
			row := x[r*cols : (r+1)*cols]
			// worse(a, b): entry a ranks behind entry b.
			worse := func(a, b int32) bool { return before(row[b], b, row[a], a) }
			heap = heap[:0]
			for c := range cols {
				ci := int32(c)
				if len(heap) < k {
					heap = append(heap, ci)
					siftUp(heap, len(heap)-1, worse)
				} else if before(row[ci], ci, row[heap[0]], heap[0]) {
					heap[0] = ci
					siftDown(heap, 0, worse)
				}
			}
			slices.SortFunc(heap, func(a, b int32) int {
				switch {
				case a == b:
					return 0
				case before(row[a], a, row[b], b):
					return -1
				}
				return 1
			})
			for j, ci := range heap {
				values[r*k+j] = row[ci]
				indices[r*k+j] = ci
			}
		}
	})
}

// siftUp and siftDown maintain a heap whose root is the worst entry.
func siftUp(h []int32, i int, worse func(a, b int32) bool) {
	for i > 0 {
		p := (i - 1) / 2
		if !worse(h[i], h[p]) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func siftDown(h []int32, i int, worse func(a, b int32) bool) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && worse(h[r], h[l]) {
			m = r
		}
		if !worse(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// checkIndices panics when an index of idx, viewed as (outer, idxDim, inner),
// falls outside [0, dim), naming the primitive, the value and its position.
func checkIndices(op string, idx []int32, outer, idxDim, inner, dim int) {
	for p, v := range idx[:outer*idxDim*inner] {
		if v < 0 || int(v) >= dim {
			o, rem := p/(idxDim*inner), p%(idxDim*inner)
			panic(fmt.Sprintf("cpu: %s: index %d at [%d, %d, %d] of idx (%d, %d, %d) is outside [0, %d)",
				op, v, o, rem/inner, rem%inner, outer, idxDim, inner, dim))
		}
	}
}

func checkDims(op string, dims ...int) {
	for _, d := range dims {
		if d < 0 || d > math.MaxInt32 {
			panic(fmt.Sprintf("cpu: %s: bad dimensions %v", op, dims))
		}
	}
}

// Gather computes dst[o, i, n] = src[o, idx[o, i, n], n] with src viewed as
// (outer, srcDim, inner) and dst, idx as (outer, idxDim, inner). dst and src
// are float32, float64 or int32 buffers of one dtype.
func (*CPU) Gather(dst, src, idx backend.Buffer, outer, srcDim, idxDim, inner int) {
	checkDims("Gather", outer, srcDim, idxDim, inner)
	n := outer * idxDim * inner
	checkLen("Gather", "dst", dst, n)
	checkLen("Gather", "src", src, outer*srcDim*inner)
	checkLen("Gather", "idx", idx, n)
	ix := ints(idx)
	checkIndices("Gather", ix, outer, idxDim, inner, srcDim)
	d, s := sameDtype("Gather", dst, src)
	switch d.dtype {
	case backend.Float32:
		gather(d.F32, s.F32, ix, outer, srcDim, idxDim, inner)
	case backend.Float64:
		gather(d.F64, s.F64, ix, outer, srcDim, idxDim, inner)
	default:
		gather(d.I32, s.I32, ix, outer, srcDim, idxDim, inner)
	}
}

// gather runs parallel over the (o, i) rows of dst.
func gather[T number](dst, src []T, idx []int32, outer, srcDim, idxDim, inner int) {
	parallelFor(outer*idxDim, max(1, elemGrain/max(inner, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			o := r / idxDim
			d := dst[r*inner : (r+1)*inner]
			ir := idx[r*inner : (r+1)*inner]
			s := src[o*srcDim*inner:]
			for n, j := range ir {
				d[n] = s[int(j)*inner+n]
			}
		}
	})
}

// ScatterAdd accumulates dst[o, idx[o, i, n], n] += src[o, i, n] with dst
// viewed as (outer, dstDim, inner) and src, idx as (outer, idxDim, inner).
// Repeated indices add up.
func (*CPU) ScatterAdd(dst, src, idx backend.Buffer, outer, dstDim, idxDim, inner int) {
	checkDims("ScatterAdd", outer, dstDim, idxDim, inner)
	n := outer * idxDim * inner
	checkLen("ScatterAdd", "dst", dst, outer*dstDim*inner)
	checkLen("ScatterAdd", "src", src, n)
	checkLen("ScatterAdd", "idx", idx, n)
	ix := ints(idx)
	checkIndices("ScatterAdd", ix, outer, idxDim, inner, dstDim)
	d, s := sameDtype("ScatterAdd", dst, src)
	switch d.dtype {
	case backend.Float32:
		scatterAdd(d.F32, s.F32, ix, outer, dstDim, idxDim, inner)
	case backend.Float64:
		scatterAdd(d.F64, s.F64, ix, outer, dstDim, idxDim, inner)
	default:
		scatterAdd(d.I32, s.I32, ix, outer, dstDim, idxDim, inner)
	}
}

// scatterAdd runs parallel over (o, block of n): distinct tasks write
// disjoint parts of dst, so repeated indices never race.
func scatterAdd[T number](dst, src []T, idx []int32, outer, dstDim, idxDim, inner int) {
	const block = 512
	nb := (inner + block - 1) / block
	parallelFor(outer*nb, max(1, elemGrain/max(idxDim*min(inner, block), 1)), func(lo, hi int) {
		for t := lo; t < hi; t++ {
			o, b := t/nb, t%nb
			n0, n1 := b*block, min((b+1)*block, inner)
			d := dst[o*dstDim*inner:]
			for i := range idxDim {
				r := (o*idxDim + i) * inner
				for n := n0; n < n1; n++ {
					d[int(idx[r+n])*inner+n] += src[r+n]
				}
			}
		}
	})
}
