package format

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Float32s returns the elements as float32 in row-major (C) order, whatever
// the dtype, byte order or storage order: float64 is rounded, integers are
// converted (exactly up to 2^24), booleans give 0 or 1, and float16 is
// widened. A Fortran-order array is transposed into C order.
func (n *Npy) Float32s() ([]float32, error) { return npyValues[float32](n) }

// Float64s is Float32s in float64 (exact for every dtype except 64-bit
// integers beyond 2^53).
func (n *Npy) Float64s() ([]float64, error) { return npyValues[float64](n) }

func npyValues[T float32 | float64](n *Npy) ([]T, error) {
	size, err := dtypeSize(n.DType)
	if err != nil {
		return nil, err
	}
	count := len(n.Data) / size
	if count != n.Len() || count*size != len(n.Data) {
		return nil, fmt.Errorf("shape %v of %s needs %d data bytes, found %d", n.Shape, n.DType, n.Len()*size, len(n.Data))
	}
	d := n.Data
	if n.DType[0] == '>' || n.DType[0] == '=' && binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		d = littleEndian(d, size, binary.BigEndian)
	}
	o := binary.LittleEndian // concrete, so the calls below inline
	out := make([]T, count)
	switch n.DType[1:] {
	case "b1":
		for i := range out {
			if d[i] != 0 {
				out[i] = 1
			}
		}
	case "i1":
		for i := range out {
			out[i] = T(int8(d[i]))
		}
	case "u1":
		for i := range out {
			out[i] = T(d[i])
		}
	case "i2":
		for i := range out {
			out[i] = T(int16(o.Uint16(d[2*i:])))
		}
	case "u2":
		for i := range out {
			out[i] = T(o.Uint16(d[2*i:]))
		}
	case "f2":
		for i := range out {
			out[i] = T(half(o.Uint16(d[2*i:])))
		}
	case "i4":
		for i := range out {
			out[i] = T(int32(o.Uint32(d[4*i:])))
		}
	case "u4":
		for i := range out {
			out[i] = T(o.Uint32(d[4*i:]))
		}
	case "f4":
		for i := range out {
			out[i] = T(math.Float32frombits(o.Uint32(d[4*i:])))
		}
	case "i8":
		for i := range out {
			out[i] = T(int64(o.Uint64(d[8*i:])))
		}
	case "u8":
		for i := range out {
			out[i] = T(o.Uint64(d[8*i:]))
		}
	case "f8":
		for i := range out {
			out[i] = T(math.Float64frombits(o.Uint64(d[8*i:])))
		}
	}
	if n.FortranOrder && len(n.Shape) > 1 {
		out = fortranToC(out, n.Shape)
	}
	return out, nil
}

// fortranToC reorders a column-major array of the given shape into row-major.
func fortranToC[T any](f []T, shape []int) []T {
	out := make([]T, len(f))
	if len(f) == 0 {
		return out
	}
	nd := len(shape)
	stride := make([]int, nd) // Fortran strides
	s := 1
	for k := range shape {
		stride[k] = s
		s *= shape[k]
	}
	idx := make([]int, nd)
	off := 0
	for i := range out {
		out[i] = f[off]
		// Advance the C-order index, last axis fastest.
		for k := nd - 1; k >= 0; k-- {
			idx[k]++
			off += stride[k]
			if idx[k] < shape[k] {
				break
			}
			off -= idx[k] * stride[k]
			idx[k] = 0
		}
	}
	return out
}

// half converts an IEEE 754 binary16 value to float32.
func half(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | man<<13)
	case exp == 0 && man == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: man * 2^-24
		v := float32(man) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
}
