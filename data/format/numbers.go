package format

import (
	"encoding/binary"
	"math"
)

// decodeNumbers converts the little-endian elements of d, of the numeric
// type kind, to out (one element per value of out): kind is numpy's type
// code without the byte order (b1 i1 u1 i2 u2 f2 i4 u4 f4 i8 u8 f8; the
// MAT-file reader maps its mi types onto them, see miKind). Integers are
// converted (exactly up to 2^24 in float32, 2^53 in float64), booleans give
// 0 or 1, float16 is widened and float64 rounded to T.
func decodeNumbers[T float32 | float64](out []T, d []byte, kind string) {
	o := binary.LittleEndian // concrete, so the calls below inline
	switch kind {
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
}

// littleEndian returns d, elements of size bytes in byte order o, in
// little-endian order (a copy when o is big-endian).
func littleEndian(d []byte, size int, o binary.ByteOrder) []byte {
	if o != binary.BigEndian || size == 1 {
		return d
	}
	s := make([]byte, len(d))
	for i := 0; i+size <= len(d); i += size {
		for k := range size {
			s[i+k] = d[i+size-1-k]
		}
	}
	return s
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
