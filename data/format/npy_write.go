package format

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// encodeNpy returns a version 1.0 .npy file holding vals as little-endian
// float32 in C order, the header padded to 64 bytes as NumPy does.
func encodeNpy(shape []int, vals []float32) ([]byte, error) {
	count := 1
	dims := make([]string, len(shape))
	for i, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		count *= d
		dims[i] = strconv.Itoa(d)
	}
	if count != len(vals) {
		return nil, fmt.Errorf("shape %v needs %d values, found %d", shape, count, len(vals))
	}
	t := strings.Join(dims, ", ")
	if len(shape) == 1 {
		t += ","
	}
	h := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", t)
	pad := 64 - (10+len(h)+1)%64
	h += strings.Repeat(" ", pad%64) + "\n"
	if len(h) > math.MaxUint16 {
		return nil, fmt.Errorf("shape %v: header too long for format 1.0", shape)
	}
	b := make([]byte, 10+len(h)+4*len(vals))
	copy(b, npyMagic+"\x01\x00")
	binary.LittleEndian.PutUint16(b[8:], uint16(len(h)))
	copy(b[10:], h)
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[10+len(h)+4*i:], math.Float32bits(v))
	}
	return b, nil
}

// WriteNpy writes vals, in C order, as a .npy file (format 1.0, dtype
// "<f4") of the given shape, atomically.
func WriteNpy(path string, shape []int, vals []float32) error {
	b, err := encodeNpy(shape, vals)
	if err != nil {
		return fmt.Errorf("writing %s: %v", path, err)
	}
	return WriteFileAtomic(path, b)
}
