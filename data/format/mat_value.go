package format

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf16"
)

// MatClass is a MATLAB array class (the mx*_CLASS codes of the v5 format).
type MatClass uint8

// The MATLAB array classes. Logical arrays are MatUint8 with Logical set.
const (
	MatCell     MatClass = 1
	MatStruct   MatClass = 2
	MatObject   MatClass = 3
	MatChar     MatClass = 4
	MatSparse   MatClass = 5
	MatDouble   MatClass = 6
	MatSingle   MatClass = 7
	MatInt8     MatClass = 8
	MatUint8    MatClass = 9
	MatInt16    MatClass = 10
	MatUint16   MatClass = 11
	MatInt32    MatClass = 12
	MatUint32   MatClass = 13
	MatInt64    MatClass = 14
	MatUint64   MatClass = 15
	MatFunction MatClass = 16
	MatOpaque   MatClass = 17
)

var matClassNames = [...]string{"", "cell", "struct", "object", "char", "sparse", "double",
	"single", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
	"function_handle", "opaque"}

// String returns MATLAB's name for the class, e.g. "uint16".
func (c MatClass) String() string {
	if int(c) < len(matClassNames) && c > 0 {
		return matClassNames[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// Numeric reports whether the class holds numbers (double to uint64).
func (c MatClass) Numeric() bool { return c >= MatDouble && c <= MatUint64 }

// MatValue is one MATLAB array. Data is column-major, as MATLAB stores it;
// Float64Matrix and Int32Matrix give row-major copies. Sparse, function
// handle and opaque (object) arrays are recognised but their data is not
// read: their accessors return errors.
type MatValue struct {
	// Name is the variable's name for top-level values, "" inside cells and
	// structs.
	Name  string
	Class MatClass
	// Dims holds MATLAB's dimensions (at least two).
	Dims []int
	// Logical marks a logical array (class uint8, values 0 or 1).
	Logical bool
	// Complex marks a numeric array with an imaginary part.
	Complex bool
	// Real holds the (real parts of the) numbers of a numeric or logical
	// array, column-major, converted to float64 (exact except 64-bit
	// integers beyond 2^53). Imag holds the imaginary parts, or is nil.
	Real, Imag []float64
	// Fields lists a struct's or object's field names in file order.
	Fields []string
	// ClassName is an object's class name.
	ClassName string

	chars []rune      // char: characters (UTF-16 code units if so stored), column-major
	cells []*MatValue // cell: elements, column-major
	vals  []*MatValue // struct: element i's field k at vals[i*len(Fields)+k]
	where string      // "file.mat: anno.objects(2)", for errors
}

// Len returns the number of elements (the product of Dims; saturates at
// math.MaxInt for sparse arrays larger than memory).
func (v *MatValue) Len() int {
	n := 1
	for _, d := range v.Dims {
		if d == 0 {
			return 0
		}
		if n > math.MaxInt/d {
			return math.MaxInt
		}
		n *= d
	}
	return n
}

// Size returns the dimensions as MATLAB prints them, e.g. "375x500".
func (v *MatValue) Size() string {
	s := make([]string, len(v.Dims))
	for i, d := range v.Dims {
		s[i] = fmt.Sprint(d)
	}
	return strings.Join(s, "x")
}

// String describes the value, e.g. "anno.objects: 1x3 struct"; a char array
// also shows its text.
func (v *MatValue) String() string {
	s := fmt.Sprintf("%s: %s %s", v.path(), v.Size(), v.kind())
	if v.Class == MatChar {
		if rows, err := v.Rows(); err == nil {
			s += fmt.Sprintf(" %q", strings.Join(rows, "\n"))
		}
	}
	return s
}

// kind is the class as MATLAB's whos shows it.
func (v *MatValue) kind() string {
	switch {
	case v.Logical:
		return "logical"
	case v.Complex:
		return v.Class.String() + " (complex)"
	case v.Class == MatObject:
		return "object of class " + v.ClassName
	}
	return v.Class.String()
}

// path is the value's location without the file, e.g. "anno.objects(2)".
func (v *MatValue) path() string {
	if i := strings.Index(v.where, ": "); i >= 0 {
		return v.where[i+2:]
	}
	return v.where
}

func (v *MatValue) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %s", v.where, fmt.Sprintf(format, args...))
}

// Float64s returns the real parts of a numeric or logical array,
// column-major. The slice is the value's own storage.
func (v *MatValue) Float64s() ([]float64, error) {
	if !v.Class.Numeric() || v.Real == nil {
		return nil, v.errorf("expected a numeric or logical array, found a %s %s", v.Size(), v.kind())
	}
	return v.Real, nil
}

// matrix2 returns h, w of a value that is 2-D (trailing dimensions of 1
// allowed).
func (v *MatValue) matrix2() (int, int, error) {
	for _, d := range v.Dims[2:] {
		if d != 1 {
			return 0, 0, v.errorf("expected a 2-D matrix, found a %s %s", v.Size(), v.kind())
		}
	}
	return v.Dims[0], v.Dims[1], nil
}

// Float64Matrix returns a 2-D numeric or logical array (real parts) as h
// rows of w values, row-major: rowMajor[y*w + x] is MATLAB's v(y+1, x+1).
func (v *MatValue) Float64Matrix() (h, w int, rowMajor []float64, err error) {
	col, err := v.Float64s()
	if err != nil {
		return 0, 0, nil, err
	}
	if h, w, err = v.matrix2(); err != nil {
		return 0, 0, nil, err
	}
	rowMajor = make([]float64, h*w)
	for x := range w {
		for y := range h {
			rowMajor[y*w+x] = col[x*h+y]
		}
	}
	return h, w, rowMajor, nil
}

// Int32Matrix is Float64Matrix for arrays of integers (label maps, logical
// masks): a value that is not an integer in int32's range is an error.
func (v *MatValue) Int32Matrix() (h, w int, rowMajor []int32, err error) {
	col, err := v.Float64s()
	if err != nil {
		return 0, 0, nil, err
	}
	if h, w, err = v.matrix2(); err != nil {
		return 0, 0, nil, err
	}
	rowMajor = make([]int32, h*w)
	for x := range w {
		for y, f := range col[x*h : (x+1)*h] {
			if f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
				return 0, 0, nil, v.errorf("expected integers, found %g at (%d, %d)", f, y+1, x+1)
			}
			rowMajor[y*w+x] = int32(f)
		}
	}
	return h, w, rowMajor, nil
}

// Rows returns the rows of a 2-D char array as strings (MATLAB pads short
// rows with spaces; they are kept). A 0x0 char array has no rows.
func (v *MatValue) Rows() ([]string, error) {
	if v.Class != MatChar {
		return nil, v.errorf("expected a char array, found a %s %s", v.Size(), v.kind())
	}
	h, w, err := v.matrix2()
	if err != nil {
		return nil, err
	}
	rows := make([]string, h)
	row := make([]rune, w)
	for y := range h {
		surrogate := false
		for x := range w {
			row[x] = v.chars[x*h+y]
			surrogate = surrogate || utf16.IsSurrogate(row[x])
		}
		if surrogate { // stored as UTF-16 code units: pair them up
			u := make([]uint16, w)
			for x, r := range row {
				u[x] = uint16(r)
			}
			rows[y] = string(utf16.Decode(u))
		} else {
			rows[y] = string(row)
		}
	}
	return rows, nil
}

// Text returns a char array of at most one row as a string ("" when empty).
func (v *MatValue) Text() (string, error) {
	rows, err := v.Rows()
	if err != nil {
		return "", err
	}
	switch len(rows) {
	case 0:
		return "", nil
	case 1:
		return rows[0], nil
	}
	return "", v.errorf("expected one row of text, found a %s char array (use Rows)", v.Size())
}

// Field returns field name of a 1x1 struct (or object). For a struct array,
// pick an element with Index first.
func (v *MatValue) Field(name string) (*MatValue, error) {
	if v.Class != MatStruct && v.Class != MatObject {
		return nil, v.errorf("expected a struct with field %q, found a %s %s", name, v.Size(), v.kind())
	}
	if v.Len() != 1 {
		return nil, v.errorf("is a %s struct array: pick an element with Index before reading field %q", v.Size(), name)
	}
	for k, f := range v.Fields {
		if f == name {
			return v.vals[k], nil
		}
	}
	return nil, v.errorf("no field %q (fields: %s)", name, strings.Join(v.Fields, ", "))
}

// Index returns element i (0-based, column-major) of a cell array, or of a
// struct array as a 1x1 struct.
func (v *MatValue) Index(i int) (*MatValue, error) {
	n := v.Len()
	if v.Class != MatCell && v.Class != MatStruct && v.Class != MatObject {
		return nil, v.errorf("expected a cell or struct array, found a %s %s", v.Size(), v.kind())
	}
	if i < 0 || i >= n {
		return nil, v.errorf("index %d out of range for %d elements", i, n)
	}
	if v.Class == MatCell {
		return v.cells[i], nil
	}
	if n == 1 {
		return v, nil
	}
	nf := len(v.Fields)
	return &MatValue{Class: v.Class, Dims: []int{1, 1}, Fields: v.Fields, ClassName: v.ClassName,
		vals: v.vals[i*nf : (i+1)*nf], where: fmt.Sprintf("%s(%d)", v.where, i+1)}, nil
}
