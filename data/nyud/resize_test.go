package nyud

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func inDeltaSlice(t *testing.T, want []float64, got []float32, tol float64) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		if math.Abs(want[i]-float64(got[i])) > tol {
			t.Fatalf("element %d: want %v, got %v (all: %v)", i, want[i], got[i], got)
		}
	}
}

// Values torch.nn.functional.interpolate(mode="bilinear",
// align_corners=False) and cv2.resize(INTER_LINEAR) give.
func TestResizeBilinearKnownValues(t *testing.T) {
	inDeltaSlice(t, []float64{0, 0.25, 0.75, 1}, resizeBilinear([]float32{0, 1}, 1, 1, 2, 1, 4), 1e-7)
	inDeltaSlice(t, []float64{0.5, 2.5}, resizeBilinear([]float32{0, 1, 2, 3}, 1, 1, 4, 1, 2), 1e-7)
	inDeltaSlice(t, []float64{0, 0.4, 1, 1.6, 2}, resizeBilinear([]float32{0, 1, 2}, 1, 1, 3, 1, 5), 1e-6)
	// 2x2 -> 4x4 is separable: rows [0, .25, .75, 1] * 10 + columns.
	got := resizeBilinear([]float32{0, 1, 10, 11, 0, 2, 20, 22}, 2, 2, 2, 4, 4)
	ramp := []float64{0, 0.25, 0.75, 1}
	var want []float64
	for c := range 2 {
		for _, y := range ramp {
			for _, x := range ramp {
				want = append(want, float64(c+1)*(10*y+x))
			}
		}
	}
	inDeltaSlice(t, want, got, 1e-6)
}

func TestResizeIdentityAndConstant(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	src := make([]float32, 2*5*7)
	for i := range src {
		src[i] = r.Float32()
	}
	assert.Equal(t, src, resizeBilinear(src, 2, 5, 7, 5, 7))
	assert.Equal(t, src, resizeNearest(src, 2, 5, 7, 5, 7))
	flat := make([]float32, 5*7)
	for i := range flat {
		flat[i] = 0.3
	}
	for _, hw := range [][2]int{{11, 3}, {2, 13}, {288, 384}} {
		for i, v := range resizeBilinear(flat, 1, 5, 7, hw[0], hw[1]) {
			if math.Abs(float64(v)-0.3) > 1e-6 {
				t.Fatalf("%v: pixel %d = %v, want 0.3", hw, i, v)
			}
		}
	}
}

func TestResizeNearest(t *testing.T) {
	assert.Equal(t, []int32{1, 1, 2, 2, 3, 3}, resizeNearest([]int32{1, 2, 3}, 1, 1, 3, 1, 6))
	assert.Equal(t, []int32{1, 3}, resizeNearest([]int32{1, 2, 3, 4}, 1, 1, 4, 1, 2))
	assert.Equal(t, []int32{1, 2, 3, 4}, resizeNearest([]int32{1, 2, 3, 4, 5}, 1, 1, 5, 1, 4))
	assert.Equal(t, []int32{1, 2, 4}, resizeNearest([]int32{1, 2, 3, 4, 5}, 1, 1, 5, 1, 3))
	// Rows and columns independently; labels are never mixed.
	got := resizeNearest([]int32{1, 2, 3, 4}, 1, 2, 2, 3, 3)
	assert.Equal(t, []int32{1, 1, 2, 1, 1, 2, 3, 3, 4}, got)
}

// randomDepth returns an h x w depth map in [2, 6] with an invalid block and
// scattered invalid pixels.
func randomDepth(r *rand.Rand, h, w int) []float32 {
	d := make([]float32, h*w)
	for i := range d {
		d[i] = 2 + 4*r.Float32()
		if r.IntN(10) == 0 {
			d[i] = 0
		}
	}
	for y := h / 4; y < h/2; y++ {
		for x := w / 3; x < 2*w/3; x++ {
			d[y*w+x] = 0
		}
	}
	return d
}

