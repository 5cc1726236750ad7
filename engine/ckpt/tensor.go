package ckpt

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Tensor is a named array's contents: a dtype, a shape (row-major, [] for a
// scalar) and the elements as contiguous little-endian bytes.
//
// Tensors returned by Load share one buffer per file: Data is a sub-slice
// (with its capacity cut at its end) and must be copied before the file's
// tensors are modified in place.
type Tensor struct {
	DType DType
	Shape []int
	Data  []byte
}

// NumElements returns the product of the shape (1 for a scalar). It panics if
// a dimension is negative or the product overflows int; Validate reports
// those as errors instead.
func (t Tensor) NumElements() int {
	n, err := numElements(t.Shape)
	if err != nil {
		panic("ckpt: Tensor.NumElements: " + err.Error())
	}
	return n
}

// Validate checks that the dtype is known, no dimension is negative and Data
// holds exactly NumElements * DType.Size() bytes.
func (t Tensor) Validate() error {
	if !t.DType.Known() {
		return fmt.Errorf("unknown dtype %q", t.DType)
	}
	n, err := numElements(t.Shape)
	if err != nil {
		return err
	}
	want, ok := mulNoOverflow(n, t.DType.Size())
	if !ok || want != len(t.Data) {
		return fmt.Errorf("shape %v (%s as %s) but %d bytes of data",
			t.Shape, byteCount(n, t.DType), t.DType, len(t.Data))
	}
	return nil
}

// numElements returns the product of shape, or an error for a negative
// dimension or an overflowing product.
func numElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		var ok bool
		if n, ok = mulNoOverflow(n, d); !ok {
			return 0, fmt.Errorf("shape %v has too many elements", shape)
		}
	}
	return n, nil
}

func mulNoOverflow(a, b int) (int, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if a > math.MaxInt/b {
		return 0, false
	}
	return a * b, true
}

// byteCount formats n elements of dt as "48 bytes" (or "too many bytes").
func byteCount(n int, dt DType) string {
	b, ok := mulNoOverflow(n, dt.Size())
	if !ok {
		return "too many bytes"
	}
	return fmt.Sprintf("%d bytes", b)
}

func checkShape(fn string, shape []int, n int) []int {
	want, err := numElements(shape)
	if err != nil {
		panic(fmt.Sprintf("ckpt: %s: %v", fn, err))
	}
	if want != n {
		panic(fmt.Sprintf("ckpt: %s: shape %v needs %d values, got %d", fn, shape, want, n))
	}
	return append([]int{}, shape...)
}

// FromFloat32 returns an F32 tensor holding a copy of v. It panics if
// len(v) differs from the product of shape.
func FromFloat32(shape []int, v []float32) Tensor {
	t := Tensor{DType: F32, Shape: checkShape("FromFloat32", shape, len(v)), Data: make([]byte, 4*len(v))}
	for i, x := range v {
		binary.LittleEndian.PutUint32(t.Data[4*i:], math.Float32bits(x))
	}
	return t
}

// FromFloat64 returns an F64 tensor holding a copy of v. It panics if
// len(v) differs from the product of shape.
func FromFloat64(shape []int, v []float64) Tensor {
	t := Tensor{DType: F64, Shape: checkShape("FromFloat64", shape, len(v)), Data: make([]byte, 8*len(v))}
	for i, x := range v {
		binary.LittleEndian.PutUint64(t.Data[8*i:], math.Float64bits(x))
	}
	return t
}

// FromInt32 returns an I32 tensor holding a copy of v. It panics if len(v)
// differs from the product of shape.
func FromInt32(shape []int, v []int32) Tensor {
	t := Tensor{DType: I32, Shape: checkShape("FromInt32", shape, len(v)), Data: make([]byte, 4*len(v))}
	for i, x := range v {
		binary.LittleEndian.PutUint32(t.Data[4*i:], uint32(x))
	}
	return t
}

