package format

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf16"
)

// A minimal MATLAB v5 MAT-file writer, enough for the synthetic PASCAL_MT
// files (pascal-context/trainval/NAME.mat's LabelMap, human_parts/NAME.mat's
// anno struct) and for tests. It writes little-endian files as MATLAB's
// save -v6 (uncompressed) and -v7 (each variable zlib-compressed) do:
// numeric arrays in their class's own storage type, logical arrays as uint8
// with the logical flag, char arrays as UTF-16 code units, cells and structs
// nested to any depth. Build the values with the MatX constructors below;
// ReadMat reads back exactly what was written.

// MatNumeric returns an h x w numeric array of class c (MatDouble to
// MatUint64) from row-major values. EncodeMat rejects a value the class
// cannot hold (a fraction in an integer class, or out of its range).
func MatNumeric(c MatClass, h, w int, rowMajor []float64) *MatValue {
	return &MatValue{Class: c, Dims: []int{h, w}, Real: colMajor(h, w, rowMajor)}
}

// MatUint16Matrix returns an h x w uint16 array (PASCAL-Context's LabelMap) from
// row-major values.
func MatUint16Matrix(h, w int, rowMajor []uint16) *MatValue {
	f := make([]float64, len(rowMajor))
	for i, v := range rowMajor {
		f[i] = float64(v)
	}
	return MatNumeric(MatUint16, h, w, f)
}

// MatDoubleScalar returns a 1x1 double.
func MatDoubleScalar(v float64) *MatValue {
	return &MatValue{Class: MatDouble, Dims: []int{1, 1}, Real: []float64{v}}
}

// MatLogicalMatrix returns an h x w logical array (a mask) from row-major values.
func MatLogicalMatrix(h, w int, rowMajor []bool) *MatValue {
	f := make([]float64, len(rowMajor))
	for i, v := range rowMajor {
		if v {
			f[i] = 1
		}
	}
	v := MatNumeric(MatUint8, h, w, f)
	v.Logical = true
	return v
}

// MatString returns a 1xN char array (N UTF-16 code units, as MATLAB
// counts); the empty string is a 0x0 char array, as MATLAB and scipy store
// an empty text.
func MatString(s string) *MatValue {
	u := utf16.Encode([]rune(s))
	chars := make([]rune, len(u))
	for i, c := range u {
		chars[i] = rune(c)
	}
	dims := []int{1, len(u)}
	if len(u) == 0 {
		dims = []int{0, 0}
	}
	return &MatValue{Class: MatChar, Dims: dims, chars: chars}
}

// MatCellRow returns a 1xN cell array.
func MatCellRow(elems ...*MatValue) *MatValue {
	return &MatValue{Class: MatCell, Dims: []int{1, len(elems)}, cells: elems}
}

// MatStructRow returns a 1xN struct array with the given fields; elems[i]
// holds element i's values in field order. With no elements it is a 1x0
// struct array that still lists its fields (what scipy writes for an
// object without parts).
func MatStructRow(fields []string, elems ...[]*MatValue) *MatValue {
	v := &MatValue{Class: MatStruct, Dims: []int{1, len(elems)}, Fields: fields}
	for _, e := range elems {
		v.vals = append(v.vals, e...)
	}
	return v
}

// Named returns a shallow copy of v called name, for use as a top-level
// variable.
func (v *MatValue) Named(name string) *MatValue {
	c := *v
	c.Name = name
	return &c
}

// colMajor converts h x w row-major values to column-major.
func colMajor(h, w int, rowMajor []float64) []float64 {
	if h < 0 || w < 0 || len(rowMajor) != h*w {
		return rowMajor // EncodeMat reports the mismatch
	}
	out := make([]float64, len(rowMajor))
	for y := range h {
		for x := range w {
			out[x*h+y] = rowMajor[y*w+x]
		}
	}
	return out
}

// WriteMat writes vars (each with a Name) as a MATLAB v5 MAT-file,
// atomically; compress stores each variable zlib-compressed as -v7 does.
func WriteMat(path string, compress bool, vars ...*MatValue) error {
	b, err := EncodeMat(compress, vars...)
	if err != nil {
		return fmt.Errorf("writing %s: %v", path, err)
	}
	return WriteFileAtomic(path, b)
}

