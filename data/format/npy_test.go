package format

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadNpyFixtures(t *testing.T) {
	e := loadExpected(t)
	require.Len(t, e.Npy, 14)
	for name, want := range e.Npy {
		t.Run(name, func(t *testing.T) {
			n, err := ReadNpy(testdata(name))
			require.NoError(t, err)
			assert.Equal(t, want.DType, n.DType)
			assert.Equal(t, want.Shape, n.Shape)
			assert.Equal(t, want.Fortran, n.FortranOrder)
			f64, err := n.Float64s()
			require.NoError(t, err)
			assert.Equal(t, want.Values, f64) // C order, exact
			f32, err := n.Float32s()
			require.NoError(t, err)
			require.Len(t, f32, len(want.Values))
			for i, v := range want.Values {
				if name == "f8.npy" || strings.HasPrefix(name, "i") {
					assert.Equal(t, float32(v), f32[i]) // rounded once
				} else {
					assert.Equal(t, v, float64(f32[i])) // exact in float32
				}
			}
		})
	}
}

// WriteNpy writes the very bytes np.save writes for a float32 array.
func TestWriteNpyMatchesNumPy(t *testing.T) {
	for _, name := range []string{"f4.npy", "v2_f4.npy", "empty_f4.npy", "fortran_f4.npy"} {
		n, err := ReadNpy(testdata(name))
		require.NoError(t, err)
		vals, err := n.Float32s()
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), name)
		require.NoError(t, WriteNpy(path, n.Shape, vals))
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		back, err := ReadNpy(path)
		require.NoError(t, err)
		assert.Equal(t, "<f4", back.DType)
		assert.Equal(t, n.Shape, back.Shape)
		assert.False(t, back.FortranOrder)
		v2, err := back.Float32s()
		require.NoError(t, err)
		assert.Equal(t, vals, v2)
		if name == "f4.npy" || name == "empty_f4.npy" { // written by np.save as version 1.0, C order
			want, err := os.ReadFile(testdata(name))
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		}
	}
}

func TestWriteNpyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, shape := range [][]int{{}, {5}, {2, 3, 4}, {0, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 7}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		vals := make([]float32, n)
		for i := range vals {
			vals[i] = float32(i)*1.25 - 3
		}
		if n > 0 {
			vals[0] = float32(math.Inf(-1))
		}
		path := filepath.Join(dir, "a.npy")
		require.NoError(t, WriteNpy(path, shape, vals))
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Zero(t, (10+int(binary.LittleEndian.Uint16(b[8:])))%64, "header padded to 64 bytes")
		back, err := ReadNpy(path)
		require.NoError(t, err)
		assert.Equal(t, shape, back.Shape)
		got, err := back.Float32s()
		require.NoError(t, err)
		assert.Equal(t, vals, got)
	}
	assert.ErrorContains(t, WriteNpy(filepath.Join(dir, "b.npy"), []int{2, 2}, make([]float32, 3)), "shape [2 2] needs 4 values, found 3")
	assert.ErrorContains(t, WriteNpy(filepath.Join(dir, "b.npy"), []int{-1}, nil), "negative dimension")
}

func TestFortranToC(t *testing.T) {
	// f is column-major [2][3]: f[i + 2*j] = 10*i + j.
	f := []int{0, 10, 1, 11, 2, 12}
	assert.Equal(t, []int{0, 1, 2, 10, 11, 12}, fortranToC(f, []int{2, 3}))
	assert.Equal(t, []int{}, fortranToC([]int{}, []int{0, 3}))
}

func TestHalf(t *testing.T) {
	for h, want := range map[uint16]float32{0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0001: 5.9604645e-08,
		0x8000: float32(math.Copysign(0, -1)), 0x7c00: float32(math.Inf(1)), 0x3555: 0.33325195} {
		assert.Equal(t, math.Float32bits(want), math.Float32bits(half(h)), "0x%04x", h)
	}
	assert.True(t, math.IsNaN(float64(half(0x7e00))))
}

func npyBytes(header string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString(npyMagic + "\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestReadNpyErrors(t *testing.T) {
	good, err := os.ReadFile(testdata("f4.npy"))
	require.NoError(t, err)
	cases := []struct {
		b    []byte
		want string
	}{
		{[]byte("PK\x03\x04 not npy at all"), `x.npy: not a .npy file: expected the magic "\x93NUMPY", found "PK\x03\x04 n"`},
		{good[:9], "not a .npy file"},
		{append([]byte(npyMagic+"\x04\x00"), good[8:]...), ".npy format version 4.0: expected 1.0, 2.0 or 3.0"},
		{good[:40], "truncated .npy header: it declares 118 bytes, the file has 30"},
		{good[:len(good)-1], "shape [2 3] of <f4 needs 24 data bytes, the file has 23"},
		{append(bytes.Clone(good), 0), "needs 24 data bytes, the file has 25"},
		{npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }\n", make([]byte, 8)),
			"shape [1099511627776] of <f4 needs 4398046511104 data bytes, the file has 8"},
		{npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }\n", nil),
			"needs more than the 0 data bytes"},
		{npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", make([]byte, 8)), `dtype "<c8": expected one of`},
		{npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", make([]byte, 4)), "structured dtypes are not supported"},
		{npyBytes("{'descr': '<f4', 'shape': (1,), }\n", make([]byte, 4)), `missing key "fortran_order"`},
		{npyBytes("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }\n", make([]byte, 4)), "fortran_order: expected True or False"},
		{npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n", nil), "shape: expected a non-negative dimension"},
		{npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }\n", nil), "shape: expected ',' or ')'"},
	}
	for _, c := range cases {
		_, err := DecodeNpy("x.npy", c.b)
		if assert.Error(t, err, c.want) {
			assert.Contains(t, err.Error(), c.want)
			assert.True(t, strings.HasPrefix(err.Error(), "x.npy: "), err.Error())
		}
	}
	// Python 2 wrote shapes as (2L, 3L); double quotes are fine too.
	n, err := DecodeNpy("p2.npy", npyBytes(`{"descr": "|u1", "fortran_order": True, "shape": (2L, 1L)}`+"\n", []byte{7, 9}))
	require.NoError(t, err)
	assert.Equal(t, []int{2, 1}, n.Shape)
	v, err := n.Float32s()
	require.NoError(t, err)
	assert.Equal(t, []float32{7, 9}, v)
}