// FromInt64 returns an I64 tensor holding a copy of v. It panics if len(v)
// differs from the product of shape.
func FromInt64(shape []int, v []int64) Tensor {
	t := Tensor{DType: I64, Shape: checkShape("FromInt64", shape, len(v)), Data: make([]byte, 8*len(v))}
	for i, x := range v {
		binary.LittleEndian.PutUint64(t.Data[8*i:], uint64(x))
	}
	return t
}

// Float64s returns the elements of a float tensor (F16, BF16, F32, F64) as
// float64, exactly.
func (t Tensor) Float64s() ([]float64, error) {
	if err := t.checkConvert(t.DType.IsFloat(), "float64"); err != nil {
		return nil, err
	}
	out := make([]float64, len(t.Data)/t.DType.Size())
	le := binary.LittleEndian
	for i := range out {
		switch t.DType {
		case F16:
			out[i] = float64(HalfToFloat32(le.Uint16(t.Data[2*i:])))
		case BF16:
			out[i] = float64(BFloat16ToFloat32(le.Uint16(t.Data[2*i:])))
		case F32:
			out[i] = float64(math.Float32frombits(le.Uint32(t.Data[4*i:])))
		case F64:
			out[i] = math.Float64frombits(le.Uint64(t.Data[8*i:]))
		}
	}
	return out, nil
}

// Float32s returns the elements of a float tensor (F16, BF16, F32, F64) as
// float32: exact except for F64, which is rounded to nearest.
func (t Tensor) Float32s() ([]float32, error) {
	if err := t.checkConvert(t.DType.IsFloat(), "float32"); err != nil {
		return nil, err
	}
	out := make([]float32, len(t.Data)/t.DType.Size())
	le := binary.LittleEndian
	switch t.DType {
	case F16:
		for i := range out {
			out[i] = HalfToFloat32(le.Uint16(t.Data[2*i:]))
		}
	case BF16:
		for i := range out {
			out[i] = BFloat16ToFloat32(le.Uint16(t.Data[2*i:]))
		}
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(t.Data[4*i:]))
		}
	case F64:
		for i := range out {
			out[i] = float32(math.Float64frombits(le.Uint64(t.Data[8*i:])))
		}
	}
	return out, nil
}

// Int64s returns the elements of an integer or BOOL tensor as int64. A U64
// element above math.MaxInt64 is an error.
func (t Tensor) Int64s() ([]int64, error) {
	if err := t.checkConvert(t.DType.IsInt(), "int64"); err != nil {
		return nil, err
	}
	out := make([]int64, len(t.Data)/t.DType.Size())
	le := binary.LittleEndian
	for i := range out {
		switch t.DType {
		case BOOL, U8:
			out[i] = int64(t.Data[i])
		case I8:
			out[i] = int64(int8(t.Data[i]))
		case I16:
			out[i] = int64(int16(le.Uint16(t.Data[2*i:])))
		case U16:
			out[i] = int64(le.Uint16(t.Data[2*i:]))
		case I32:
			out[i] = int64(int32(le.Uint32(t.Data[4*i:])))
		case U32:
			out[i] = int64(le.Uint32(t.Data[4*i:]))
		case I64:
			out[i] = int64(le.Uint64(t.Data[8*i:]))
		case U64:
			u := le.Uint64(t.Data[8*i:])
			if u > math.MaxInt64 {
				return nil, fmt.Errorf("element %d (%d) does not fit in int64", i, u)
			}
			out[i] = int64(u)
		}
	}
	return out, nil
}

// Int32s returns the elements of an integer or BOOL tensor as int32. An
// element outside the int32 range is an error.
func (t Tensor) Int32s() ([]int32, error) {
	v, err := t.Int64s()
	if err != nil {
		return nil, err
	}
	out := make([]int32, len(v))
	for i, x := range v {
		if x < math.MinInt32 || x > math.MaxInt32 {
			return nil, fmt.Errorf("element %d (%d, %s) does not fit in int32", i, x, t.DType)
		}
		out[i] = int32(x)
	}
	return out, nil
}

func (t Tensor) checkConvert(ok bool, to string) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("cannot convert %s elements to %s", t.DType, to)
	}
	return nil
}
