package format

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// MatFile is the content of a MATLAB v5 MAT-file (what save -v6 and -v7
// write; -v7 compresses each variable with zlib).
type MatFile struct {
	// Text is the header's descriptive text, e.g. "MATLAB 5.0 MAT-file,
	// Platform: GLNXA64, Created on: ...".
	Text string
	// BigEndian reports the file's byte order.
	BigEndian bool
	// Names lists the variables in file order.
	Names []string

	vars map[string]*MatValue
	name string
}

// Var returns the variable called name, or an error listing those present.
func (f *MatFile) Var(name string) (*MatValue, error) {
	if v, ok := f.vars[name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("%s: no variable %q (variables: %s)", f.name, name, strings.Join(f.Names, ", "))
}

// ReadMat reads a MATLAB v5 MAT-file, little- or big-endian, compressed or
// not: every numeric class (any mi storage type), char (UTF-8, UTF-16,
// UTF-32 or 8-bit data), logical, cell, struct and object arrays, nested to
// any depth up to 64. Sparse, function-handle and opaque arrays are kept as
// values without data. MATLAB 7.3 files (HDF5) and v4 files are errors.
// Like scipy, a compressed variable whose zlib stream ends early or fails its
// checksum is accepted once a complete variable has been decompressed.
func ReadMat(path string) (*MatFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodeMat(path, b)
}

// The v5 data types (mi*) used in element tags.
const (
	miINT8       = 1
	miUINT8      = 2
	miINT16      = 3
	miUINT16     = 4
	miINT32      = 5
	miUINT32     = 6
	miSINGLE     = 7
	miDOUBLE     = 9
	miINT64      = 12
	miUINT64     = 13
	miMATRIX     = 14
	miCOMPRESSED = 15
	miUTF8       = 16
	miUTF16      = 17
	miUTF32      = 18
)

// miSize is the element size of each numeric mi type (0: not numeric).
var miSize = [...]int{miINT8: 1, miUINT8: 1, miINT16: 2, miUINT16: 2, miINT32: 4, miUINT32: 4,
	miSINGLE: 4, miDOUBLE: 8, miINT64: 8, miUINT64: 8}

// miKind is the numpy type code of each numeric mi type, for decodeNumbers.
var miKind = [...]string{miINT8: "i1", miUINT8: "u1", miINT16: "i2", miUINT16: "u2", miINT32: "i4", miUINT32: "u4",
	miSINGLE: "f4", miDOUBLE: "f8", miINT64: "i8", miUINT64: "u8"}

const maxMatDepth = 64

// DecodeMat is ReadMat on the bytes of a file; name labels errors.
func DecodeMat(name string, b []byte) (*MatFile, error) {
	if len(b) < 128 {
		return nil, fmt.Errorf("%s: not a MATLAB v5 MAT-file: %d bytes, shorter than the 128-byte header", name, len(b))
	}
	if bytes.HasPrefix(b, []byte("MATLAB 7.3")) {
		return nil, fmt.Errorf("%s: a MATLAB 7.3 (HDF5) MAT-file: expected v5 (save it with -v7)", name)
	}
	r := &matReader{file: name, zoff: -1}
	switch string(b[126:128]) {
	case "IM":
		r.order = binary.LittleEndian
	case "MI":
		r.order = binary.BigEndian
	default:
		return nil, fmt.Errorf("%s: not a MATLAB v5 MAT-file: expected the endian indicator \"IM\" or \"MI\" at byte 126, found %q (v4 files are not supported)", name, b[126:128])
	}
	if ver := r.order.Uint16(b[124:]); ver != 0x0100 {
		return nil, fmt.Errorf("%s: MAT-file version 0x%04x: expected 0x0100 (v5)", name, ver)
	}
	f := &MatFile{Text: strings.TrimRight(string(b[:116]), " \x00"), BigEndian: r.order == binary.BigEndian,
		vars: map[string]*MatValue{}, name: name}
	if err := r.topLevel(f, b, 128); err != nil {
		return nil, err
	}
	return f, nil
}

type matReader struct {
	file  string
	order binary.ByteOrder
	zoff  int // offset of the compressed element being read, or -1
}

// errorf names the file and the offset: in the file, or in the content of a
// compressed element.
func (r *matReader) errorf(off int, format string, args ...any) error {
	at := fmt.Sprintf("at byte %d", off)
	if r.zoff >= 0 {
		at = fmt.Sprintf("in the compressed element at byte %d, at byte %d of its content", r.zoff, off)
	}
	return fmt.Errorf("%s: %s: %s", r.file, at, fmt.Sprintf(format, args...))
}

// join prefixes what with a value's path, if any.
func join(where, what string) string {
	if where == "" {
		return what
	}
	return where + " " + what
}

// topLevel reads the variables in b from off: the file after its header, or
// the content of a compressed element.
func (r *matReader) topLevel(f *MatFile, b []byte, off int) error {
	for off < len(b) {
		if len(b)-off < 8 && !slices.ContainsFunc(b[off:], func(c byte) bool { return c != 0 }) {
			break // padding
		}
		typ, data, at, next, err := r.tag(b, off)
		if err != nil {
			return err
		}
		switch {
		case typ == miMATRIX:
			v, err := r.matrix(b, at, len(data), "", 0)
			if err != nil {
				return err
			}
			if v.Name != "" { // MATLAB's subsystem data has no name
				if _, dup := f.vars[v.Name]; !dup {
					f.Names = append(f.Names, v.Name)
				}
				f.vars[v.Name] = v
			}
		case typ == miCOMPRESSED && r.zoff < 0:
			inner, err := r.inflate(data, off)
			if err != nil {
				return err
			}
			r.zoff = off
			err = r.topLevel(f, inner, 0)
			r.zoff = -1
			if err != nil {
				return err
			}
		default:
			return r.errorf(off, "expected a variable (miMATRIX or miCOMPRESSED element), found an element of type %d", typ)
		}
		off = next
	}
	return nil
}

// inflate decompresses a miCOMPRESSED element's data, never beyond what
// deflate can produce from it (1032:1). Like scipy, it accepts a stream that
// ends early or fails its checksum after a complete element.
func (r *matReader) inflate(data []byte, off int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, r.errorf(off, "corrupt compressed variable: %v", err)
	}
	limit := int64(len(data))*1032 + 64
	// Size the buffer from the inner element's tag.
	out := make([]byte, 8)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, r.errorf(off, "corrupt compressed variable: %v", err)
	}
	total := int64(8)
	if w := r.order.Uint32(out); w>>16 == 0 {
		total += int64(r.order.Uint32(out[4:]))
	}
	if total > limit {
		return nil, r.errorf(off, "compressed variable claims %d bytes, more than %d compressed bytes can hold", total, len(data))
	}
	out = append(out, make([]byte, total-8)...)
	if _, err := io.ReadFull(zr, out[8:]); err != nil {
		return nil, r.errorf(off, "corrupt compressed variable: %v", err)
	}
	// Anything after the element (unusual) is read too, within the limit.
	rest, err := io.ReadAll(io.LimitReader(zr, limit-total))
	out = append(out, rest...)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, zlib.ErrChecksum) {
		return nil, r.errorf(off, "corrupt compressed variable: %v", err)
	}
	return out, nil
}

