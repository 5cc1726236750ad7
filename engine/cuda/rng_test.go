package cuda_test

import (
	"math"
	"testing"

	"allnet/engine/backend"
	"github.com/stretchr/testify/require"
)

// TestRandExact checks that RandUniform and RandNormal give exactly
// float32(backend.Uniform) and float32(backend.Normal) of offset+i,
// including a counter that wraps past 2^64.
func TestRandExact(t *testing.T) {
	g := newEmu(t)
	const n = 4099
	buf := g.Alloc(backend.Float32, n)
	for _, tc := range []struct{ seed, offset uint64 }{{0, 0}, {42, 977}, {0xdeadbeefcafe, math.MaxUint64 - 100}} {
		g.RandUniform(buf, tc.seed, tc.offset)
		u := download(g, buf)
		g.RandNormal(buf, tc.seed, tc.offset)
		z := download(g, buf)
		for i := range u {
			c := tc.offset + uint64(i)
			require.Equal(t, float32(backend.Uniform(tc.seed, c)), u[i], "uniform seed %d counter %d", tc.seed, c)
			require.Equal(t, float32(backend.Normal(tc.seed, c)), z[i], "normal seed %d counter %d", tc.seed, c)
		}
	}
}
