package transform

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/data"
)

// refBilinear is a straightforward float64 half-pixel bilinear sample of one
// plane at output (y, x).
func refBilinear(src []float32, ih, iw, h, w, y, x int) float64 {
	sy := math.Min(math.Max((float64(y)+0.5)*float64(ih)/float64(h)-0.5, 0), float64(ih-1))
	sx := math.Min(math.Max((float64(x)+0.5)*float64(iw)/float64(w)-0.5, 0), float64(iw-1))
	y0, x0 := int(math.Floor(sy)), int(math.Floor(sx))
	y1, x1 := min(y0+1, ih-1), min(x0+1, iw-1)
	fy, fx := sy-float64(y0), sx-float64(x0)
	at := func(yy, xx int) float64 { return float64(src[yy*iw+xx]) }
	return (1-fy)*((1-fx)*at(y0, x0)+fx*at(y0, x1)) + fy*((1-fx)*at(y1, x0)+fx*at(y1, x1))
}

func TestResizeImageKnownValues(t *testing.T) {
	// PyTorch interpolate(mode="bilinear", align_corners=False) of [[0,1],[2,3]] to 4x4.
	im := data.Image{C: 1, H: 2, W: 2, Pix: []float32{0, 1, 2, 3}}
	want := []float32{
		0, 0.25, 0.75, 1,
		0.5, 0.75, 1.25, 1.5,
		1.5, 1.75, 2.25, 2.5,
		2, 2.25, 2.75, 3,
	}
	require.InDeltaSlice(t, want, ResizeImage(im, 4, 4).Pix, 1e-6)
	// Halving averages each 2x2 block.
	big := data.Image{C: 1, H: 2, W: 4, Pix: []float32{0, 2, 4, 6, 10, 12, 14, 16}}
	require.InDeltaSlice(t, []float32{6, 10}, ResizeImage(big, 1, 2).Pix, 1e-6)
}

func TestResizeImageMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][4]int{{7, 11, 13, 5}, {9, 4, 3, 17}, {5, 5, 5, 5}, {1, 6, 4, 2}} {
		im := data.NewImage(3, sz[0], sz[1])
		for i := range im.Pix {
			im.Pix[i] = r.Float32()
		}
		out := ResizeImage(im, sz[2], sz[3])
		require.Equal(t, [3]int{3, sz[2], sz[3]}, [3]int{out.C, out.H, out.W})
		for c := range 3 {
			src := im.Pix[c*sz[0]*sz[1] : (c+1)*sz[0]*sz[1]]
			for y := range sz[2] {
				for x := range sz[3] {
					require.InDelta(t, refBilinear(src, sz[0], sz[1], sz[2], sz[3], y, x), out.At(c, x, y), 1e-5, "size %v c %d (%d,%d)", sz, c, x, y)
				}
			}
		}
	}
}

func TestResizeLabelsNearest(t *testing.T) {
	ih, iw := 6, 8
	m := make([]int32, ih*iw)
	for i := range m {
		m[i] = int32(i)
	}
	up := ResizeLabels(m, ih, iw, 2*ih, 2*iw)
	for y := range 2 * ih {
		for x := range 2 * iw {
			require.Equal(t, m[(y/2)*iw+x/2], up[y*2*iw+x])
		}
	}
	down := ResizeLabels(m, ih, iw, ih/2, iw/2)
	for y := range ih / 2 {
		for x := range iw / 2 {
			require.Equal(t, m[(2*y+1)*iw+2*x+1], down[y*iw/2+x])
		}
	}
	// Odd ratios only ever copy input labels.
	odd := ResizeLabels(m, ih, iw, 7, 3)
	for _, v := range odd {
		require.True(t, v >= 0 && int(v) < ih*iw)
	}
}

func TestResizeDepthMasked(t *testing.T) {
	const ih, iw = 12, 16
	d := make([]float32, ih*iw)
	for y := range ih {
		for x := range iw {
			if !(y >= 3 && y < 7 && x >= 5 && x < 11) && x != 0 {
				d[y*iw+x] = 3
			}
		}
	}
	for _, sz := range [][2]int{{24, 32}, {6, 8}, {17, 9}, {12, 16}} {
		out := ResizeDepth(d, ih, iw, sz[0], sz[1])
		mask := ResizeNearest(d, ih, iw, sz[0], sz[1])
		for p, v := range out {
			if mask[p] == 0 {
				require.Zero(t, v, "size %v pixel %d should stay invalid", sz, p)
			} else {
				require.InDelta(t, 3, v, 1e-6, "size %v pixel %d mixes in invalid depth", sz, p)
			}
		}
	}
	// Without holes it is plain bilinear.
	g := make([]float32, ih*iw)
	for i := range g {
		g[i] = 1 + float32(i%iw)/3 + float32(i/iw)/7
	}
	want := ResizeImage(data.Image{C: 1, H: ih, W: iw, Pix: g}, 25, 9).Pix
	require.InDeltaSlice(t, want, ResizeDepth(g, ih, iw, 25, 9), 1e-5)
}

func TestResizeNormals(t *testing.T) {
	s := testSample(20, 28)
	for _, sz := range [][2]int{{40, 56}, {10, 14}, {13, 31}} {
		out := ResizeNormals(s.Normals, 20, 28, sz[0], sz[1])
		zeros := isUnitOrZero(t, out, sz[0]*sz[1])
		mask := ResizeNearest(s.Depth, 20, 28, sz[0], sz[1]) // same hole as the normals
		want := 0
		for _, v := range mask {
			if v == 0 {
				want++
			}
		}
		require.Equal(t, want, zeros, "size %v", sz)
	}
	// A constant field stays constant.
	n := make([]float32, 3*5*6)
	for p := range 30 {
		n[p], n[30+p], n[60+p] = 0.6, 0, -0.8
	}
	out := ResizeNormals(n, 5, 6, 9, 4)
	for p := range 36 {
		require.InDelta(t, 0.6, out[p], 1e-6)
		require.InDelta(t, -0.8, out[72+p], 1e-6)
	}
}

func TestResizeSampleKeepsInput(t *testing.T) {
	s := testSample(20, 28)
	orig := s.Clone()
	c := *s
	require.NoError(t, Resize(&c, 31, 17))
	require.NoError(t, Check(&c))
	require.Equal(t, [2]int{31, 17}, [2]int{c.H(), c.W()})
	require.Equal(t, orig, s)
	bad := *s
	bad.Depth = bad.Depth[1:]
	require.ErrorContains(t, Resize(&bad, 4, 4), "depth has")
	require.Error(t, Resize(&c, 0, 4))
}
