package cpu

import (
	"fmt"

	"allnet/engine/backend"
)

// Float is the set of floating-point element types the CPU kernels are
// generic over.
type Float interface{ ~float32 | ~float64 }

// Buffer is host memory holding one dtype. Exactly one of the slices is set.
type Buffer struct {
	dtype backend.DType
	F32   []float32
	F64   []float64
	I32   []int32
}

// DType returns the element type.
func (b *Buffer) DType() backend.DType { return b.dtype }

// Len returns the number of elements.
func (b *Buffer) Len() int {
	switch b.dtype {
	case backend.Float32:
		return len(b.F32)
	case backend.Float64:
		return len(b.F64)
	default:
		return len(b.I32)
	}
}

// NewBuffer allocates a zeroed host buffer.
func NewBuffer(d backend.DType, n int) *Buffer {
	if n < 0 {
		panic(fmt.Sprintf("cpu: Alloc of %d elements", n))
	}
	b := &Buffer{dtype: d}
	switch d {
	case backend.Float32:
		b.F32 = make([]float32, n)
	case backend.Float64:
		b.F64 = make([]float64, n)
	case backend.Int32:
		b.I32 = make([]int32, n)
	default:
		panic(fmt.Sprintf("cpu: Alloc of unknown dtype %v", d))
	}
	return b
}

// buf converts a backend.Buffer to the CPU type, panicking with a clear
// message when a buffer of another backend is passed.
func buf(b backend.Buffer) *Buffer {
	cb, ok := b.(*Buffer)
	if !ok {
		panic(fmt.Sprintf("cpu: buffer of type %T does not belong to the CPU backend", b))
	}
	return cb
}

// floats returns the typed slice of a float buffer; nil maps to nil.
func floats[T Float](b backend.Buffer) []T {
	if b == nil {
		return nil
	}
	cb := buf(b)
	var z T
	switch any(z).(type) {
	case float32:
		if cb.dtype != backend.Float32 {
			panic(fmt.Sprintf("cpu: expected a float32 buffer, found %v", cb.dtype))
		}
		return any(cb.F32).([]T)
	default:
		if cb.dtype != backend.Float64 {
			panic(fmt.Sprintf("cpu: expected a float64 buffer, found %v", cb.dtype))
		}
		return any(cb.F64).([]T)
	}
}

// ints returns the slice of an int32 buffer.
func ints(b backend.Buffer) []int32 {
	if b == nil {
		return nil
	}
	cb := buf(b)
	if cb.dtype != backend.Int32 {
		panic(fmt.Sprintf("cpu: expected an int32 buffer, found %v", cb.dtype))
	}
	return cb.I32
}

// isF64 reports whether a float buffer holds float64, the dispatch test used
// by every primitive: float64 runs the float64 instantiation, anything else
// the float32 one.
func isF64(b backend.Buffer) bool { return buf(b).dtype == backend.Float64 }

// checkLen panics unless buffer b holds at least n elements.
func checkLen(op, name string, b backend.Buffer, n int) {
	if b == nil {
		panic(fmt.Sprintf("cpu: %s: %s is nil", op, name))
	}
	if b.Len() < n {
		panic(fmt.Sprintf("cpu: %s: %s holds %d elements, needs %d", op, name, b.Len(), n))
	}
}
