package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// normalsImage packs (x, y, z) triples into a (3, 1, n) channels-first map.
func normalsImage(v ...[3]float32) []float32 {
	n := len(v)
	out := make([]float32, 3*n)
	for i, p := range v {
		out[i], out[n+i], out[2*n+i] = p[0], p[1], p[2]
	}
	return out
}

func TestNormalsHandComputed(t *testing.T) {
	up := [3]float32{0, 0, 1}
	gt := normalsImage(up, up, up, up, up, [3]float32{0, 0, 0})
	pred := normalsImage(
		[3]float32{0, 0, 2},  // 0 degrees (length does not matter)
		[3]float32{1, 0, 0},  // 90
		[3]float32{0, 0, 0},  // zero-length prediction: 90
		[3]float32{0, 0, -1}, // 180
		[3]float32{1, 0, 1},  // 45
		[3]float32{1, 0, 0},  // invalid ground truth: skipped
	)
	a := NewNormals()
	require.NoError(t, a.Add(pred, gt, 1, 6))
	r := a.Result()
	require.Equal(t, int64(5), r.Pixels)
	require.InDelta(t, (0+90+90+180+45)/5.0, float64(r.Mean), 1e-12)
	require.InDelta(t, math.Sqrt((0+8100+8100+32400+2025)/5.0), float64(r.RMSE), 1e-12)
	require.InDelta(t, 90, float64(r.Median), medianTol)
	require.InDelta(t, 0.2, float64(r.Within11), 1e-15)
	require.InDelta(t, 0.2, float64(r.Within22), 1e-15)
	require.InDelta(t, 0.2, float64(r.Within30), 1e-15)

	// Even count: the median is the mean of the two middle angles.
	b := NewNormals()
	require.NoError(t, b.Add(normalsImage([3]float32{1, 0, 0}, [3]float32{1, 0, 1}), normalsImage(up, up), 1, 2))
	require.InDelta(t, (90+45)/2.0, float64(b.Result().Median), medianTol)
	require.Equal(t, Float(0), b.Result().Within30) // 45 and 90: neither under 30
	b.Merge(a)
	require.Equal(t, int64(7), b.Result().Pixels)
	// angles 0, 45, 45, 90, 90, 90, 180: median 90
	require.InDelta(t, 90, float64(b.Result().Median), medianTol)
}

func TestNormalsAllInvalidAndErrors(t *testing.T) {
	a := NewNormals()
	require.NoError(t, a.Add(make([]float32, 6), make([]float32, 6), 1, 2))
	r := a.Result()
	require.Equal(t, int64(0), r.Pixels)
	require.False(t, r.Mean.Valid() || r.Median.Valid() || r.Within30.Valid())
	nan := float32(math.NaN())
	err := a.Add(normalsImage([3]float32{nan, 0, 1}), normalsImage([3]float32{0, 0, 1}), 1, 1)
	require.ErrorContains(t, err, "prediction (NaN, 0, 1) at pixel (0, 0)")
}

func TestNormalAngleAgreesWithAcos(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		var p, g [3]float64
		var pn, gn float64
		for j := range p {
			p[j], g[j] = rng.NormFloat64(), rng.NormFloat64()
			pn += p[j] * p[j]
			gn += g[j] * g[j]
		}
		dot := (p[0]*g[0] + p[1]*g[1] + p[2]*g[2]) / math.Sqrt(pn*gn)
		want := math.Acos(dot) * 180 / math.Pi
		require.InDelta(t, want, NormalAngle(p[0], p[1], p[2], g[0], g[1], g[2]), 1e-9)
	}
}

func TestNormalsMedianMatchesSortedAngles(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 1001
	pred, gt := make([]float32, 3*n), make([]float32, 3*n)
	for i := range pred {
		pred[i], gt[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	a := NewNormals()
	require.NoError(t, a.Add(pred, gt, 1, n))
	angles := make([]float64, n)
	for i := 0; i < n; i++ {
		angles[i] = NormalAngle(float64(pred[i]), float64(pred[n+i]), float64(pred[2*n+i]),
			float64(gt[i]), float64(gt[n+i]), float64(gt[2*n+i]))
	}
	slices.Sort(angles)
	require.InDelta(t, angles[n/2], float64(a.Result().Median), medianTol)
}

// medianTol is the documented bound on the median (half a bin), plus rounding.
const medianTol = NormalsBinWidth/2 + 1e-9

// TestNormalsErrorLeavesAccumulatorUnchanged checks that a prediction with a
// NaN after some valid pixels is rejected without counting those pixels (in
// the histogram either: they would pull the median from 90 to 0 degrees).
func TestNormalsErrorLeavesAccumulatorUnchanged(t *testing.T) {
	a := NewNormals()
	// One 1x1 image at 90 degrees: pred (1,0,0) against gt (0,0,1).
	require.NoError(t, a.Add([]float32{1, 0, 0}, []float32{0, 0, 1}, 1, 1))
	before := a.Result()
	require.InDelta(t, 90, float64(before.Median), 0.001)
	// A 2x2 image whose first three pixels are perfect and whose last is NaN.
	gt := []float32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}
	bad := append([]float32(nil), gt...)
	bad[3] = float32(math.NaN())
	require.Error(t, a.Add(bad, gt, 2, 2))
	require.Equal(t, before, a.Result(), "a rejected image changed the accumulator")
}
