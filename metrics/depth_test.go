package metrics

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDepthHandComputed(t *testing.T) {
	d := NewDepth()
	gt := []float32{0, 1, 2, 4}      // pixel 0 invalid
	pred := []float32{5, 1.5, 2, -1} // -1 clamps to 1e-9
	require.NoError(t, d.Add(pred, gt, 2, 2))
	require.NoError(t, d.Add([]float32{3}, []float32{float32(math.NaN())}, 1, 1)) // invalid
	r := d.Result()
	p := DepthEps
	require.Equal(t, int64(3), r.Pixels)
	require.Equal(t, 2, r.Images)
	require.InDelta(t, math.Sqrt((0.25+0+(4-p)*(4-p))/3), float64(r.RMSE), 1e-12)
	require.InDelta(t, (0.5+0+(4-p)/4)/3, float64(r.AbsRel), 1e-12)
	l := math.Log(1.5)*math.Log(1.5) + math.Pow(math.Log(4)-math.Log(p), 2)
	require.InDelta(t, math.Sqrt(l/3), float64(r.LogRMSE), 1e-12)

	// Merge equals sequential.
	a, b := NewDepth(), NewDepth()
	require.NoError(t, a.Add(pred[:2], gt[:2], 1, 2))
	require.NoError(t, b.Add(pred[2:], gt[2:], 1, 2))
	a.Merge(b)
	require.InDelta(t, float64(r.RMSE), float64(a.Result().RMSE), 1e-15)
}

func TestDepthAllInvalid(t *testing.T) {
	d := NewDepth()
	require.NoError(t, d.Add([]float32{1, 2}, []float32{0, -1}, 1, 2))
	r := d.Result()
	require.Equal(t, int64(0), r.Pixels)
	require.Equal(t, 1, r.Images)
	require.False(t, r.RMSE.Valid() || r.AbsRel.Valid() || r.LogRMSE.Valid())
	b, err := json.Marshal(r)
	require.NoError(t, err)
	require.JSONEq(t, `{"rmse":null,"abs_rel":null,"log_rmse":null,"pixels":0,"images":1}`, string(b))
}

func TestDepthErrors(t *testing.T) {
	d := NewDepth()
	nan := float32(math.NaN())
	require.ErrorContains(t, d.Add([]float32{1, nan}, []float32{1, 1}, 1, 2), "prediction NaN at pixel (1, 0)")
	require.NoError(t, d.Add([]float32{1, nan}, []float32{1, 0}, 1, 2)) // NaN where invalid is fine
	require.ErrorContains(t, d.Add([]float32{1}, []float32{1, 1}, 1, 2), "want 2")
}