// tag reads the element at b[off:]: its type, its data, the data's offset
// and the offset of the next element (data padded to 8 bytes, except
// miCOMPRESSED).
func (r *matReader) tag(b []byte, off int) (typ uint32, data []byte, at, next int, err error) {
	if len(b)-off < 8 {
		return 0, nil, 0, 0, r.errorf(off, "truncated element tag: %d bytes left", len(b)-off)
	}
	w := r.order.Uint32(b[off:])
	if n := int(w >> 16); n != 0 { // small data element: data in the tag
		if n > 4 {
			return 0, nil, 0, 0, r.errorf(off, "small data element of %d bytes: at most 4", n)
		}
		return w & 0xffff, b[off+4 : off+4+n], off + 4, off + 8, nil
	}
	n := r.order.Uint32(b[off+4:])
	if int64(n) > int64(len(b)-off-8) {
		return 0, nil, 0, 0, r.errorf(off, "element of type %d declares %d bytes, only %d are left", w, n, len(b)-off-8)
	}
	next = off + 8 + int(n)
	if w != miCOMPRESSED {
		next = min(off+8+(int(n)+7)&^7, len(b))
	}
	return w, b[off+8 : off+8+int(n)], off + 8, next, nil
}

// sub reads the next sub-element of a matrix (which ends at end) and checks
// its type; it returns the data and the data's offset.
func (r *matReader) sub(b []byte, off *int, end int, what string, types ...uint32) (uint32, []byte, int, error) {
	typ, data, at, next, err := r.tag(b[:end], *off)
	if err != nil {
		return 0, nil, 0, err
	}
	if !slices.Contains(types, typ) {
		return 0, nil, 0, r.errorf(*off, "%s: expected an element of type %v, found type %d", what, types, typ)
	}
	*off = next
	return typ, data, at, nil
}
