package cuda_test

import (
	"slices"
	"testing"

	"allnet/engine"
	"allnet/engine/cuda"
	"allnet/engine/optim"
	"github.com/stretchr/testify/require"
)

// TestTrainingMemoryFlat trains a small network (conv, layer norm, GELU,
// linear, cross-entropy, AdamW) for 100 steps on the emulated device (the GPU in bench/gpu) and checks through the
// allocator's statistics that device memory does not grow after warm-up:
// intermediate buffers come back (explicit frees and the paced garbage
// collections) and are reused from the cache.
func TestTrainingMemoryFlat(t *testing.T) {
	const steps = 100
	b := realDevice(t) // the GPU in the cuda build (bench/gpu), else a fresh emulated device
	if b == nil {
		b = freshEmu(t, 0)
	}
	b.SetGCEvery(1 << 20)
	defer b.SetGCEvery(cuda.DefaultGCEvery)
	r := rng(t)
	const n, c, h, w, classes = 2, 4, 6, 6, 3
	param := func(name string, scale float64, shape ...int) *engine.Tensor {
		size := 1
		for _, d := range shape {
			size *= d
		}
		return engine.Param(name, engine.FromFloat32(b, randn(r, size, scale), shape...))
	}
	conv := param("conv", 0.3, c, 3, 3, 3)
	gamma, beta := param("gamma", 0.1, c), param("beta", 0.1, c)
	fc := param("fc", 0.3, classes, c)
	x := engine.FromFloat32(b, randn(r, n*3*h*w, 1), n, 3, h, w)
	labels := make([]int32, n*h*w)
	for i := range labels {
		labels[i] = int32(r.IntN(classes))
	}
	y := engine.FromInt32(b, labels, n*h*w)
	opt, err := optim.NewAdamW([]*engine.Tensor{conv, gamma, beta, fc}, optim.AdamWConfig{LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	require.NoError(t, err)

	var reserved []int64
	var first, last float64
	for step := 0; step < steps; step++ {
		f := engine.Conv2d(x, conv, nil, engine.ConvOptions{Padding: [2]int{1, 1}})
		tok := engine.Reshape(engine.Permute(f, 0, 2, 3, 1), n, h*w, c) // (n, tokens, c)
		tok = engine.GELU(engine.LayerNorm(tok, gamma, beta, 1e-6))
		logits := engine.Linear(engine.Reshape(tok, n*h*w, c), fc, nil)
		loss := engine.Mean(engine.CrossEntropy(logits, y, -100), false)
		if step == 0 {
			first = loss.Item()
		}
		last = loss.Item()
		opt.ZeroGrad()
		loss.Backward()
		opt.Step()
		reserved = append(reserved, b.Stats().Reserved)
	}
	require.Less(t, last, first, "the network trains (loss %.4f -> %.4f)", first, last)
	// Paced collections free buffers in batches, so the reserve wobbles a
	// little; a leak of even a few buffers per step would add megabytes.
	warm := slices.Max(reserved[10:30])
	require.LessOrEqual(t, float64(slices.Max(reserved[30:])), 1.1*float64(warm),
		"device memory grew after warm-up: at most %d B reserved in steps 11-30, %d B at step 100", warm, reserved[99])
	s := b.Stats()
	require.Greater(t, s.Hits, s.Allocs/2, "most allocations are served from the cache (%d of %d)", s.Hits, s.Allocs)
	t.Logf("reserved after steps 1, 30, 100: %d, %d, %d B; peak in use %d B; cache hits %d of %d allocations",
		reserved[0], warm, reserved[99], s.Peak, s.Hits, s.Allocs)
}
