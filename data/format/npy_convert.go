package format

import (
	"encoding/binary"
	"fmt"
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
	out := make([]T, count)
	decodeNumbers(out, d, n.DType[1:])
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
