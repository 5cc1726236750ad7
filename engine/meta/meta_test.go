package meta_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine"
	"allnet/engine/backend"
	"allnet/engine/meta"
)

func TestNotRegisteredAndDownload(t *testing.T) {
	_, err := backend.Open("meta")
	require.Error(t, err, "a backend that computes nothing must not be selectable by --device")
	for _, info := range backend.Registered() {
		require.NotEqual(t, "meta", info.Name)
	}

	m := meta.New()
	f := m.Alloc(backend.Float32, 4)
	m.Upload(f, []float32{1, 2, 3, 4})
	got := []float32{9, 9, 9, 9}
	m.Download(got, f)
	require.Equal(t, []float32{0, 0, 0, 0}, got)

	i := m.Alloc(backend.Int32, 3)
	m.SetIndexFill(2)
	idx := make([]int32, 3)
	m.Download(idx, i)
	require.Equal(t, []int32{2, 2, 2}, idx)

	require.Panics(t, func() { m.Upload(f, []float32{1}) })       // wrong length
	require.Panics(t, func() { m.Download(make([]int32, 4), f) }) // wrong dtype
}

func TestChecksLengths(t *testing.T) {
	m := meta.New()
	a, c := m.Alloc(backend.Float32, 6), m.Alloc(backend.Float32, 4)
	// (2x3) @ (3x2) needs B of 6 elements: 5 is too short.
	short := m.Alloc(backend.Float32, 5)
	g := backend.GemmArgs{M: 2, N: 2, K: 3, Batch: 1, Alpha: 1, A: a, LDA: 3, B: short, LDB: 2, C: c, LDC: 2}
	require.Panics(t, func() { m.Gemm(g) })
	g.B = a
	require.NotPanics(t, func() { m.Gemm(g) })
	require.Panics(t, func() {
		m.Copy(backend.Contiguous(c, []int{2, 3}), backend.Contiguous(a, []int{2, 3}), []int{2, 3}, false)
	})
	require.Panics(t, func() { m.Unary(backend.ReLU, c, a, 0) })
	require.Panics(t, func() { engine.CPU().Fill(a, 1) }) // a meta buffer on the CPU
}

func TestOpsShapesAndFLOPs(t *testing.T) {
	run := func(dev backend.Backend) ([]int, engine.FLOPCount) {
		var shape []int
		n := engine.CountFLOPs(func() {
			x := engine.New(dev, engine.Float32, 2, 6, 9, 7)
			w := engine.New(dev, engine.Float32, 8, 3, 3, 3)
			y := engine.Conv2d(x, w, nil, engine.ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 2})
			y = engine.GELU(y)
			v := engine.Reshape(engine.Permute(y, 0, 2, 3, 1), 2, 5*4, 8)
			o := engine.ScaledDotProductAttention(v, v, v, nil, 0)
			shape = engine.Resize(engine.Reshape(o, 2, 5, 4, 8), 3, 3).Shape()
		})
		return shape, n
	}
	cpuShape, cpuN := run(engine.CPU())
	metaShape, metaN := run(meta.New())
	require.Equal(t, []int{2, 5, 3, 3}, metaShape)
	require.Equal(t, cpuShape, metaShape)
	require.Equal(t, cpuN, metaN)
	require.Positive(t, metaN.Attention)
}

func TestMoveTo(t *testing.T) {
	m := meta.New()
	w := engine.Param("w", engine.Full(engine.CPU(), engine.Float32, 1, 5, 4))
	w.MoveTo(m)
	require.Equal(t, "meta", w.Backend().Name())
	require.Equal(t, []float32{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, w.Float32s())
	y := engine.Linear(engine.New(m, engine.Float32, 3, 4), w, nil)
	require.Equal(t, []int{3, 5}, y.Shape())
	require.Panics(t, func() { y.MoveTo(engine.CPU()) }) // not a leaf
}