// The masked resize against a float64 reference written from its
// definition: sum of w*d over valid sources / sum of w over valid sources,
// valid when that weight exceeds 0.5.
func TestResizeDepthMasked(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range [][4]int{{12, 16, 36, 48}, {12, 16, 7, 9}, {13, 17, 20, 11}, {5, 5, 5, 5}} {
		h, w, H, W := c[0], c[1], c[2], c[3]
		d := randomDepth(r, h, w)
		got := resizeDepth(d, h, w, H, W)
		coord := func(o, n, N int) (int, int, float64) {
			s := math.Max((float64(o)+0.5)*float64(n)/float64(N)-0.5, 0)
			i0 := int(s)
			if i0 > n-1 {
				i0 = n - 1
			}
			return i0, min(i0+1, n-1), s - float64(i0)
		}
		for y := range H {
			y0, y1, fy := coord(y, h, H)
			for x := range W {
				x0, x1, fx := coord(x, w, W)
				var num, den float64
				for _, q := range [][3]float64{
					{float64(y0*w + x0), 1 - fy, 1 - fx}, {float64(y0*w + x1), 1 - fy, fx},
					{float64(y1*w + x0), fy, 1 - fx}, {float64(y1*w + x1), fy, fx},
				} {
					if v := float64(d[int(q[0])]); v > 0 {
						num += q[1] * q[2] * v
						den += q[1] * q[2]
					}
				}
				want := 0.0
				if den > 0.5 {
					want = num / den
				}
				if g := float64(got[y*W+x]); math.Abs(g-want) > 1e-5*math.Max(1, want) {
					t.Fatalf("%dx%d -> %dx%d at (%d,%d): want %v, got %v", h, w, H, W, x, y, want, g)
				}
			}
		}
	}
}

// Constant valid depth stays exactly that value up to the border of an
// invalid region (a plain bilinear resize pulls it toward 0 there), and the
// region stays invalid.
func TestResizeDepthBorder(t *testing.T) {
	h, w := 8, 10
	d := make([]float32, h*w)
	for i := range d {
		d[i] = 3
	}
	for y := 2; y < 6; y++ {
		for x := 3; x < 7; x++ {
			d[y*w+x] = 0
		}
	}
	got := resizeDepth(d, h, w, 32, 40)
	zeros := 0
	for i, v := range got {
		if v != 0 && math.Abs(float64(v)-3) > 1e-6 {
			t.Fatalf("pixel %d: %v, want 3 or 0", i, v)
		}
		if v == 0 {
			zeros++
		}
	}
	// 4x scale: the invalid 4x4 block covers outputs 8..23 x 12..27; the 0.5
	// threshold keeps that square but its 4 corners, where the invalid
	// weight is 0.625^2 < 0.5.
	assert.Equal(t, 16*16-4, zeros)
	for y := 8; y < 24; y++ {
		for x := 12; x < 28; x++ {
			corner := (y == 8 || y == 23) && (x == 12 || x == 27)
			require.Equal(t, corner, got[y*40+x] != 0, "(%d,%d)", x, y)
		}
	}
	// Shrinking keeps the mean of valid pixels too.
	for _, v := range resizeDepth(d, h, w, 3, 4) {
		require.True(t, v == 0 || math.Abs(float64(v)-3) < 1e-6, "%v", v)
	}
}

func TestResizeNormals(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	h, w := 9, 12
	hw := h * w
	n := make([]float32, 3*hw)
	for i := range hw {
		v := [3]float64{r.NormFloat64(), r.NormFloat64(), -2 - r.Float64()}
		l := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
		for c := range 3 {
			n[c*hw+i] = float32(v[c] / l)
		}
	}
	for y := 3; y < 6; y++ { // a zero (invalid) block
		for x := 4; x < 8; x++ {
			for c := range 3 {
				n[c*hw+y*w+x] = 0
			}
		}
	}
	for _, c := range [][2]int{{9, 12}, {27, 36}, {20, 7}, {4, 5}} {
		H, W := c[0], c[1]
		got := resizeNormals(n, h, w, H, W)
		HW := H * W
		zeros := 0
		for i := range HW {
			x, y, z := float64(got[i]), float64(got[HW+i]), float64(got[2*HW+i])
			l := math.Sqrt(x*x + y*y + z*z)
			if l == 0 {
				zeros++
				continue
			}
			require.InDelta(t, 1, l, 1e-6, "%dx%d pixel %d", H, W, i)
		}
		assert.Positive(t, zeros, "%dx%d: the invalid block stays invalid", H, W)
		assert.Less(t, zeros, HW/4, "%dx%d", H, W)
	}
	// 3x upsampling: the block's interior (3x4 native -> 9x12) is zero.
	got := resizeNormals(n, h, w, 27, 36)
	for y := 10; y < 17; y++ {
		for x := 13; x < 23; x++ {
			require.Zero(t, got[2*27*36+y*36+x], "(%d,%d)", x, y)
		}
	}
}
