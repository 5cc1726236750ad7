package format

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadMatFixtures(t *testing.T) {
	e := loadExpected(t)
	require.Len(t, e.MatFiles, 10)
	for name, stem := range e.MatFiles {
		vars := e.Mat[stem]
		require.NotEmpty(t, vars, name)
		t.Run(name, func(t *testing.T) {
			f, err := ReadMat(testdata(name))
			require.NoError(t, err)
			assert.Equal(t, name == "hand_be.mat", f.BigEndian)
			assert.True(t, strings.HasPrefix(f.Text, "MATLAB 5.0 MAT-file"), f.Text)
			assert.ElementsMatch(t, keys(vars), f.Names)
			for vn, want := range vars {
				v, err := f.Var(vn)
				require.NoError(t, err)
				assert.Equal(t, vn, v.Name)
				checkTree(t, vn, v, want)
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

// checkTree compares a value with its expected form, recursively.
func checkTree(t *testing.T, where string, v *MatValue, want matTree) {
	t.Helper()
	require.Equal(t, want.Dims, v.Dims, where)
	switch want.Class {
	case "char":
		require.Equal(t, MatChar, v.Class, where)
		var rows []string
		require.NoError(t, json.Unmarshal(want.Rows, &rows))
		got, err := v.Rows()
		require.NoError(t, err, where)
		assert.Equal(t, rows, got, where)
		if len(rows) <= 1 {
			text, err := v.Text()
			require.NoError(t, err)
			assert.Equal(t, strings.Join(rows, ""), text, where)
		}
	case "cell":
		require.Equal(t, MatCell, v.Class, where)
		var elems []matTree
		require.NoError(t, json.Unmarshal(want.Elems, &elems))
		require.Equal(t, len(elems), v.Len(), where)
		for i, we := range elems {
			c, err := v.Index(i)
			require.NoError(t, err)
			checkTree(t, fmt.Sprintf("%s{%d}", where, i+1), c, we)
		}
	case "struct":
		require.Equal(t, MatStruct, v.Class, where)
		assert.Equal(t, want.Fields, v.Fields, where)
		var elems []map[string]matTree
		require.NoError(t, json.Unmarshal(want.Elems, &elems))
		require.Equal(t, len(elems), v.Len(), where)
		for i, we := range elems {
			s, err := v.Index(i)
			require.NoError(t, err)
			for _, f := range want.Fields {
				fv, err := s.Field(f)
				require.NoError(t, err)
				checkTree(t, fmt.Sprintf("%s(%d).%s", where, i+1, f), fv, we[f])
			}
		}
	case "sparse":
		assert.Equal(t, MatSparse, v.Class, where)
		_, err := v.Float64s()
		assert.ErrorContains(t, err, "expected a numeric or logical array, found a 2x2 sparse")
	default:
		assert.Equal(t, want.Class, v.Class.String(), where)
		assert.Equal(t, want.Logical, v.Logical, where)
		got, err := v.Float64s()
		require.NoError(t, err, where)
		assert.Equal(t, want.Real, got, where)
		assert.Equal(t, want.Imag, v.Imag, where)
		if len(want.Dims) == 2 {
			var rows []float64
			require.NoError(t, json.Unmarshal(want.Rows, &rows))
			h, w, rm, err := v.Float64Matrix()
			require.NoError(t, err)
			assert.Equal(t, want.Dims, []int{h, w}, where)
			assert.Equal(t, rows, rm, where)
		}
	}
}

// How the PASCAL loaders use the reader: LabelMap and human_parts' anno.
func TestMatPascalUsage(t *testing.T) {
	e := loadExpected(t)
	for _, name := range []string{"labelmap_raw.mat", "labelmap_z.mat"} {
		f, err := ReadMat(testdata(name))
		require.NoError(t, err)
		lm, err := f.Var("LabelMap")
		require.NoError(t, err)
		assert.Equal(t, MatUint16, lm.Class)
		h, w, labels, err := lm.Int32Matrix()
		require.NoError(t, err)
		var rows []float64
		require.NoError(t, json.Unmarshal(e.Mat["labelmap"]["LabelMap"].Rows, &rows))
		require.Equal(t, []int{6, 7}, []int{h, w})
		for i, r := range rows {
			assert.Equal(t, int32(r), labels[i])
		}
		assert.Equal(t, int32(65535), labels[0])
	}

	f, err := ReadMat(testdata("anno_z.mat"))
	require.NoError(t, err)
	anno, err := f.Var("anno")
	require.NoError(t, err)
	objs, err := anno.Field("objects")
	require.NoError(t, err)
	assert.Equal(t, []int{1, 3}, objs.Dims)
	var got []string
	for i := range objs.Len() {
		o, err := objs.Index(i)
		require.NoError(t, err)
		cls, err := o.Field("class")
		require.NoError(t, err)
		c, err := cls.Text()
		require.NoError(t, err)
		ind, err := o.Field("class_ind")
		require.NoError(t, err)
		mask, err := o.Field("mask")
		require.NoError(t, err)
		assert.True(t, mask.Logical)
		h, w, m, err := mask.Int32Matrix()
		require.NoError(t, err)
		assert.Equal(t, []int{4, 5}, []int{h, w})
		for _, x := range m {
			assert.Contains(t, []int32{0, 1}, x)
		}
		parts, err := o.Field("parts")
		require.NoError(t, err)
		names := []string{}
		for j := range parts.Len() {
			p, err := parts.Index(j)
			require.NoError(t, err)
			pn, err := p.Field("part_name")
			require.NoError(t, err)
			s, err := pn.Text()
			require.NoError(t, err)
			names = append(names, s)
		}
		got = append(got, fmt.Sprintf("%s/%v:%s", c, ind.Real, strings.Join(names, ",")))
	}
	assert.Equal(t, []string{"person/[15]:head,lhand,ruleg", "dog/[12]:", "person/[15]:hair,torso"}, got)
}

func TestMatAccessorErrors(t *testing.T) {
	f, err := ReadMat(testdata("misc_z.mat"))
	require.NoError(t, err)
	_, err = f.Var("nope")
	assert.ErrorContains(t, err, `testdata/misc_z.mat: no variable "nope" (variables: `)
	nd, _ := f.Var("nd")
	_, _, _, err = nd.Float64Matrix()
	assert.ErrorContains(t, err, "testdata/misc_z.mat: nd: expected a 2-D matrix, found a 2x3x4 double")
	d, _ := f.Var("d")
	_, _, _, err = d.Int32Matrix()
	assert.ErrorContains(t, err, "misc_z.mat: d: expected integers, found 1.5 at (1, 1)")
	_, err = d.Text()
	assert.ErrorContains(t, err, "d: expected a char array, found a 3x2 double")
	_, err = d.Field("x")
	assert.ErrorContains(t, err, `d: expected a struct with field "x", found a 3x2 double`)
	_, err = d.Index(0)
	assert.ErrorContains(t, err, "d: expected a cell or struct array")
	rows, _ := f.Var("rows")
	_, err = rows.Text()
	assert.ErrorContains(t, err, "rows: expected one row of text, found a 2x3 char array (use Rows)")
	assert.Equal(t, `rows: 2x3 char "ab \ncde"`, rows.String())
	c, _ := f.Var("c")
	_, err = c.Index(4)
	assert.ErrorContains(t, err, "c: index 4 out of range for 4 elements")
	inner, err := c.Index(2) // c{1,2}
	require.NoError(t, err)
	s, err := inner.Index(0)
	require.NoError(t, err)
	_, err = s.Text()
	assert.ErrorContains(t, err, "misc_z.mat: c{3}{1}: expected a char array, found a 1x1 int16")
	z, _ := f.Var("z")
	assert.Equal(t, "z: 1x2 double (complex)", z.String())

	a, err := ReadMat(testdata("anno_raw.mat"))
	require.NoError(t, err)
	anno, _ := a.Var("anno")
	objs, _ := anno.Field("objects")
	_, err = objs.Field("class")
	assert.ErrorContains(t, err, `anno.objects: is a 1x3 struct array: pick an element with Index before reading field "class"`)
	o, _ := objs.Index(1)
	_, err = o.Field("parts_")
	assert.ErrorContains(t, err, `anno.objects(2): no field "parts_" (fields: class, class_ind, mask, parts)`)
	p, _ := o.Field("parts")
	assert.Equal(t, "anno.objects(2).parts: 1x0 struct", p.String())
	_, err = p.Index(0)
	assert.ErrorContains(t, err, "anno.objects(2).parts: index 0 out of range for 0 elements")
}

// matBuilder writes little-endian v5 files by hand for the error cases.
type matBuilder struct{}

func (matBuilder) elem(typ uint32, data []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, typ)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	return append(b, make([]byte, (8-len(data)%8)%8)...)
}

func (m matBuilder) matrix(name string, class uint32, dims []int32, parts ...[]byte) []byte {
	flags := binary.LittleEndian.AppendUint32(nil, class)
	flags = binary.LittleEndian.AppendUint32(flags, 0)
	var dd []byte
	for _, d := range dims {
		dd = binary.LittleEndian.AppendUint32(dd, uint32(d))
	}
	body := append(m.elem(miUINT32, flags), m.elem(miINT32, dd)...)
	body = append(body, m.elem(miINT8, []byte(name))...)
	for _, p := range parts {
		body = append(body, p...)
	}
	return m.elem(miMATRIX, body)
}

func (matBuilder) file(elems ...[]byte) []byte {
	b := []byte(fmt.Sprintf("%-116s", "MATLAB 5.0 MAT-file, test"))
	b = append(b, make([]byte, 8)...)
	b = append(b, 0x00, 0x01, 'I', 'M')
	for _, e := range elems {
		b = append(b, e...)
	}
	return b
}

func compress(t testing.TB, b []byte) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	tag := binary.LittleEndian.AppendUint32(nil, miCOMPRESSED)
	return append(binary.LittleEndian.AppendUint32(tag, uint32(z.Len())), z.Bytes()...)
}

func TestReadMatErrors(t *testing.T) {
	var m matBuilder
	dbl := m.matrix("x", uint32(MatDouble), []int32{1, 2}, m.elem(miDOUBLE, make([]byte, 16)))
	good := m.file(dbl)
	f, err := DecodeMat("ok.mat", good)
	require.NoError(t, err)
	x, err := f.Var("x")
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 0}, x.Real)

	nested := m.matrix("deep", uint32(MatDouble), []int32{1, 1}, m.elem(miDOUBLE, make([]byte, 8)))
	for range 70 {
		nested = m.matrix("", uint32(MatCell), []int32{1, 1}, nested)
	}
	nested = m.matrix("outer", uint32(MatCell), []int32{1, 1}, nested)
	zgood := compress(t, dbl)
	zbad := bytes.Clone(zgood)
	zbad[len(zbad)-6] ^= 0xff

	v73 := append([]byte("MATLAB 7.3 MAT-file, Platform: GLNXA64"), make([]byte, 200)...)
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"short", []byte("MATLAB 5.0"), "short: not a MATLAB v5 MAT-file: 10 bytes, shorter than the 128-byte header"},
		{"v73", v73, "v73: a MATLAB 7.3 (HDF5) MAT-file: expected v5 (save it with -v7)"},
		{"endian", append(bytes.Clone(good[:126]), 'X', 'Y'), `endian: not a MATLAB v5 MAT-file: expected the endian indicator "IM" or "MI" at byte 126, found "XY"`},
		{"version", append(append(bytes.Clone(good[:124]), 0, 2), good[126:]...), "MAT-file version 0x0200: expected 0x0100 (v5)"},
		{"truncated", good[:len(good)-9], "truncated: at byte 128: element of type 14 declares 72 bytes, only 63 are left"},
		{"trailing", append(bytes.Clone(good), 1, 2, 3), "truncated element tag: 3 bytes left"},
		{"toplevel", m.file(m.elem(miDOUBLE, make([]byte, 8))), "at byte 128: expected a variable (miMATRIX or miCOMPRESSED element), found an element of type 9"},
		{"count", m.file(m.matrix("x", uint32(MatDouble), []int32{1, 3}, m.elem(miDOUBLE, make([]byte, 16)))),
			"x: real part of a 1x3 double: 3 elements need 24 bytes of type 9, found 16"},
		{"class", m.file(m.matrix("x", 99, []int32{1, 1})), "x: unknown array class 99"},
		{"dims", m.file(m.matrix("x", uint32(MatDouble), []int32{3})), "dimensions: 4 bytes: expected two or more int32"},
		{"negdims", m.file(m.matrix("x", uint32(MatDouble), []int32{-1, 2})), "dimensions: negative dimension -1"},
		{"hugecell", m.file(m.matrix("c", uint32(MatCell), []int32{1 << 30, 1 << 30})), "c: a 1073741824x1073741824 cell array cannot fit in 0 bytes"},
		{"hugestruct", m.file(m.matrix("s", uint32(MatStruct), []int32{1 << 30, 4},
			m.elem(miINT32, []byte{2, 0, 0, 0}), m.elem(miINT8, []byte("a\x00")))),
			"s: a 1073741824x4 struct array of 1 fields cannot fit in 0 bytes"},
		{"fieldnames", m.file(m.matrix("s", uint32(MatStruct), []int32{1, 1},
			m.elem(miINT32, []byte{4, 0, 0, 0}), m.elem(miINT8, []byte("abc")))),
			"s field names: 3 bytes do not divide into names of 4 bytes"},
		{"chars", m.file(m.matrix("t", uint32(MatChar), []int32{1, 4}, m.elem(miUTF8, []byte("abc")))),
			"t: 1x4 char array: expected 4 characters, found 3"},
		{"deep", m.file(nested), "outer{1}{1}{1}"}, {"deep", m.file(nested), "arrays nested deeper than 64"},
		{"zlib", m.file(zbad), "zlib: at byte 128: corrupt compressed variable"},
		{"inzip", m.file(compress(t, m.matrix("x", uint32(MatDouble), []int32{1, 3}, m.elem(miDOUBLE, make([]byte, 16))))),
			"inzip: in the compressed element at byte 128, at byte 64 of its content: x: real part"},
	}
	for _, c := range cases {
		_, err := DecodeMat(c.name, c.b)
		if assert.Error(t, err, c.name) {
			assert.Contains(t, err.Error(), c.want, c.name)
			assert.True(t, strings.HasPrefix(err.Error(), c.name+": "), err.Error())
		}
	}
	_, err = DecodeMat("z", m.file(zgood))
	assert.NoError(t, err)
	_, err = ReadMat("testdata/none.mat")
	assert.ErrorContains(t, err, "testdata/none.mat")
}

