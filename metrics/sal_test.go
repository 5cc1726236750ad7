package metrics

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSaliencyHandComputed(t *testing.T) {
	s := NewSaliency()
	require.NoError(t, s.Add([]uint8{50, 100}, []float32{0, 1}, 1, 2))
	require.NoError(t, s.Add([]uint8{200, 255, 0}, []float32{1, 1, 0.5}, 1, 3)) // 0.5 is not > 0.5
	// Salient: 100, 200, 255. For t <= 50: PP 4, TP 3: P 3/4, R 1 -> F 0.975/1.225.
	// 51 <= t <= 100: PP 3, TP 3: F 1. 101..200: P 1, R 2/3. 201..255: P 1, R 1/3.
	r := s.Result()
	require.InDelta(t, 1, float64(r.MaxF), 1e-15)
	require.InDelta(t, 51.0/255, float64(r.Threshold), 1e-15)
	require.Equal(t, Float(1), r.Precision)
	require.Equal(t, Float(1), r.Recall)

	// Without the 50: the best threshold is the lowest, t = 1.
	s2 := NewSaliency()
	require.NoError(t, s2.Add([]uint8{100, 200, 10}, []float32{1, 0, 0}, 1, 3))
	// t <= 10: PP 3, TP 1: P 1/3, R 1 -> F = 1.3/3 / (0.1 + 1) = 0.3939...
	// 11..100: PP 2: P 1/2, R 1 -> F = 0.65/1.15. 101..200: TP 0 -> 0.
	r2 := s2.Result()
	require.InDelta(t, 0.65/1.15, float64(r2.MaxF), 1e-15)
	require.InDelta(t, 11.0/255, float64(r2.Threshold), 1e-15)

	// Merge adds the counts.
	s.Merge(s2)
	require.Equal(t, 3, s.Result().Images)
}

func TestSaliencyNoSalientPixel(t *testing.T) {
	s := NewSaliency()
	require.NoError(t, s.Add([]uint8{0, 255}, []float32{0, 0}, 1, 2))
	r := s.Result()
	require.Equal(t, Float(0), r.MaxF) // 0/0 recall: F counted as 0
	require.False(t, NewSaliency().Result().MaxF.Valid())
	require.ErrorContains(t, s.Add([]uint8{0}, []float32{0, 0}, 1, 2), "want 2")
}
