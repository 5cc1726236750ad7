package cuda

// Placeholder methods that the norm helper replaces with kernels (this file is deleted then).

import "allnet/engine/backend"

// Softmax is not implemented yet.
func (b *Backend) Softmax(y, x backend.Buffer, outer, dim, inner int, log bool) {
	panic("cuda: Softmax is not implemented yet")
}

// SoftmaxBackward is not implemented yet.
func (b *Backend) SoftmaxBackward(dx, y, dy backend.Buffer, outer, dim, inner int, log bool) {
	panic("cuda: SoftmaxBackward is not implemented yet")
}

// LayerNorm is not implemented yet.
func (b *Backend) LayerNorm(y, mean, rstd, x, gamma, beta backend.Buffer, rows, cols int, eps float64) {
	panic("cuda: LayerNorm is not implemented yet")
}

// LayerNormBackward is not implemented yet.
func (b *Backend) LayerNormBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma backend.Buffer, rows, cols int) {
	panic("cuda: LayerNormBackward is not implemented yet")
}

// Resize is not implemented yet.
func (b *Backend) Resize(y, x backend.Buffer, n, c, h, w, oh, ow int) {
	panic("cuda: Resize is not implemented yet")
}

// ResizeBackward is not implemented yet.
func (b *Backend) ResizeBackward(dx, dy backend.Buffer, n, c, h, w, oh, ow int) {
	panic("cuda: ResizeBackward is not implemented yet")
}

// AvgPool is not implemented yet.
func (b *Backend) AvgPool(y, x backend.Buffer, g backend.PoolGeom) {
	panic("cuda: AvgPool is not implemented yet")
}

// AvgPoolBackward is not implemented yet.
func (b *Backend) AvgPoolBackward(dx, dy backend.Buffer, g backend.PoolGeom) {
	panic("cuda: AvgPoolBackward is not implemented yet")
}

// TopK is not implemented yet.
func (b *Backend) TopK(values, indices, x backend.Buffer, rows, cols, k int) {
	panic("cuda: TopK is not implemented yet")
}

// Gather is not implemented yet.
func (b *Backend) Gather(dst, src, idx backend.Buffer, outer, srcDim, idxDim, inner int) {
	panic("cuda: Gather is not implemented yet")
}

// ScatterAdd is not implemented yet.
func (b *Backend) ScatterAdd(dst, src, idx backend.Buffer, outer, dstDim, idxDim, inner int) {
	panic("cuda: ScatterAdd is not implemented yet")
}

// CrossEntropy is not implemented yet.
func (b *Backend) CrossEntropy(loss, prob, logits, labels backend.Buffer, outer, classes, inner int, ignore int) {
	panic("cuda: CrossEntropy is not implemented yet")
}

// CrossEntropyBackward is not implemented yet.
func (b *Backend) CrossEntropyBackward(dlogits, dloss, prob, labels backend.Buffer, outer, classes, inner int, ignore int) {
	panic("cuda: CrossEntropyBackward is not implemented yet")
}
