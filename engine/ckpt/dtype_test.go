package ckpt

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// halfRef decodes binary16 from its definition, in float64.
func halfRef(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	e := int(h>>10) & 0x1f
	m := float64(h & 0x3ff)
	switch e {
	case 0:
		return sign * m / 1024 * math.Pow(2, -14)
	case 31:
		if m == 0 {
			return sign * math.Inf(1)
		}
		return math.NaN()
	}
	return sign * (1 + m/1024) * math.Pow(2, float64(e-15))
}

func TestHalfToFloat32Exhaustive(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		got := HalfToFloat32(uint16(h))
		want := halfRef(uint16(h))
		if math.IsNaN(want) {
			require.True(t, math.IsNaN(float64(got)), "half %#04x", h)
			continue
		}
		require.Equal(t, want, float64(got), "half %#04x", h)
		require.Equal(t, math.Signbit(want), math.Signbit(float64(got)), "half %#04x sign", h)
	}
}

func TestBFloat16ToFloat32(t *testing.T) {
	assert.Equal(t, float32(1), BFloat16ToFloat32(0x3f80))
	assert.Equal(t, float32(-2), BFloat16ToFloat32(0xc000))
	assert.Equal(t, float32(math.Inf(1)), BFloat16ToFloat32(0x7f80))
	assert.Equal(t, float32(1.0078125), BFloat16ToFloat32(0x3f81))
}

func TestConversions(t *testing.T) {
	f64 := FromFloat64([]int{3}, []float64{1.5, -2, 1e-50})
	v32, err := f64.Float32s()
	require.NoError(t, err)
	assert.Equal(t, []float32{1.5, -2, 0}, v32)

	f32 := FromFloat32([]int{2, 1}, []float32{0.1, 3})
	v64, err := f32.Float64s()
	require.NoError(t, err)
	assert.Equal(t, []float64{float64(float32(0.1)), 3}, v64)

	half := Tensor{DType: F16, Shape: []int{2}, Data: []byte{0x00, 0x3c, 0x01, 0x80}} // 1, -2^-24
	v32, err = half.Float32s()
	require.NoError(t, err)
	assert.Equal(t, []float32{1, -float32(math.Pow(2, -24))}, v32)

	i64 := FromInt64([]int{3}, []int64{-1, 7, 1 << 40})
	got64, err := i64.Int64s()
	require.NoError(t, err)
	assert.Equal(t, []int64{-1, 7, 1 << 40}, got64)
	_, err = i64.Int32s()
	assert.ErrorContains(t, err, "element 2 (1099511627776, I64) does not fit in int32")

	i32 := FromInt32([]int{}, []int32{-5}) // a scalar
	got32, err := i32.Int32s()
	require.NoError(t, err)
	assert.Equal(t, []int32{-5}, got32)

	u8 := Tensor{DType: U8, Shape: []int{2}, Data: []byte{0, 255}}
	got32, err = u8.Int32s()
	require.NoError(t, err)
	assert.Equal(t, []int32{0, 255}, got32)

	_, err = i64.Float32s()
	assert.ErrorContains(t, err, "cannot convert I64 elements to float32")
	_, err = f32.Int64s()
	assert.ErrorContains(t, err, "cannot convert F32 elements to int64")
	_, err = Tensor{DType: F32, Shape: []int{3}, Data: make([]byte, 8)}.Float32s()
	assert.ErrorContains(t, err, "shape [3] (12 bytes as F32) but 8 bytes of data")
	_, err = Tensor{DType: "F7", Data: make([]byte, 8)}.Float32s()
	assert.ErrorContains(t, err, `unknown dtype "F7"`)

	assert.PanicsWithValue(t, "ckpt: FromFloat32: shape [2 2] needs 4 values, got 3", func() {
		FromFloat32([]int{2, 2}, []float32{1, 2, 3})
	})
}
