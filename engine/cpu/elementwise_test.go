package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine/backend"
)

// TestGELU checks the float32 GELU and its derivative (the SIMD version
// where the build has one, with its float64 fix-up for the far tails and
// the last values) against float64 on inputs over [-16, 16] and special
// values, element by element as well as over the tensor.
func TestGELU(t *testing.T) {
	const n = 4099
	r := rand.New(rand.NewPCG(5, 6))
	x32, dy32 := NewBuffer(backend.Float32, n), NewBuffer(backend.Float32, n)
	x64, dy64 := NewBuffer(backend.Float64, n), NewBuffer(backend.Float64, n)
	for i := range n {
		x32.F32[i] = float32(r.Float64()*32 - 16)
		dy32.F32[i] = float32(r.NormFloat64())
		x64.F64[i], dy64.F64[i] = float64(x32.F32[i]), float64(dy32.F32[i])
	}
	for i, v := range []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0, 1e30} {
		x32.F32[8*i+3], x64.F64[8*i+3] = v, float64(v) // inside the vector body
	}
	c := New()
	y32, y64 := NewBuffer(backend.Float32, n), NewBuffer(backend.Float64, n)
	c.Unary(backend.GELU, y32, x32, 0)
	c.Unary(backend.GELU, y64, x64, 0)
	d32, d64 := NewBuffer(backend.Float32, n), NewBuffer(backend.Float64, n)
	c.UnaryBackward(backend.GELU, d32, x32, y32, dy32, 0)
	c.UnaryBackward(backend.GELU, d64, x64, y64, dy64, 0)
	for i := range n {
		if w, g := y64.F64[i], float64(y32.F32[i]); math.IsNaN(w) || math.IsInf(w, 0) {
			require.Equal(t, math.IsNaN(w), math.IsNaN(g), "GELU(%g)", x64.F64[i])
			require.Equal(t, math.IsInf(w, 1), math.IsInf(g, 1), "GELU(%g)", x64.F64[i])
			require.Equal(t, math.IsNaN(d64.F64[i]), math.IsNaN(float64(d32.F32[i])), "GELU'(%g)", x64.F64[i])
			y32.F32[i], y64.F64[i], d32.F32[i], d64.F64[i] = 0, 0, 0, 0
		}
	}
	require.LessOrEqual(t, relErr(y32.F32, y64.F64), 1e-6, "GELU")
	require.LessOrEqual(t, relErr(d32.F32, d64.F64), 1e-6, "GELU'")
	for i := range n {
		require.InDelta(t, y64.F64[i], float64(y32.F32[i]), 2e-6*(1+abs(y64.F64[i])), "GELU(%g)", x64.F64[i])
		require.InDelta(t, d64.F64[i], float64(d32.F32[i]), 2e-6*(1+abs(d64.F64[i])), "GELU'(%g)", x64.F64[i])
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
