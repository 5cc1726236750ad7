package cuda

import (
	"fmt"

	"allnet/engine/backend"
)

// Softmax computes softmax (or log-softmax) over the middle axis of x viewed
// as (outer, dim, inner): kernels/softmax.cu, one row group per row when
// inner == 1, the column kernel otherwise. y may be x.
func (b *Backend) Softmax(y, x backend.Buffer, outer, dim, inner int, log bool) {
	n := softmaxShape("Softmax", outer, dim, inner)
	normF32("Softmax", "y", y, n)
	normF32("Softmax", "x", x, n)
	if n == 0 {
		return
	}
	if inner == 1 {
		grid, block := rowShape(outer, dim)
		b.launch("softmax_rows_f32", grid, block, 0, y, x, outer, dim, log)
		return
	}
	grid, block := colShape(outer, dim, inner)
	b.launch("softmax_cols_f32", grid, block, 2*block.X*block.Y*4, y, x, outer, dim, inner, log)
}

// SoftmaxBackward computes dx = y*(dy - sum(dy*y)) (softmax) or
// dx = dy - exp(y)*sum(dy) (log-softmax), sums along dim. dx may be dy.
func (b *Backend) SoftmaxBackward(dx, y, dy backend.Buffer, outer, dim, inner int, log bool) {
	n := softmaxShape("SoftmaxBackward", outer, dim, inner)
	normF32("SoftmaxBackward", "dx", dx, n)
	normF32("SoftmaxBackward", "y", y, n)
	normF32("SoftmaxBackward", "dy", dy, n)
	if n == 0 {
		return
	}
	if inner == 1 {
		grid, block := rowShape(outer, dim)
		b.launch("softmax_bwd_rows_f32", grid, block, 0, dx, y, dy, outer, dim, log)
		return
	}
	grid, block := colShape(outer, dim, inner)
	b.launch("softmax_bwd_cols_f32", grid, block, block.X*block.Y*4, dx, y, dy, outer, dim, inner, log)
}

func softmaxShape(op string, outer, dim, inner int) int {
	if outer < 0 || dim < 0 || inner < 0 {
		panic(fmt.Sprintf("cuda: %s: bad shape (outer %d, dim %d, inner %d)", op, outer, dim, inner))
	}
	return outer * dim * inner
}
