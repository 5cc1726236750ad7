package format

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// matrix parses the content of a miMATRIX element, b[start:start+size];
// where is its path, e.g. "anno.objects(2)" ("" for a variable).
func (r *matReader) matrix(b []byte, start, size int, where string, depth int) (*MatValue, error) {
	if depth > maxMatDepth {
		return nil, r.errorf(start, "%s: arrays nested deeper than %d", where, maxMatDepth)
	}
	if size == 0 { // MATLAB writes [] inside cells and structs this way
		return &MatValue{Class: MatDouble, Dims: []int{0, 0}, Real: []float64{}, where: r.file + ": " + where}, nil
	}
	off, end := start, start+size
	_, flags, at, err := r.sub(b, &off, end, join(where, "array flags"), miUINT32)
	if err != nil {
		return nil, err
	}
	if len(flags) != 8 {
		return nil, r.errorf(at, "%s: %d bytes: expected 8", join(where, "array flags"), len(flags))
	}
	fw := r.order.Uint32(flags)
	v := &MatValue{Class: MatClass(fw & 0xff), Complex: fw&0x800 != 0, Logical: fw&0x200 != 0}
	_, dd, at, err := r.sub(b, &off, end, join(where, "dimensions"), miINT32)
	if err != nil {
		return nil, err
	}
	if len(dd) < 8 || len(dd)%4 != 0 {
		return nil, r.errorf(at, "%s: %d bytes: expected two or more int32", join(where, "dimensions"), len(dd))
	}
	v.Dims = make([]int, len(dd)/4)
	for i := range v.Dims {
		d := int32(r.order.Uint32(dd[4*i:]))
		if d < 0 {
			return nil, r.errorf(at, "%s: negative dimension %d", join(where, "dimensions"), d)
		}
		v.Dims[i] = int(d)
	}
	_, nm, _, err := r.sub(b, &off, end, join(where, "name"), miINT8, miUINT8)
	if err != nil {
		return nil, err
	}
	v.Name = strings.TrimRight(string(nm), "\x00")
	if where == "" {
		where = v.Name
	}
	v.where = r.file + ": " + where
	n := v.Len()
	switch c := v.Class; {
	case c.Numeric():
		typ, re, at, err := r.sub(b, &off, end, where+" real part", numericTypes...)
		if err != nil {
			return nil, err
		}
		if v.Real, err = r.numbers(typ, re, n); err != nil {
			return nil, r.errorf(at, "%s: real part of a %s %s: %v", where, v.Size(), c, err)
		}
		if v.Complex {
			typ, im, at, err := r.sub(b, &off, end, where+" imaginary part", numericTypes...)
			if err != nil {
				return nil, err
			}
			if v.Imag, err = r.numbers(typ, im, n); err != nil {
				return nil, r.errorf(at, "%s: imaginary part of a %s %s: %v", where, v.Size(), c, err)
			}
		}
	case c == MatChar:
		typ, cd, at, err := r.sub(b, &off, end, where+" characters", miUTF8, miUINT8, miINT8, miUTF16, miUINT16, miINT16, miUTF32, miUINT32, miINT32)
		if err != nil {
			return nil, err
		}
		if v.chars, err = r.chars(typ, cd, n); err != nil {
			return nil, r.errorf(at, "%s: %s char array: %v", where, v.Size(), err)
		}
	case c == MatCell:
		if n > (end-off)/8 { // every element takes 8 bytes at least
			return nil, r.errorf(off, "%s: a %s cell array cannot fit in %d bytes", where, v.Size(), end-off)
		}
		v.cells = make([]*MatValue, n)
		for i := range v.cells {
			elem := fmt.Sprintf("%s{%d}", where, i+1)
			_, e, at, err := r.sub(b, &off, end, elem, miMATRIX)
			if err != nil {
				return nil, err
			}
			if v.cells[i], err = r.matrix(b, at, len(e), elem, depth+1); err != nil {
				return nil, err
			}
		}
	case c == MatStruct || c == MatObject:
		if err := r.structure(v, b, &off, end, where, depth); err != nil {
			return nil, err
		}
	case c == MatSparse || c == MatFunction || c == MatOpaque:
		// Recognised, data not read.
	default:
		return nil, r.errorf(start, "%s: unknown array class %d", where, uint8(c))
	}
	return v, nil
}

var numericTypes = []uint32{miINT8, miUINT8, miINT16, miUINT16, miINT32, miUINT32, miSINGLE, miDOUBLE, miINT64, miUINT64}

