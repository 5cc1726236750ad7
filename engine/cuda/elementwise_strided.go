package cuda

import (
	"fmt"

	"allnet/engine/backend"
)

// maxStridedRank is the number of dimensions the strided kernels take
// (EW_MAXR in kernels/elementwise.cu), counted after merging.
const maxStridedRank = 8

// ewThreads is the block size of the elementwise kernels.
const ewThreads = 256

// ewBlocks returns the grid of a grid-stride elementwise kernel over n
// items.
func ewBlocks(n int) Dim3 { return dim1(blocksFor(n, ewThreads)) }

// ewCollapse drops the size-1 dimensions of shape and merges each pair of
// adjacent dimensions that every view walks as one (stride of the outer
// equals stride times size of the inner), keeping the row-major order of
// the elements. It returns the merged shape and each view's merged strides.
func ewCollapse(shape []int, strides ...[]int) ([]int, [][]int) {
	outShape := make([]int, 0, len(shape))
	outStr := make([][]int, len(strides))
	for d, n := range shape {
		if n == 1 {
			continue
		}
		last := len(outShape) - 1
		merge := last >= 0
		for v := range strides {
			if merge && outStr[v][last] != strides[v][d]*n {
				merge = false
			}
		}
		if merge {
			outShape[last] *= n
			for v := range strides {
				outStr[v][last] = strides[v][d]
			}
			continue
		}
		outShape = append(outShape, n)
		for v := range strides {
			outStr[v] = append(outStr[v], strides[v][d])
		}
	}
	return outShape, outStr
}

// ewCheckView panics unless every element the view v of shape reaches lies in
// its buffer (of n elements). Strides may be zero or negative.
func ewCheckView(op, name string, v backend.Strided, shape []int, n int) {
	if len(v.Strides) != len(shape) {
		panic(fmt.Sprintf("cuda: %s: %s has %d strides for shape %v", op, name, len(v.Strides), shape))
	}
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("cuda: %s: negative dimension in shape %v", op, shape))
		}
		if d == 0 {
			return // an empty view reaches nothing
		}
	}
	lo, hi := v.Off, v.Off
	for k, d := range shape {
		span := (d - 1) * v.Strides[k]
		if span < 0 {
			lo += span
		} else {
			hi += span
		}
	}
	if lo < 0 || hi >= n {
		panic(fmt.Sprintf("cuda: %s: %s (offset %d, strides %v) of shape %v reaches elements %d..%d of a buffer of %d",
			op, name, v.Off, v.Strides, shape, lo, hi, n))
	}
}

// ewGeomArgs returns the EW_GEOM_PARAMS of kernels/elementwise.cu for a merged
// shape and two views' strides: the rank, then shapes, strides of a and
// strides of b, each innermost first and padded to maxStridedRank.
func ewGeomArgs(op string, shape, sa, sb []int) []any {
	r := len(shape)
	if r > maxStridedRank {
		panic(fmt.Sprintf("cuda: %s: %d dimensions remain after merging contiguous ones (shape %v); the kernels take at most %d",
			op, r, shape, maxStridedRank))
	}
	args := make([]any, 0, 1+3*maxStridedRank)
	args = append(args, r)
	for i, s := range [][]int{shape, sa, sb} {
		pad := 0 // strides of unused slots
		if i == 0 {
			pad = 1 // sizes of unused slots
		}
		for k := 0; k < maxStridedRank; k++ {
			if k < r {
				args = append(args, s[r-1-k])
			} else {
				args = append(args, pad)
			}
		}
	}
	return args
}

// ewF32 returns x as a float32 buffer of this backend, panicking otherwise.
func (b *Backend) ewF32(op, name string, x backend.Buffer) *Buffer {
	d := b.buf(x)
	if d.dt != backend.Float32 {
		panic(fmt.Sprintf("cuda: %s: %s is %v, want float32", op, name, d.dt))
	}
	return d
}
