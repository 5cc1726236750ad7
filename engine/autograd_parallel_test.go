package engine

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// withBackwardWorkers runs fn with Backward on n goroutines.
func withBackwardWorkers(t *testing.T, n int, fn func()) {
	t.Helper()
	prev := SetBackwardWorkers(n)
	defer SetBackwardWorkers(prev)
	fn()
}

// branchyGrads builds a graph with parallel branches that meet again (a
// tensor used by several consumers, one of them twice, and a leaf used in
// two branches), runs Backward on n goroutines and returns every leaf's
// gradient.
func branchyGrads(t *testing.T, n int) [][]float32 {
	g := NewGenerator(4)
	x := g.Normal(CPU(), Float32, 3, 5).SetRequiresGrad(true)
	w := g.Normal(CPU(), Float32, 5, 4).SetRequiresGrad(true)
	b := g.Normal(CPU(), Float32, 4).SetRequiresGrad(true)
	var out [][]float32
	withBackwardWorkers(t, n, func() {
		h := Tanh(MatMul(x, w, false, false))
		left := Mul(Add(h, b), h)
		right := Exp(Scale(Sub(h, b), 0.3))
		mid := Mul(Sigmoid(h), Add(left, right))
		loss := Add(SumAll(Mul(mid, mid)), Add(SumAll(left), MeanAll(Mul(right, Sum(x, true, 1)))))
		loss.Backward()
		out = [][]float32{x.Grad().Float32s(), w.Grad().Float32s(), b.Grad().Float32s()}
	})
	return out
}

// TestParallelBackwardIsBitExact checks that Backward on several goroutines
// gives the same gradients, bit for bit, as the sequential pass: the
// contributions to a tensor's gradient are summed in the same order.
func TestParallelBackwardIsBitExact(t *testing.T) {
	want := branchyGrads(t, 1)
	for _, n := range []int{2, 4} {
		for run := range 5 {
			got := branchyGrads(t, n)
			for i := range want {
				for j := range want[i] {
					if math.Float32bits(want[i][j]) != math.Float32bits(got[i][j]) {
						t.Fatalf("%d workers, run %d: leaf %d element %d: %g, sequential %g", n, run, i, j, got[i][j], want[i][j])
					}
				}
			}
		}
	}
}

// TestParallelBackwardPanics checks that a panic in a backward function
// running on a worker reaches the caller of Backward, and that the graph
// is released as in the sequential pass.
func TestParallelBackwardPanics(t *testing.T) {
	withBackwardWorkers(t, 2, func() {
		x := FromFloat64(CPU(), []float64{1, 2}, 2).SetRequiresGrad(true)
		y := Square(x)
		SumAll(Add(Exp(y), Tanh(y))).Backward()
		sech2 := func(v float64) float64 { return 1 - math.Tanh(v)*math.Tanh(v) }
		require.InDeltaSlice(t, []float64{2 * (math.Exp(1) + sech2(1)), 4 * (math.Exp(4) + sech2(4))}, x.Grad().Float64s(), 1e-10)
		require.PanicsWithValue(t, "engine: Backward through a graph that an earlier Backward already released",
			func() { SumAll(Mul(y, Tanh(y))).Backward() })
	})
}
