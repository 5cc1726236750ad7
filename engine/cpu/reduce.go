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

// reduce iterates, for every dst element, over the reduced sub-index space.
// Sums accumulate in float64.
func reduce[T Float](op backend.ReduceOp, dst []T, dstShape []int, src []T, srcShape []int) {
	rank := len(srcShape)
	srcStrides := backend.ContiguousStrides(srcShape)
	// Kept dimensions address dst; reduced ones are walked per element.
	var redDims, redStrides []int
	for k := 0; k < rank; k++ {
		if dstShape[k] == 1 && srcShape[k] != 1 {
			redDims = append(redDims, srcShape[k])
			redStrides = append(redStrides, srcStrides[k])
		}
	}
	nRed := backend.NumElements(redDims)
	nDst := backend.NumElements(dstShape)
	parallelFor(nDst, max(1, 4096/max(nRed, 1)), func(lo, hi int) {
		for o := lo; o < hi; o++ {
			base := 0
			rem := o
			for k := rank - 1; k >= 0; k-- {
				i := rem % dstShape[k]
				rem /= dstShape[k]
				base += i * srcStrides[k]
			}
			var acc float64
			if op == backend.ReduceMax {
				acc = math.Inf(-1)
			}
			for r := 0; r < nRed; r++ {
				off := base
				rr := r
				for k := len(redDims) - 1; k >= 0; k-- {
					off += (rr % redDims[k]) * redStrides[k]
					rr /= redDims[k]
				}
				v := float64(src[off])
				if op == backend.ReduceMax {
					if v > acc || math.IsNaN(v) {
						acc = v
					}
				} else {
					acc += v
				}
			}
			dst[o] = T(acc)
		}
	})
}
