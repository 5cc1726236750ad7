package engine

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDropoutKeepsFractionAndScales(t *testing.T) {
	x := Full(CPU(), Float64, 2, 100000)
	g := NewGenerator(3)
	y := Dropout(x, 0.3, true, g)
	kept := 0
	for _, v := range y.Float64s() {
		if v != 0 {
			require.InDelta(t, 2/0.7, v, 1e-12)
			kept++
		}
	}
	require.InDelta(t, 0.7, float64(kept)/100000, 0.01)
	require.Equal(t, uint64(100000), g.Counter)
	// The same stream state reproduces the same mask; eval mode is identity.
	y2 := Dropout(x, 0.3, true, &Generator{Seed: 3})
	require.Equal(t, y.Float64s(), y2.Float64s())
	require.Same(t, x, Dropout(x, 0.3, false, g))
	require.Panics(t, func() { Dropout(x, 1, true, g) })
}

func TestDropoutGradientIsTheMask(t *testing.T) {
	x := randT(testRNG(t), 4, 5)
	y := Dropout(x, 0.5, true, NewGenerator(9))
	SumAll(y).Backward()
	yv, xv, gv := y.Float64s(), x.Float64s(), x.Grad().Float64s()
	for i := range yv {
		if yv[i] == 0 && xv[i] != 0 {
			require.Equal(t, 0.0, gv[i])
		} else {
			require.InDelta(t, 2.0, gv[i], 1e-12)
		}
	}
}

func TestDropPathDropsWholeSamples(t *testing.T) {
	x := Full(CPU(), Float64, 1, 64, 3, 2, 2)
	y := DropPath(x, 0.5, true, NewGenerator(1))
	v := y.Float64s()
	dropped := 0
	for n := 0; n < 64; n++ {
		s := v[n*12 : (n+1)*12]
		for _, e := range s {
			require.Equal(t, s[0], e, "sample %d is not uniformly kept or dropped", n)
		}
		if s[0] == 0 {
			dropped++
		} else {
			require.InDelta(t, 2.0, s[0], 1e-12)
		}
	}
	require.Greater(t, dropped, 16)
	require.Less(t, dropped, 48)
}
