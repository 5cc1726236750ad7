package cuda

// Host-side helpers of the norm group (softmax, layer norm, resize, pooling,
// indexing, cross entropy): argument checks and launch shapes.

import (
	"fmt"

	"allnet/engine/backend"
)

// normLen panics unless buf is a float32 buffer of n elements (dt Int32:
// an int32 buffer).
func normLen(op, name string, buf backend.Buffer, n int, dt backend.DType) {
	if buf == nil {
		panic(fmt.Sprintf("cuda: %s: %s is nil", op, name))
	}
	if buf.DType() != dt || buf.Len() != n {
		panic(fmt.Sprintf("cuda: %s: %s is %v[%d], want %v[%d]", op, name, buf.DType(), buf.Len(), dt, n))
	}
}

// normF32 is normLen for float32 buffers.
func normF32(op, name string, buf backend.Buffer, n int) { normLen(op, name, buf, n, backend.Float32) }

// rowShape returns the launch shape of the row-group kernels (see
// kernels/norm_reduce.cuh) over rows rows of cols values: a warp per row and
// eight rows per block up to 1024 columns, otherwise one block per row with
// at least eight values per thread.
func rowShape(rows, cols int) (grid, block Dim3) {
	if cols <= 1024 {
		return dim1((rows + 7) / 8), Dim3{X: 32, Y: 8, Z: 1}
	}
	t := 128
	for t < 1024 && t*8 < cols {
		t *= 2
	}
	return dim1(rows), dim1(t)
}

// colShape returns the launch shape of the column kernels over (outer, dim,
// inner): BX consecutive inner positions (the smallest power of two >= inner,
// at most 32) by BY threads splitting dim (each taking about four or more
// values, at most 256 threads per block).
func colShape(outer, dim, inner int) (grid, block Dim3) {
	bx := 32
	for bx > 1 && bx/2 >= inner {
		bx /= 2
	}
	by := 1
	for bx*by*2 <= 256 && by*4 < dim {
		by *= 2
	}
	return Dim3{X: (inner + bx - 1) / bx, Y: min(outer, maxGridYZ), Z: 1}, Dim3{X: bx, Y: by, Z: 1}
}
