package cuda

import (
	"runtime"
	"sync/atomic"

	"allnet/engine/backend"
)

// block is a piece of device memory owned by one Buffer; freed makes its
// return to the allocator happen once, whether through Free or through the
// garbage collector's cleanup of an unreachable Buffer.
type block struct {
	ptr   DevicePtr
	size  int64
	freed atomic.Bool
	alloc *allocator
}

func (b *block) release() {
	if b.freed.CompareAndSwap(false, true) {
		b.alloc.release(b.ptr, b.size)
	}
}

// Buffer is device memory holding n elements of one dtype.
type Buffer struct {
	blk *block
	dt  backend.DType
	n   int
}

// DType returns the element type.
func (b *Buffer) DType() backend.DType { return b.dt }

// Len returns the number of elements.
func (b *Buffer) Len() int { return b.n }

// Ptr returns the device address of element 0.
func (b *Buffer) Ptr() DevicePtr { return b.blk.ptr }

func newBuffer(a *allocator, p DevicePtr, size int64, dt backend.DType, n int) *Buffer {
	blk := &block{ptr: p, size: size, alloc: a}
	buf := &Buffer{blk: blk, dt: dt, n: n}
	runtime.AddCleanup(buf, func(b *block) { b.release() }, blk)
	return buf
}