// EncodeMat returns the bytes of a MAT-file holding vars (see WriteMat).
// Every variable needs a valid MATLAB name; an error names the value that
// cannot be written.
func EncodeMat(compress bool, vars ...*MatValue) ([]byte, error) {
	var out bytes.Buffer
	text := "MATLAB 5.0 MAT-file, written by allnet"
	out.WriteString(text)
	out.Write(bytes.Repeat([]byte{' '}, 116-len(text)))
	out.Write(make([]byte, 8)) // subsystem data offset: none
	out.Write([]byte{0x00, 0x01, 'I', 'M'})
	seen := map[string]bool{}
	for _, v := range vars {
		if v == nil {
			return nil, fmt.Errorf("nil variable")
		}
		if !validMatName(v.Name) {
			return nil, fmt.Errorf("variable name %q: expected a letter followed by up to 62 letters, digits or underscores", v.Name)
		}
		if seen[v.Name] {
			return nil, fmt.Errorf("variable %q given twice", v.Name)
		}
		seen[v.Name] = true
		var e matEncoder
		if err := e.matrix(v, v.Name, v.Name, 0); err != nil {
			return nil, err
		}
		if !compress {
			out.Write(e.buf.Bytes())
			continue
		}
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		if _, err := zw.Write(e.buf.Bytes()); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		out.Write(tagBytes(miCOMPRESSED, z.Len()))
		out.Write(z.Bytes()) // miCOMPRESSED data is not padded
	}
	return out.Bytes(), nil
}

