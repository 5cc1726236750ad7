package nn

import (
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine"
)

func TestConvertState(t *testing.T) {
	m := NewBatchNorm2d("bn", 3)
	m.Weight.CopyFrom(engine.FromFloat32(engine.CPU(), []float32{0.1, 2, -3}, 3))
	before := m.Weight
	names := Names(m)
	ConvertState(m, engine.Float64)
	require.Same(t, before, m.Weight, "converted in place")
	require.Equal(t, names, Names(m))
	for _, p := range m.Parameters() {
		require.Equal(t, engine.Float64, p.DType(), p.Name)
		require.True(t, p.RequiresGrad() && p.IsLeaf(), p.Name)
	}
	for _, b := range m.Buffers() {
		require.Equal(t, engine.Float64, b.DType(), b.Name)
		require.False(t, b.RequiresGrad(), b.Name)
	}
	require.Equal(t, []float64{float64(float32(0.1)), 2, -3}, m.Weight.Float64s())
	require.Equal(t, []float64{1, 1, 1}, m.RunningVar.Float64s())
	ConvertState(m, engine.Float32)
	require.Equal(t, []float32{0.1, 2, -3}, m.Weight.Float32s())
}
