package metrics

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTaskSetMergeEqualsSequentialAdds checks that merging per-image sets
// gives the same results as adding every image to one set, and that tasks
// not in the spec stay absent.
func TestTaskSetMergeEqualsSequentialAdds(t *testing.T) {
	spec := TaskSetSpec{Tasks: []string{TaskSemseg, TaskDepth}, Classes: 3}
	whole := spec.New()
	merged := spec.New()
	preds := [][]int32{{0, 1, 2, 2}, {1, 1, 0, 2}}
	gts := [][]int32{{0, 1, 1, 2}, {1, 255, 0, 0}}
	depthP := [][]float32{{1, 2, 3, 4}, {2, 2, 2, 2}}
	depthG := [][]float32{{1, 0, 3, 5}, {1, 2, 3, 0}}
	for i := range preds {
		require.NoError(t, whole.Semseg.Add(preds[i], gts[i], 2, 2))
		require.NoError(t, whole.Depth.Add(depthP[i], depthG[i], 2, 2))
		one := spec.New()
		require.NoError(t, one.Semseg.Add(preds[i], gts[i], 2, 2))
		require.NoError(t, one.Depth.Add(depthP[i], depthG[i], 2, 2))
		require.NoError(t, merged.Merge(one))
	}
	got, want := merged.Results(), whole.Results()
	require.Equal(t, want, got)
	require.NotNil(t, got.Semseg)
	require.NotNil(t, got.Depth)
	require.Nil(t, got.Normals)
	require.Nil(t, got.Edge)
	require.Nil(t, got.Restored)
}

func TestEdgeMaxDistFor(t *testing.T) {
	require.Equal(t, EdgeMaxDistNYUD, EdgeMaxDistFor("nyud", []string{TaskEdge}))
	require.Equal(t, EdgeMaxDistPASCAL, EdgeMaxDistFor("pascal", []string{TaskEdge}))
	require.Equal(t, EdgeMaxDistPASCAL, EdgeMaxDistFor("synthetic", []string{TaskEdge, TaskSal}))
	require.Equal(t, EdgeMaxDistNYUD, EdgeMaxDistFor("synthetic", []string{TaskEdge, TaskDepth}))
}