// structure reads a struct's (or object's) field names and the fields of
// each element, column-major.
func (r *matReader) structure(v *MatValue, b []byte, off *int, end int, where string, depth int) error {
	if v.Class == MatObject {
		_, cn, _, err := r.sub(b, off, end, where+" class name", miINT8, miUINT8)
		if err != nil {
			return err
		}
		v.ClassName = strings.TrimRight(string(cn), "\x00")
	}
	_, ld, at, err := r.sub(b, off, end, where+" field name length", miINT32)
	if err != nil {
		return err
	}
	if len(ld) != 4 {
		return r.errorf(at, "%s field name length: %d bytes: expected 4", where, len(ld))
	}
	L := int(int32(r.order.Uint32(ld)))
	_, names, at, err := r.sub(b, off, end, where+" field names", miINT8, miUINT8)
	if err != nil {
		return err
	}
	if L <= 0 && len(names) > 0 || L > 0 && len(names)%L != 0 {
		return r.errorf(at, "%s field names: %d bytes do not divide into names of %d bytes", where, len(names), L)
	}
	nf := 0
	if L > 0 {
		nf = len(names) / L
	}
	v.Fields = make([]string, nf)
	for k := range v.Fields {
		name := names[k*L : (k+1)*L]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		v.Fields[k] = string(name)
	}
	n := v.Len()
	if nf == 0 {
		return nil
	}
	if n > (end-*off)/8/nf { // every field of every element takes 8 bytes at least
		return r.errorf(*off, "%s: a %s struct array of %d fields cannot fit in %d bytes", where, v.Size(), nf, end-*off)
	}
	v.vals = make([]*MatValue, n*nf)
	for i := range n {
		elem := where
		if n != 1 {
			elem = fmt.Sprintf("%s(%d)", where, i+1)
		}
		for k, fname := range v.Fields {
			_, e, at, err := r.sub(b, off, end, elem+"."+fname, miMATRIX)
			if err != nil {
				return err
			}
			if v.vals[i*nf+k], err = r.matrix(b, at, len(e), elem+"."+fname, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// numbers converts n numbers of mi type typ to float64.
func (r *matReader) numbers(typ uint32, d []byte, n int) ([]float64, error) {
	size := miSize[typ]
	if len(d)%size != 0 || len(d)/size != n {
		return nil, fmt.Errorf("%d elements need %d bytes of type %d, found %d", n, n*size, typ, len(d))
	}
	d = littleEndian(d, size, r.order)
	out := make([]float64, n)
	decodeNumbers(out, d, miKind[typ])
	return out, nil
}

// chars decodes n characters. Dimensions count UTF-16 code units in MATLAB
// and code points in scipy; UTF-8 text is accepted when either count fits.
func (r *matReader) chars(typ uint32, d []byte, n int) ([]rune, error) {
	var out []rune
	switch typ {
	case miUTF8:
		out = []rune(string(d))
		if len(out) != n && !utf8.Valid(d) {
			return nil, fmt.Errorf("invalid UTF-8 text")
		}
		if len(out) != n { // counted in UTF-16 units?
			var units []rune
			for _, c := range out {
				if c >= 0x10000 {
					c -= 0x10000
					units = append(units, 0xd800+c>>10, 0xdc00+c&0x3ff)
				} else {
					units = append(units, c)
				}
			}
			out = units
		}
	case miUINT8, miINT8: // one byte per character (Latin-1)
		out = make([]rune, len(d))
		for i, c := range d {
			out[i] = rune(c)
		}
	case miUTF16, miUINT16, miINT16:
		if len(d)%2 != 0 {
			return nil, fmt.Errorf("UTF-16 text of an odd %d bytes", len(d))
		}
		out = make([]rune, len(d)/2)
		for i := range out {
			out[i] = rune(r.order.Uint16(d[2*i:]))
		}
	default: // miUTF32, miUINT32, miINT32
		if len(d)%4 != 0 {
			return nil, fmt.Errorf("UTF-32 text of %d bytes, not a multiple of 4", len(d))
		}
		out = make([]rune, len(d)/4)
		for i := range out {
			c := rune(r.order.Uint32(d[4*i:]))
			if !utf8.ValidRune(c) {
				c = utf8.RuneError
			}
			out[i] = c
		}
	}
	if len(out) != n {
		return nil, fmt.Errorf("expected %d characters, found %d", n, len(out))
	}
	return out, nil
}
