package allnet

import (
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine"
	"allnet/engine/backend/backendtest"
)

func TestSKFFMatchesPyTorch(t *testing.T) {
	keys, tensors := tcrCase(t, "skff")
	s := NewSKFF("", 8, engine.NewGenerator(1))
	checkModuleAgainstGolden(t, s, keys, tensors, []string{"out"}, func(p, j *engine.Tensor) []*engine.Tensor {
		return []*engine.Tensor{s.Forward(p, j)}
	})
}

func TestSKFFEqualLogitsGiveMean(t *testing.T) {
	rng := backendtest.RNG(t.Name())
	s := NewSKFF("fuse", 16, engine.NewGenerator(2))
	p := tcrRandn(rng, engine.Float32, 2, 16, 3, 5)
	j := tcrRandn(rng, engine.Float32, 2, 16, 3, 5)

	// Random weights: s1 + s2 = 1, but not 1/2.
	s1, s2 := s.Weights(p, j)
	require.Equal(t, []int{2, 16, 1, 1}, s1.Shape())
	backendtest.Close(t, "s1 + s2", engine.Add(s1, s2).Float64s(), engine.Full(engine.CPU(), engine.Float32, 1, 2, 16, 1, 1).Float64s(), 1e-6)
	require.Greater(t, relErr(s1.Float64s(), engine.Full(engine.CPU(), engine.Float32, 0.5, 2, 16, 1, 1).Float64s()), 1e-3)
	mean := engine.Scale(engine.Add(p, j), 0.5).Float64s()
	require.Greater(t, relErr(s.Forward(p, j).Float64s(), mean), 1e-3)

	// Equal logits (fcs.1 = fcs.0): s1 = s2 = 1/2, the mean.
	s.FC[1].Weight.CopyFrom(s.FC[0].Weight)
	s1, _ = s.Weights(p, j)
	backendtest.Close(t, "s1", s1.Float64s(), engine.Full(engine.CPU(), engine.Float32, 0.5, 2, 16, 1, 1).Float64s(), 1e-6)
	backendtest.Close(t, "fused", s.Forward(p, j).Float64s(), mean, 1e-6)

	require.Equal(t, []string{"fuse.conv_du.0.weight", "fuse.conv_du.1.weight", "fuse.fcs.0.weight", "fuse.fcs.1.weight"}, namesOfSKFF(s.Parameters()))
	require.Equal(t, []int{4, 16, 1, 1}, s.Down.Weight.Shape(), "d = max(C/8, 4)")
	require.Panics(t, func() { s.Forward(p, engine.Zeros(2, 16, 3, 4)) })
}

func namesOfSKFF(ps []*engine.Tensor) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}