func TestMatFixturesAreWhatTheScriptWrote(t *testing.T) {
	// Guard against an edited fixture: the compressed and raw files hold the
	// same data, and the compressed ones really use miCOMPRESSED.
	for _, stem := range []string{"labelmap", "anno", "misc", "sparse"} {
		z, err := os.ReadFile(testdata(stem + "_z.mat"))
		require.NoError(t, err)
		assert.Equal(t, uint32(miCOMPRESSED), binary.LittleEndian.Uint32(z[128:]), stem)
		raw, err := os.ReadFile(testdata(stem + "_raw.mat"))
		require.NoError(t, err)
		assert.Equal(t, uint32(miMATRIX), binary.LittleEndian.Uint32(raw[128:]), stem)
	}
}

// Headers that claim huge sizes are refused before anything that size is
// allocated.
func TestHugeHeadersAllocateLittle(t *testing.T) {
	var m matBuilder
	claim := binary.LittleEndian.AppendUint32(nil, miMATRIX)
	claim = binary.LittleEndian.AppendUint32(claim, 1<<31)
	png, err := os.ReadFile(testdata("gray8.png"))
	require.NoError(t, err)
	cases := []struct {
		decode func([]byte) error
		b      []byte
		want   string
	}{
		{func(b []byte) error { _, err := DecodeNpy("a.npy", b); return err },
			npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }\n", make([]byte, 64)),
			"needs 8796093022208 data bytes, the file has 64"},
		{func(b []byte) error { _, err := DecodeMat("a.mat", b); return err },
			m.file(m.matrix("c", uint32(MatCell), []int32{1 << 30, 1 << 30})),
			"cannot fit in 0 bytes"},
		{func(b []byte) error { _, err := DecodeMat("a.mat", b); return err },
			m.file(compress(t, append(claim, make([]byte, 64)...))),
			"compressed variable claims 2147483656 bytes, more than 19 compressed bytes can hold"},
		{func(b []byte) error { _, err := DecodeImage("a.png", b); return err },
			pngWithSize(png, 10000, 10000),
			"more than a 80-byte file can hold"},
	}
	for _, c := range cases {
		start := allocated()
		err := c.decode(c.b)
		used := allocated() - start
		assert.ErrorContains(t, err, c.want)
		assert.Less(t, used, uint64(64<<10), "%s: allocated %d bytes", c.want, used)
	}
}