func validMatName(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i, c := range s {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !(letter || i > 0 && (c == '_' || c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

func tagBytes(typ uint32, n int) []byte {
	b := binary.LittleEndian.AppendUint32(nil, typ)
	return binary.LittleEndian.AppendUint32(b, uint32(n))
}

type matEncoder struct{ buf bytes.Buffer }

// element writes a tagged data element padded to 8 bytes.
func (e *matEncoder) element(typ uint32, data []byte) {
	e.buf.Write(tagBytes(typ, len(data)))
	e.buf.Write(data)
	if pad := (8 - len(data)%8) % 8; pad > 0 {
		e.buf.Write(make([]byte, pad))
	}
}

// matIntRange gives the storage type and value range of each integer class.
var matIntRange = map[MatClass]struct {
	mi     uint32
	lo, hi float64
}{
	MatInt8: {miINT8, math.MinInt8, math.MaxInt8}, MatUint8: {miUINT8, 0, math.MaxUint8},
	MatInt16: {miINT16, math.MinInt16, math.MaxInt16}, MatUint16: {miUINT16, 0, math.MaxUint16},
	MatInt32: {miINT32, math.MinInt32, math.MaxInt32}, MatUint32: {miUINT32, 0, math.MaxUint32},
	MatInt64: {miINT64, -(1 << 63), math.Nextafter(1<<63, 0)}, MatUint64: {miUINT64, 0, math.Nextafter(1<<64, 0)},
}

// matrix writes v as a miMATRIX element; where is its path for errors.
func (e *matEncoder) matrix(v *MatValue, name, where string, depth int) error {
	if depth > maxMatDepth {
		return fmt.Errorf("%s: arrays nested deeper than %d", where, maxMatDepth)
	}
	if len(v.Dims) < 2 {
		return fmt.Errorf("%s: %d dimensions: expected two or more", where, len(v.Dims))
	}
	n := 1
	for _, d := range v.Dims {
		if d < 0 || d > math.MaxInt32 {
			return fmt.Errorf("%s: dimension %d out of range", where, d)
		}
		n *= d
	}
	var body matEncoder
	flags := uint32(v.Class)
	if v.Logical {
		flags |= 0x200
	}
	if v.Complex {
		flags |= 0x800
	}
	body.element(miUINT32, binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, flags), 0))
	var dims []byte
	for _, d := range v.Dims {
		dims = binary.LittleEndian.AppendUint32(dims, uint32(d))
	}
	body.element(miINT32, dims)
	body.element(miINT8, []byte(name))
	switch c := v.Class; {
	case c.Numeric():
		if v.Logical && c != MatUint8 {
			return fmt.Errorf("%s: a logical array must have class uint8, found %s", where, c)
		}
		for k, part := range [][]float64{v.Real, v.Imag} {
			if k == 1 && !v.Complex {
				break
			}
			b, typ, err := numericBytes(c, part, n)
			if err != nil {
				return fmt.Errorf("%s: %s %s: %v", where, v.Size(), c, err)
			}
			body.element(typ, b)
		}
	case c == MatChar:
		if len(v.chars) != n {
			return fmt.Errorf("%s: %s char array holds %d characters", where, v.Size(), len(v.chars))
		}
		b := make([]byte, 2*n)
		for i, r := range v.chars {
			if r < 0 || r > 0xffff {
				return fmt.Errorf("%s: character %U is not one UTF-16 code unit", where, r)
			}
			binary.LittleEndian.PutUint16(b[2*i:], uint16(r))
		}
		body.element(miUTF16, b)
	case c == MatCell:
		if len(v.cells) != n {
			return fmt.Errorf("%s: %s cell array holds %d elements", where, v.Size(), len(v.cells))
		}
		for i, el := range v.cells {
			elem := fmt.Sprintf("%s{%d}", where, i+1)
			if el == nil {
				return fmt.Errorf("%s: nil element", elem)
			}
			if err := body.matrix(el, "", elem, depth+1); err != nil {
				return err
			}
		}
	case c == MatStruct:
		if err := body.structure(v, n, where, depth); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%s: cannot write a %s array", where, c)
	}
	e.element(miMATRIX, body.buf.Bytes())
	return nil
}

// structure writes a struct array's field names and values.
func (e *matEncoder) structure(v *MatValue, n int, where string, depth int) error {
	const L = 32 // bytes per field name, as MATLAB writes them (31 characters and a NUL)
	names := make([]byte, L*len(v.Fields))
	for k, f := range v.Fields {
		if !validMatName(f) || len(f) >= L {
			return fmt.Errorf("%s: field name %q: expected a letter followed by up to 30 letters, digits or underscores", where, f)
		}
		copy(names[k*L:], f)
	}
	e.element(miINT32, binary.LittleEndian.AppendUint32(nil, L))
	e.element(miINT8, names)
	nf := len(v.Fields)
	if len(v.vals) != n*nf {
		return fmt.Errorf("%s: %s struct array of %d fields holds %d values, expected %d", where, v.Size(), nf, len(v.vals), n*nf)
	}
	for i := range n {
		elem := where
		if n != 1 {
			elem = fmt.Sprintf("%s(%d)", where, i+1)
		}
		for k, f := range v.Fields {
			val := v.vals[i*nf+k]
			if val == nil {
				return fmt.Errorf("%s.%s: nil value", elem, f)
			}
			if err := e.matrix(val, "", elem+"."+f, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// numericBytes stores n values of class c in the class's own mi type.
func numericBytes(c MatClass, vals []float64, n int) ([]byte, uint32, error) {
	if len(vals) != n {
		return nil, 0, fmt.Errorf("holds %d values, expected %d", len(vals), n)
	}
	o := binary.LittleEndian
	switch c {
	case MatDouble:
		b := make([]byte, 8*n)
		for i, f := range vals {
			o.PutUint64(b[8*i:], math.Float64bits(f))
		}
		return b, miDOUBLE, nil
	case MatSingle:
		b := make([]byte, 4*n)
		for i, f := range vals {
			o.PutUint32(b[4*i:], math.Float32bits(float32(f)))
		}
		return b, miSINGLE, nil
	}
	r := matIntRange[c]
	size := miSize[r.mi]
	b := make([]byte, size*n)
	for i, f := range vals {
		if f != math.Trunc(f) || f < r.lo || f > r.hi {
			return nil, 0, fmt.Errorf("value %g at %d does not fit the class", f, i)
		}
		var u uint64
		if f < 0 {
			u = uint64(int64(f))
		} else {
			u = uint64(f)
		}
		for k := range size {
			b[size*i+k] = byte(u >> (8 * k))
		}
	}
	return b, r.mi, nil
}
