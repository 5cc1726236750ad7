package cpu

import (
	"fmt"
	"math"

	"allnet/engine/backend"
)

// Reduce reduces src (srcShape) to dst (dstShape, 1 in reduced dimensions).
func (*CPU) Reduce(op backend.ReduceOp, dst backend.Buffer, dstShape []int, src backend.Buffer, srcShape []int) {
	if len(dstShape) != len(srcShape) {
		panic(fmt.Sprintf("cpu: Reduce: dst shape %v and src shape %v differ in rank", dstShape, srcShape))
	}
	for i := range dstShape {
		if dstShape[i] != srcShape[i] && dstShape[i] != 1 {
			panic(fmt.Sprintf("cpu: Reduce: dst shape %v is not a reduction of src shape %v", dstShape, srcShape))
		}
	}
	checkLen("Reduce", "dst", dst, backend.NumElements(dstShape))
	checkLen("Reduce", "src", src, backend.NumElements(srcShape))
	if isF64(dst) {
		reduce(op, floats[float64](dst), dstShape, floats[float64](src), srcShape)
	} else {
		reduce(op, floats[float32](dst), dstShape, floats[float32](src), srcShape)
	}
}

// reduce iterates, for every dst element in order, over the reduced
// sub-index space in row-major order (an odometer, no division per
// element), the innermost reduced dimension as a strided run. Adjacent
// dimensions of one kind that are contiguous in src are merged first, which
// changes neither order. Sums accumulate in float64.
func reduce[T Float](op backend.ReduceOp, dst []T, dstShape []int, src []T, srcShape []int) {
	kept, red := splitReduceDims(dstShape, srcShape)
	nRed := 1
	for _, d := range red {
		nRed *= d.size
	}
	if nRed == 0 { // an empty reduction: the identity, src unread
		id := T(0)
		if op == backend.ReduceMax {
			id = T(math.Inf(-1))
		}
		for i := range dst {
			dst[i] = id
		}
		return
	}
	parallelFor(len(dst), max(1, 4096/max(nRed, 1)), func(lo, hi int) {
		base, at := kept.seek(lo)
		redAt := make([]int, len(red))
		for o := lo; o < hi; o++ {
			dst[o] = T(reduceRun(op, src, base, red, redAt))
			base = kept.next(at, base)
		}
	})
}

// reduceDim is one (merged) dimension: its size and its stride in src.
type reduceDim struct{ size, stride int }

// dimList is a row-major list of dimensions walked as an odometer.
type dimList []reduceDim

// splitReduceDims returns the kept and the reduced dimensions of a
// reduction (size-1 dimensions dropped), a dimension merged into the
// previous one of its list when the two are contiguous in src (then no
// dimension of the other kind lies between them).
func splitReduceDims(dstShape, srcShape []int) (kept, red dimList) {
	strides := backend.ContiguousStrides(srcShape)
	for k, n := range srcShape {
		if n == 1 {
			continue
		}
		list := &kept
		if dstShape[k] == 1 {
			list = &red
		}
		if l := len(*list); l > 0 && (*list)[l-1].stride == n*strides[k] {
			(*list)[l-1] = reduceDim{(*list)[l-1].size * n, strides[k]}
			continue
		}
		*list = append(*list, reduceDim{n, strides[k]})
	}
	return kept, red
}

// seek returns the src offset of the o-th index of the list and the index
// itself, for next.
func (l dimList) seek(o int) (off int, at []int) {
	at = make([]int, len(l))
	for k := len(l) - 1; k >= 0; k-- {
		at[k] = o % l[k].size
		o /= l[k].size
		off += at[k] * l[k].stride
	}
	return off, at
}

// next advances the index at by one and returns the new offset.
func (l dimList) next(at []int, off int) int {
	for k := len(l) - 1; k >= 0; k-- {
		at[k]++
		off += l[k].stride
		if at[k] < l[k].size {
			return off
		}
		off -= at[k] * l[k].stride
		at[k] = 0
	}
	return off
}

// reduceRun reduces src over the dimensions red from base, the last one as
// a strided inner loop; at is scratch of len(red) (left zeroed).
func reduceRun[T Float](op backend.ReduceOp, src []T, base int, red dimList, at []int) float64 {
	acc := 0.0
	if op == backend.ReduceMax {
		acc = math.Inf(-1)
	}
	if len(red) == 0 {
		return float64(src[base])
	}
	inner := red[len(red)-1]
	outer := red[:len(red)-1]
	outerAt := at[:len(outer)]
	nOuter := 1
	for _, d := range outer {
		nOuter *= d.size
	}
	off := base
	for range nOuter {
		run := src[off:]
		if op == backend.ReduceMax {
			for i := range inner.size {
				if v := float64(run[i*inner.stride]); v > acc || math.IsNaN(v) {
					acc = v
				}
			}
		} else if inner.stride == 1 {
			for _, v := range run[:inner.size] {
				acc += float64(v)
			}
		} else {
			for i := range inner.size {
				acc += float64(run[i*inner.stride])
			}
		}
		off = outer.next(outerAt, off)
	}
	return acc
}
