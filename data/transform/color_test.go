package transform

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/data"
)

func TestNormalizeValues(t *testing.T) {
	im := data.NewImage(3, 1, 3)
	for c := range 3 {
		im.Set(c, 0, 0, ImageNetMean[c])
		im.Set(c, 1, 0, 1)
		im.Set(c, 2, 0, 0)
	}
	orig := im.Clone()
	Normalize(im, ImageNetMean, ImageNetStd)
	want := [3][3]float64{
		{0, (1 - 0.485) / 0.229, -0.485 / 0.229},
		{0, (1 - 0.456) / 0.224, -0.456 / 0.224},
		{0, (1 - 0.406) / 0.225, -0.406 / 0.225},
	}
	for c := range 3 {
		for x := range 3 {
			require.InDelta(t, want[c][x], im.At(c, x, 0), 1e-6, "channel %d value %d", c, x)
		}
	}
	Denormalize(im, ImageNetMean, ImageNetStd)
	require.InDeltaSlice(t, orig.Pix, im.Pix, 1e-6)
	require.Panics(t, func() { Normalize(data.NewImage(1, 2, 2), ImageNetMean, ImageNetStd) })
}

func TestHueRotation(t *testing.T) {
	m := HueRotation(120)
	perm := [3][3]float64{{0, 0, 1}, {1, 0, 0}, {0, 1, 0}} // (r,g,b) -> (b,r,g)
	for i := range 3 {
		for j := range 3 {
			require.InDelta(t, perm[i][j], m[i][j], 1e-12)
		}
	}
	// Orthogonal, and grey is fixed.
	m = HueRotation(-23)
	for i := range 3 {
		for j := range 3 {
			dot := 0.0
			for k := range 3 {
				dot += m[i][k] * m[j][k]
			}
			require.InDelta(t, map[bool]float64{true: 1, false: 0}[i == j], dot, 1e-12)
		}
		require.InDelta(t, 1, m[i][0]+m[i][1]+m[i][2], 1e-12)
	}
}

func TestJitterOps(t *testing.T) {
	im := data.NewImage(3, 2, 2)
	copy(im.Pix, []float32{0.1, 0.5, 0.9, 0.3, 0.2, 0.2, 0.8, 0.4, 0.6, 0.7, 0.1, 0.5})
	n := 4
	lum := func(p data.Image, i int) float64 { return luma(p.Pix[i], p.Pix[n+i], p.Pix[2*n+i]) }

	b := im.Clone()
	brightness(b, 0.2)
	for i, v := range im.Pix {
		require.InDelta(t, math.Min(float64(v)+0.2, 1), b.Pix[i], 1e-7)
	}
	g := im.Clone()
	saturation(g, 0) // grey: every channel equals the luma
	for i := range n {
		for c := range 3 {
			require.InDelta(t, lum(im, i), g.Pix[c*n+i], 1e-6)
		}
	}
	k := im.Clone()
	contrast(k, 0) // flat at the mean luma
	m := 0.0
	for i := range n {
		m += lum(im, i) / 4
	}
	for _, v := range k.Pix {
		require.InDelta(t, m, v, 1e-6)
	}
	h := im.Clone()
	hue(h, 120)
	for i := range n {
		require.InDelta(t, im.Pix[2*n+i], h.Pix[i], 1e-6)
		require.InDelta(t, im.Pix[i], h.Pix[n+i], 1e-6)
		require.InDelta(t, im.Pix[n+i], h.Pix[2*n+i], 1e-6)
	}
}

func TestPhotometricJitter(t *testing.T) {
	s := testSample(20, 28)
	orig := s.Clone()
	run := func(seed uint64, o JitterOptions) *data.Sample {
		c := *s
		require.NoError(t, PhotometricJitter(&c, rng(seed), o))
		return &c
	}
	require.Equal(t, orig, s)
	require.Equal(t, s.Image, run(1, JitterOptions{Prob: 0, Brightness: 1, Contrast: 1, Saturation: 1, Hue: 90}).Image)
	require.Equal(t, run(3, DefaultJitter()), run(3, DefaultJitter()))
	changed := 0
	for seed := range uint64(20) {
		c := run(seed, DefaultJitter())
		require.Equal(t, s.Semseg, c.Semseg)
		require.Equal(t, s.Depth, c.Depth)
		for _, v := range c.Image.Pix {
			require.True(t, v >= 0 && v <= 1)
		}
		if !equalPix(s.Image.Pix, c.Image.Pix) {
			changed++
		}
	}
	require.Greater(t, changed, 10)
	// Brightness alone shifts every unclipped value by one delta within range.
	for seed := range uint64(20) {
		c := run(seed, JitterOptions{Prob: 1, Brightness: 0.1})
		d := math.NaN()
		for i, v := range c.Image.Pix {
			if v > 0 && v < 1 {
				d = float64(v - s.Image.Pix[i])
				break
			}
		}
		require.LessOrEqual(t, math.Abs(d), 0.1)
		for i, v := range c.Image.Pix {
			if v > 0 && v < 1 {
				require.InDelta(t, d, float64(v-s.Image.Pix[i]), 1e-6)
			}
		}
	}
	require.Error(t, PhotometricJitter(s, rng(1), JitterOptions{Prob: 2}))
}

func equalPix(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAugment(t *testing.T) {
	s := testSample(40, 56)
	orig := s.Clone()
	run := func(seed uint64) *data.Sample {
		c := *s
		require.NoError(t, Augment(&c, rng(seed), DefaultOptions(), 32, 48))
		require.NoError(t, Check(&c))
		require.Equal(t, [2]int{32, 48}, [2]int{c.H(), c.W()})
		return &c
	}
	a, b := run(9), run(9)
	require.Equal(t, a, b)
	require.NotEqual(t, a.Image.Pix, run(10).Image.Pix)
	require.Equal(t, orig, s)
	// Depth stays consistent with the scale: the largest input depth is
	// 1 + 55/10, and zooming in never makes anything farther.
	for seed := range uint64(30) {
		c := run(seed)
		for _, d := range c.Depth {
			require.LessOrEqual(t, d, float32(6.5/0.5+1e-4))
		}
		isUnitOrZero(t, c.Normals, 32*48)
	}
	bad := DefaultOptions()
	bad.ScaleMin = 0
	require.Error(t, Augment(s, rng(1), bad, 8, 8))
	bad = DefaultOptions()
	bad.FlipProb = -1
	require.Error(t, bad.Validate())
}
