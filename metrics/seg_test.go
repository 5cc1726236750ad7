package metrics

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSegmentationHandComputed(t *testing.T) {
	// K = 4; class 2 never appears in ground truth or prediction; class 3
	// appears only in predictions. 255 in ground truth is skipped; 255 and 9
	// in predictions are wrong (FN of the ground-truth class).
	s := NewSegmentation(4)
	gt1 := []int32{0, 0, 1, 1, 255, 0}
	pr1 := []int32{0, 1, 1, 1, 3, 255}
	gt2 := []int32{1, 1, 0, 255}
	pr2 := []int32{1, 9, 3, 0}
	require.NoError(t, s.Add(pr1, gt1, 2, 3))
	require.NoError(t, s.Add(pr2, gt2, 2, 2))
	r := s.Result()
	// class 0: gt pixels: img1 #0 (pred 0, TP), #1 (pred 1, FN), #5 (pred 255, FN); img2 #2 (pred 3, FN)
	//   TP 1, FN 3, FP 0 -> 1/4
	// class 1: gt: img1 #2 #3 (TP TP), img2 #0 (TP), #1 (pred 9, FN); FP: img1 #1 -> TP 3, FN 1, FP 1 -> 3/5
	// class 2: absent. class 3: TP 0, FP 1 (img2 #2) -> 0
	require.InDelta(t, 0.25, float64(r.PerClass[0]), 1e-15)
	require.InDelta(t, 0.6, float64(r.PerClass[1]), 1e-15)
	require.False(t, r.PerClass[2].Valid())
	require.Equal(t, Float(0), r.PerClass[3])
	require.Equal(t, []int{2}, r.Absent)
	require.InDelta(t, (0.25+0.6+0)/3, float64(r.MIoU), 1e-15)
	require.Equal(t, int64(8), r.Pixels)
	require.InDelta(t, 4.0/8, float64(r.PixelAcc), 1e-15)
	require.Equal(t, 2, r.Images)

	b, err := json.Marshal(r)
	require.NoError(t, err)
	require.Contains(t, string(b), `"per_class":[0.25,0.6,null,0]`)
	require.Contains(t, string(b), `"absent":[2]`)

	// Merge of per-image accumulators equals the sequential one.
	a, c := NewSegmentation(4), NewSegmentation(4)
	require.NoError(t, a.Add(pr1, gt1, 2, 3))
	require.NoError(t, c.Add(pr2, gt2, 2, 2))
	require.NoError(t, a.Merge(c))
	ra := a.Result()
	require.Equal(t, r.MIoU, ra.MIoU)
	require.Equal(t, r.Absent, ra.Absent)
	require.Error(t, a.Merge(NewSegmentation(3)))
}

func TestSegmentationErrorsAndEmpty(t *testing.T) {
	s := NewSegmentation(3)
	require.ErrorContains(t, s.Add([]int32{0, 0}, []int32{0, 3}, 1, 2), "ground truth 3 at pixel (1, 0)")
	require.ErrorContains(t, s.Add([]int32{0}, []int32{0, 1}, 1, 2), "prediction has 1 values, want 2")
	require.Equal(t, 0, s.Result().Images)
	r := s.Result()
	require.True(t, math.IsNaN(float64(r.MIoU)))
	require.Equal(t, []int{0, 1, 2}, r.Absent)
	require.Panics(t, func() { NewSegmentation(0) })
}
