package backendtest

import (
	"fmt"
	"math"
	"testing"

	"allnet/engine/backend"
)

func init() { register("Reduce", checkReduce) }

// redRef is the float64 reference of Reduce: every src element is folded
// into the dst element whose index agrees on the kept dimensions.
func redRef(op backend.ReduceOp, src []float64, srcShape, dstShape []int) []float64 {
	dst := make([]float64, backend.NumElements(dstShape))
	if op == backend.ReduceMax {
		for i := range dst {
			dst[i] = math.Inf(-1)
		}
	}
	dstStr := backend.ContiguousStrides(dstShape)
	idx := make([]int, len(srcShape))
	for _, v := range src {
		d := 0
		for k, i := range idx {
			if dstShape[k] != 1 {
				d += i * dstStr[k]
			}
		}
		if op == backend.ReduceSum {
			dst[d] += v
		} else if v > dst[d] {
			dst[d] = v
		}
		for k := len(idx) - 1; k >= 0; k-- {
			if idx[k]++; idx[k] < srcShape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return dst
}

// reduceShapes are reduced over every subset of their axes, from none to
// all; the last two are large enough that backends split the work over the
// kept or the reduced elements.
var reduceShapes = [][]int{{7}, {5, 6}, {3, 5, 7}, {2, 3, 4, 5}, {4, 1, 6, 3}, {2, 1, 3, 1, 4}, {3, 2, 2, 2, 3}, {64, 301}, {3001, 17}}

func checkReduce(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("Reduce")
	for _, op := range []backend.ReduceOp{backend.ReduceSum, backend.ReduceMax} {
		for _, shape := range reduceShapes {
			x := Randn(r, backend.NumElements(shape), 1)
			if op == backend.ReduceMax {
				for i := range x {
					x[i] -= 10 // all negative: a maximum that starts at 0 is wrong
				}
			}
			x = Rounded(dt, x)
			src := Upload(b, dt, x)
			for mask := range 1 << len(shape) {
				dstShape := append([]int(nil), shape...)
				for k := range shape {
					if mask>>k&1 == 1 {
						dstShape[k] = 1
					}
				}
				dst := b.Alloc(dt, backend.NumElements(dstShape))
				b.Fill(dst, math.NaN())
				b.Reduce(op, dst, dstShape, src, shape)
				want := redRef(op, x, shape, dstShape)
				tol := Tol(dt)
				if op == backend.ReduceMax {
					tol = 0 // a maximum is one of the inputs
				}
				Close(t, fmt.Sprintf("Reduce %v %v -> %v", op, shape, dstShape), Download(b, dst), want, tol)
				b.Free(dst)
			}
			b.Free(src)
		}
	}
}
