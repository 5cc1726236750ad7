package metrics

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConvTriHand(t *testing.T) {
	// r = 1 is [1 2 1]/4 with symmetric padding: at the border the outside
	// neighbour repeats the edge value.
	src := []float32{1, 0, 0, 0, 0, 4}
	dst, tmp := make([]float32, 6), make([]float32, 6)
	convTri(dst, src, tmp, 1, 6, 1) // one row: only the vertical pass's padding (itself) matters
	require.InDeltaSlice(t, []float64{0.75, 0.25, 0, 0, 1, 3}, f64(dst), 1e-7)
	// r = 2 is [1 2 3 2 1]/9.
	src = []float32{0, 0, 9, 0, 0}
	dst, tmp = make([]float32, 5), make([]float32, 5)
	convTri(dst, src, tmp, 5, 1, 2) // a column
	require.InDeltaSlice(t, []float64{1, 2, 3, 2, 1}, f64(dst), 1e-6)
	require.Equal(t, []int{1, 0, 0, 2, 2, 1}, []int{reflect(-2, 3), reflect(-1, 3), reflect(0, 3), reflect(3, 3), reflect(2, 3), reflect(4, 3)})
}

func f64(a []float32) []float64 {
	b := make([]float64, len(a))
	for i, v := range a {
		b[i] = float64(v)
	}
	return b
}

func TestGradient2Hand(t *testing.T) {
	// 2 x 3: x derivative central inside, one-sided at the ends; y one-sided.
	src := []float32{1, 2, 4, 3, 3, 3}
	gx, gy := make([]float32, 6), make([]float32, 6)
	gradient2(gx, gy, src, 2, 3)
	require.Equal(t, []float32{1, 1.5, 2, 0, 0, 0}, gx)
	require.Equal(t, []float32{2, 1, -1, 2, 1, -1}, gy)
}

func TestEdgeNMSKeepsTheRidgeOfAVerticalLine(t *testing.T) {
	h, w := 20, 20
	pred := make([]float32, h*w)
	for y := 0; y < h; y++ {
		pred[y*w+10] = 1
	}
	out := make([]float32, h*w)
	edgeNMS(out, pred, h, w, 0, &nmsWork{})
	for y := 6; y < h-6; y++ { // away from the border ramp
		require.InDelta(t, 0.5, out[y*w+10], 1e-6, "ridge at row %d", y) // convTri(1) peak
		require.Zero(t, out[y*w+9])
		require.Zero(t, out[y*w+11])
	}
	// Border suppression: the map is scaled by distance/5 within 5 pixels of
	// the border, so row 0 is zero and row 2 keeps 2/5.
	require.Zero(t, out[10])
	require.InDelta(t, 0.5*2/5, out[2*w+10], 1e-6)
	for i, v := range out {
		if i%w != 10 {
			require.Zero(t, v, "pixel %d", i)
		}
	}
}

func TestEdgeNMSOrientationOfADiagonal(t *testing.T) {
	// A diagonal ridge: the orientation across it is 45 or 135 degrees and
	// its neighbours across are suppressed.
	h, w := 24, 24
	pred := make([]float32, h*w)
	for i := 0; i < h; i++ {
		pred[i*w+i] = 1
	}
	out := make([]float32, h*w)
	nw := &nmsWork{}
	edgeNMS(out, pred, h, w, 0, nw)
	o := nw.ox[12*w+12]
	require.InDelta(t, 3*math.Pi/4, float64(o), 0.1) // normal to the line y = x
	require.Greater(t, out[12*w+12], float32(0))
	require.Zero(t, out[12*w+13])
	require.Zero(t, out[13*w+12])
}
