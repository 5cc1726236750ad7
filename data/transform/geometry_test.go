package transform

import (
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/data"
)

func TestScaleDividesDepth(t *testing.T) {
	for _, f := range []float64{2, 0.5, 1, 1.37} {
		s := testSample(20, 28)
		orig := s.Clone()
		c := *s
		require.NoError(t, Scale(&c, f))
		require.Equal(t, orig, s, "input modified")
		h, w := int(20*f+0.5), int(28*f+0.5)
		require.Equal(t, [2]int{h, w}, [2]int{c.H(), c.W()})
		want := ResizeDepth(s.Depth, 20, 28, h, w)
		for p := range want {
			require.InDelta(t, want[p]/float32(f), c.Depth[p], 1e-6, "f %g pixel %d", f, p)
		}
		require.Equal(t, ResizeLabels(s.Semseg, 20, 28, h, w), c.Semseg)
	}
	// Constant depth 4 zoomed in by 2 is at 2 m.
	s := &data.Sample{Name: "c", Image: data.NewImage(3, 4, 4), Depth: []float32{4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4}}
	require.NoError(t, Scale(s, 2))
	for _, d := range s.Depth {
		require.InDelta(t, 2, d, 1e-6)
	}
	f, err := RandomScale(s, rng(1), 0.5, 0.5)
	require.NoError(t, err)
	require.Equal(t, 0.5, f)
	require.Equal(t, 4, s.H())
	_, err = RandomScale(s, rng(1), 2, 1)
	require.Error(t, err)
}

func TestCropPadding(t *testing.T) {
	s := testSample(40, 56)
	orig := s.Clone()
	for _, off := range [][2]int{{0, 0}, {-3, -5}, {10, 20}} {
		c := *s
		require.NoError(t, Crop(&c, off[0], off[1], 64, 64))
		require.Equal(t, orig, s)
		require.NoError(t, Check(&c))
		hw := 64 * 64
		for y := range 64 {
			for x := range 64 {
				p, sy, sx := y*64+x, y+off[0], x+off[1]
				if sy >= 0 && sy < 40 && sx >= 0 && sx < 56 {
					q := sy*56 + sx
					require.Equal(t, s.Semseg[q], c.Semseg[p])
					require.Equal(t, s.Depth[q], c.Depth[p])
					require.Equal(t, s.Normals[2*40*56+q], c.Normals[2*hw+p])
					require.Equal(t, s.Image.At(1, sx, sy), c.Image.At(1, x, y))
					continue
				}
				require.Equal(t, int32(data.Ignore), c.Semseg[p])
				require.Equal(t, int32(data.Ignore), c.Parts[p])
				require.Zero(t, c.Depth[p])
				require.Zero(t, c.Edge[p])
				require.Zero(t, c.Sal[p])
				for ch := range 3 {
					require.Zero(t, c.Normals[ch*hw+p])
					require.Equal(t, ImageNetMean[ch], c.Image.At(ch, x, y))
				}
			}
		}
	}
}

func TestRandomCropWindow(t *testing.T) {
	s := testSample(40, 56)
	seen := map[[2]int]bool{}
	for seed := range uint64(300) {
		c := *s
		require.NoError(t, RandomCrop(&c, rng(seed), 37, 50))
		// The gradient image encodes the source coordinates.
		x0 := int(c.Image.At(0, 0, 0)*56 + 0.5)
		y0 := int(c.Image.At(1, 0, 0)*40 + 0.5)
		require.True(t, y0 >= 0 && y0 <= 3 && x0 >= 0 && x0 <= 6, "offset %d,%d", y0, x0)
		want := *s
		require.NoError(t, Crop(&want, y0, x0, 37, 50))
		require.Equal(t, want, c)
		seen[[2]int{y0, x0}] = true
	}
	require.True(t, seen[[2]int{0, 0}] && seen[[2]int{3, 6}], "extreme offsets never drawn")
	// Smaller than the crop: padded at the bottom and right only.
	c := *s
	require.NoError(t, RandomCrop(&c, rng(5), 50, 60))
	require.Equal(t, s.Semseg[56+1], c.Semseg[60+1])
	require.Equal(t, int32(data.Ignore), c.Semseg[60*49])
}

func TestHorizontalFlip(t *testing.T) {
	const h, w = 20, 28
	s := testSample(h, w)
	orig := s.Clone()
	c := *s
	require.NoError(t, HorizontalFlip(&c))
	require.Equal(t, orig, s)
	hw := h * w
	for y := range h {
		for x := range w {
			p, q := y*w+x, y*w+w-1-x
			require.Equal(t, s.Semseg[q], c.Semseg[p])
			require.Equal(t, s.Parts[q], c.Parts[p])
			require.Equal(t, s.Depth[q], c.Depth[p])
			require.Equal(t, s.Edge[q], c.Edge[p])
			require.Equal(t, s.Sal[q], c.Sal[p])
			require.Equal(t, -s.Normals[q], c.Normals[p], "normal x not negated")
			require.Equal(t, s.Normals[hw+q], c.Normals[hw+p])
			require.Equal(t, s.Normals[2*hw+q], c.Normals[2*hw+p])
			for ch := range 3 {
				require.Equal(t, s.Image.At(ch, w-1-x, y), c.Image.At(ch, x, y))
			}
		}
	}
	require.NoError(t, HorizontalFlip(&c))
	require.Equal(t, *orig, c)

	c = *s
	flipped, err := RandomFlip(&c, rng(1), 0)
	require.NoError(t, err)
	require.False(t, flipped)
	flipped, err = RandomFlip(&c, rng(1), 1)
	require.NoError(t, err)
	require.True(t, flipped)
}

func TestScaleCropMatchesScaleThenCrop(t *testing.T) {
	s := testSample(20, 28)
	for _, c := range []struct {
		f            float64
		y0, x0, h, w int
	}{{2, 5, 7, 16, 20}, {0.5, 0, 0, 16, 20}, {1.3, -3, 4, 30, 40}, {0.77, 2, -1, 9, 33}, {1, 0, 0, 20, 28}} {
		a, b := *s, *s
		require.NoError(t, Scale(&a, c.f))
		require.NoError(t, Crop(&a, c.y0, c.x0, c.h, c.w))
		require.NoError(t, ScaleCrop(&b, c.f, c.y0, c.x0, c.h, c.w))
		require.Equal(t, a, b, "%+v", c)
	}
	// Augment's fused geometry draws like RandomScale then RandomCrop.
	o := Options{ScaleMin: 0.5, ScaleMax: 2, FlipProb: 0.5}
	for seed := range uint64(10) {
		a, b := *s, *s
		r := rng(seed)
		_, err := RandomScale(&a, r, 0.5, 2)
		require.NoError(t, err)
		require.NoError(t, RandomCrop(&a, r, 24, 24))
		_, err = RandomFlip(&a, r, 0.5)
		require.NoError(t, err)
		require.NoError(t, PhotometricJitter(&a, r, o.Jitter))
		require.NoError(t, Augment(&b, rng(seed), o, 24, 24))
		require.Equal(t, a, b, "seed %d", seed)
	}
}
