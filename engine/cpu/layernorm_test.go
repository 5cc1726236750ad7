package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine/backend"
)

// TestLayerNormRows checks the float32 layer norm forward (the SIMD row
// kernel where the build has one: 80 columns use only its vector loops, 83
// its scalar tail too) against float64, with and without gamma and beta, on
// rows with a large mean.
func TestLayerNormRows(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, cols := range []int{80, 83} {
		const rows = 5
		x64 := make([]float64, rows*cols)
		for i := range x64 {
			x64[i] = float64(float32(r.NormFloat64()*0.5 + 3))
		}
		g64, b64 := make([]float64, cols), make([]float64, cols)
		for i := range g64 {
			g64[i], b64[i] = float64(float32(1+r.NormFloat64()*0.2)), float64(float32(r.NormFloat64()))
		}
		up32 := func(v []float64) *Buffer {
			b := NewBuffer(backend.Float32, len(v))
			for i, x := range v {
				b.F32[i] = float32(x)
			}
			return b
		}
		up64 := func(v []float64) *Buffer {
			b := NewBuffer(backend.Float64, len(v))
			copy(b.F64, v)
			return b
		}
		for _, affine := range []bool{false, true} {
			name := fmt.Sprintf("cols %d affine %v", cols, affine)
			c := New()
			y32, m32, s32 := NewBuffer(backend.Float32, rows*cols), NewBuffer(backend.Float32, rows), NewBuffer(backend.Float32, rows)
			y64, m64, s64 := NewBuffer(backend.Float64, rows*cols), NewBuffer(backend.Float64, rows), NewBuffer(backend.Float64, rows)
			var g32, bb32, gg64, bb64 backend.Buffer
			if affine {
				g32, bb32, gg64, bb64 = up32(g64), up32(b64), up64(g64), up64(b64)
			}
			c.LayerNorm(y32, m32, s32, up32(x64), g32, bb32, rows, cols, 1e-5)
			c.LayerNorm(y64, m64, s64, up64(x64), gg64, bb64, rows, cols, 1e-5)
			require.LessOrEqual(t, relErr(y32.F32, y64.F64), 1e-6, name+" y")
			require.LessOrEqual(t, relErr(m32.F32, m64.F64), 1e-7, name+" mean")
			require.LessOrEqual(t, relErr(s32.F32, s64.F64), 1e-7, name+" rstd")
		}
	}
}
