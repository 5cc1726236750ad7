package cpu

// Placeholders until the index/cross-entropy primitives land; this file is deleted then.

import "allnet/engine/backend"

func (*CPU) TopK(values, indices, x backend.Buffer, rows, cols, k int)                 { panic("todo") }
func (*CPU) Gather(dst, src, idx backend.Buffer, outer, srcDim, idxDim, inner int)     { panic("todo") }
func (*CPU) ScatterAdd(dst, src, idx backend.Buffer, outer, dstDim, idxDim, inner int) { panic("todo") }
func (*CPU) CrossEntropy(loss, prob, logits, labels backend.Buffer, outer, classes, inner int, ignore int) {
	panic("todo")
}
func (*CPU) CrossEntropyBackward(dlogits, dloss, prob, labels backend.Buffer, outer, classes, inner int, ignore int) {
	panic("todo")
}
