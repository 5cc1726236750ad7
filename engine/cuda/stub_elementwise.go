package cuda

// Placeholder methods that the elementwise helper replaces with kernels (this file is deleted then).

import "allnet/engine/backend"

// Convert is not implemented yet.
func (b *Backend) Convert(dst, src backend.Buffer) { panic("cuda: Convert is not implemented yet") }

// Copy is not implemented yet.
func (b *Backend) Copy(dst, src backend.Strided, shape []int, accumulate bool) {
	panic("cuda: Copy is not implemented yet")
}

// Unary is not implemented yet.
func (b *Backend) Unary(op backend.UnaryOp, y, x backend.Buffer, alpha float64) {
	panic("cuda: Unary is not implemented yet")
}

// UnaryBackward is not implemented yet.
func (b *Backend) UnaryBackward(op backend.UnaryOp, dx, x, y, dy backend.Buffer, alpha float64) {
	panic("cuda: UnaryBackward is not implemented yet")
}

// Binary is not implemented yet.
func (be *Backend) Binary(op backend.BinaryOp, out backend.Buffer, shape []int, a, b backend.Strided) {
	panic("cuda: Binary is not implemented yet")
}

// Reduce is not implemented yet.
func (b *Backend) Reduce(op backend.ReduceOp, dst backend.Buffer, dstShape []int, src backend.Buffer, srcShape []int) {
	panic("cuda: Reduce is not implemented yet")
}

// RandUniform is not implemented yet.
func (b *Backend) RandUniform(dst backend.Buffer, seed, offset uint64) {
	panic("cuda: RandUniform is not implemented yet")
}

// RandNormal is not implemented yet.
func (b *Backend) RandNormal(dst backend.Buffer, seed, offset uint64) {
	panic("cuda: RandNormal is not implemented yet")
}
