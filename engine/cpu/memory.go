package cpu

import (
	"fmt"

	"allnet/engine/backend"
)

// Alloc returns a zero-filled buffer.
func (*CPU) Alloc(d backend.DType, n int) backend.Buffer { return NewBuffer(d, n) }

// Free drops the buffer's memory; the garbage collector reclaims it.
func (*CPU) Free(b backend.Buffer) {
	cb := buf(b)
	cb.F32, cb.F64, cb.I32 = nil, nil, nil
}

// Upload copies host data into dst.
func (*CPU) Upload(dst backend.Buffer, src any) {
	d := buf(dst)
	var n int
	switch s := src.(type) {
	case []float32:
		n = copyChecked(d.F32, s, d.dtype == backend.Float32)
	case []float64:
		n = copyChecked(d.F64, s, d.dtype == backend.Float64)
	case []int32:
		n = copyChecked(d.I32, s, d.dtype == backend.Int32)
	default:
		panic(fmt.Sprintf("cpu: Upload from unsupported host type %T", src))
	}
	if n < 0 {
		panic(fmt.Sprintf("cpu: Upload of a %T of %d elements into a %v buffer of %d", src, hostLen(src), d.dtype, d.Len()))
	}
}

// Download copies src to host memory.
func (*CPU) Download(dst any, src backend.Buffer) {
	s := buf(src)
	var n int
	switch d := dst.(type) {
	case []float32:
		n = copyChecked(d, s.F32, s.dtype == backend.Float32)
	case []float64:
		n = copyChecked(d, s.F64, s.dtype == backend.Float64)
	case []int32:
		n = copyChecked(d, s.I32, s.dtype == backend.Int32)
	default:
		panic(fmt.Sprintf("cpu: Download into unsupported host type %T", dst))
	}
	if n < 0 {
		panic(fmt.Sprintf("cpu: Download of a %v buffer of %d elements into a %T of %d", s.dtype, s.Len(), dst, hostLen(dst)))
	}
}

// hostLen returns the length of a host slice given to Upload or Download.
func hostLen(s any) int {
	switch v := s.(type) {
	case []float32:
		return len(v)
	case []float64:
		return len(v)
	case []int32:
		return len(v)
	}
	return -1
}

// copyChecked copies when the types agree and reports the source length, or
// -1 when they do not.
func copyChecked[T any](dst, src []T, ok bool) int {
	if !ok || len(dst) != len(src) {
		return -1
	}
	copy(dst, src)
	return len(src)
}

// Fill sets every element to v.
func (*CPU) Fill(dst backend.Buffer, v float64) {
	d := buf(dst)
	switch d.dtype {
	case backend.Float32:
		fill(d.F32, float32(v))
	case backend.Float64:
		fill(d.F64, v)
	case backend.Int32:
		fill(d.I32, int32(v))
	}
}

func fill[T any](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

// Convert copies src into dst converting the element type.
func (*CPU) Convert(dst, src backend.Buffer) {
	d, s := buf(dst), buf(src)
	if d.Len() != s.Len() {
		panic(fmt.Sprintf("cpu: Convert of %d elements into %d", s.Len(), d.Len()))
	}
	n := d.Len()
	for i := 0; i < n; i++ {
		setF(d, i, getF(s, i))
	}
}

// getF reads element i of any buffer as float64.
func getF(b *Buffer, i int) float64 {
	switch b.dtype {
	case backend.Float32:
		return float64(b.F32[i])
	case backend.Float64:
		return b.F64[i]
	default:
		return float64(b.I32[i])
	}
}

// setF stores v into element i of any buffer.
func setF(b *Buffer, i int, v float64) {
	switch b.dtype {
	case backend.Float32:
		b.F32[i] = float32(v)
	case backend.Float64:
		b.F64[i] = v
	default:
		b.I32[i] = int32(v)
	}
}

// Copy is the strided N-d copy.
func (*CPU) Copy(dst, src backend.Strided, shape []int, accumulate bool) {
	if len(dst.Strides) != len(shape) || len(src.Strides) != len(shape) {
		panic(fmt.Sprintf("cpu: Copy: shape %v with dst strides %v and src strides %v", shape, dst.Strides, src.Strides))
	}
	n := backend.NumElements(shape)
	if n == 0 {
		return
	}
	d, s := sameDtype("Copy", dst.Buf, src.Buf)
	switch d.dtype {
	case backend.Float32:
		stridedCopy(d.F32, s.F32, dst, src, shape, accumulate)
	case backend.Float64:
		stridedCopy(d.F64, s.F64, dst, src, shape, accumulate)
	default:
		stridedCopy(d.I32, s.I32, dst, src, shape, accumulate)
	}
}

// sameDtype returns the buffers behind dst and src, panicking unless they
// hold one dtype.
func sameDtype(op string, dst, src backend.Buffer) (d, s *Buffer) {
	d, s = buf(dst), buf(src)
	if d.dtype != s.dtype {
		panic(fmt.Sprintf("cpu: %s from %v into %v", op, s.dtype, d.dtype))
	}
	return d, s
}

type number interface {
	~float32 | ~float64 | ~int32
}

// stridedCopy walks shape with the last dimension innermost, parallel over
// the outer index.
func stridedCopy[T number](d, s []T, dst, src backend.Strided, shape []int, acc bool) {
	rank := len(shape)
	if rank == 0 {
		if acc {
			d[dst.Off] += s[src.Off]
		} else {
			d[dst.Off] = s[src.Off]
		}
		return
	}
	inner := shape[rank-1]
	ds, ss := dst.Strides[rank-1], src.Strides[rank-1]
	rows := backend.NumElements(shape[:rank-1])
	parallelFor(rows, max(1, 16384/max(inner, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			do, so := dst.Off, src.Off
			rem := r
			for k := rank - 2; k >= 0; k-- {
				i := rem % shape[k]
				rem /= shape[k]
				do += i * dst.Strides[k]
				so += i * src.Strides[k]
			}
			if acc {
				for j := 0; j < inner; j++ {
					d[do+j*ds] += s[so+j*ss]
				}
			} else if ds == 1 && ss == 1 {
				copy(d[do:do+inner], s[so:so+inner])
			} else {
				for j := 0; j < inner; j++ {
					d[do+j*ds] = s[so+j*ss]
				}
			}
		}
	})
}
