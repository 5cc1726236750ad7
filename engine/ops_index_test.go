package engine

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine/backend"
)

// topKRef ranks each row of cols values: larger first, NaN largest, lower
// index first on ties.
func topKRef(x []float64, cols, k int) ([]float64, []int32) {
	vals, idx := []float64{}, []int32{}
	for r := 0; r < len(x)/cols; r++ {
		row := x[r*cols : (r+1)*cols]
		order := make([]int, cols)
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool {
			va, vb := row[order[a]], row[order[b]]
			if math.IsNaN(va) || math.IsNaN(vb) {
				return math.IsNaN(va) && !math.IsNaN(vb)
			}
			return va > vb
		})
		for _, i := range order[:k] {
			vals = append(vals, row[i])
			idx = append(idx, int32(i))
		}
	}
	return vals, idx
}

// withTies rounds N(0, 1) values to one decimal so that rows hold ties.
func withTies(rng *rand.Rand, shape ...int) *Tensor {
	x := randT(rng, shape...)
	v := x.Float64s()
	for i := range v {
		v[i] = math.Round(v[i]*2) / 2
	}
	return FromFloat64(CPU(), v, shape...)
}

func TestTopKValuesAndTies(t *testing.T) {
	rng := testRNG(t)
	x := withTies(rng, 2, 3, 7)
	for _, k := range []int{0, 1, 3, 7} {
		for _, dt := range []DType{Float64, Float32} {
			vals, idx := TopK(x.Cast(dt), k)
			require.Equal(t, []int{2, 3, k}, vals.Shape())
			require.Equal(t, []int{2, 3, k}, idx.Shape())
			require.Equal(t, Int32, idx.DType())
			wv, wi := topKRef(x.Float64s(), 7, k)
			require.Equal(t, wi, idx.Int32s(), "k=%d %v", k, dt)
			require.Equal(t, wv, vals.Float64s(), "k=%d %v", k, dt)
		}
	}
	nan := math.NaN()
	v, i := TopK(FromFloat64(CPU(), []float64{1, nan, 3, 3}, 1, 4), 3)
	require.Equal(t, []int32{1, 2, 3}, i.Int32s())
	require.True(t, math.IsNaN(v.Float64s()[0]))
}

func TestTopKGradients(t *testing.T) {
	rng := testRNG(t)
	x := randT(rng, 3, 2, 6)
	gradCheck(t, func(xs []*Tensor) *Tensor { v, _ := TopK(xs[0], 4); return v }, x)
	// The gradient lands exactly on the chosen positions.
	y := FromFloat64(CPU(), []float64{5, 1, 5, 3}, 1, 4).SetRequiresGrad(true)
	v, _ := TopK(y, 2)
	SumAll(Mul(v, FromFloat64(CPU(), []float64{10, 20}, 1, 2))).Backward()
	require.Equal(t, []float64{10, 0, 20, 0}, y.Grad().Float64s())
}

func TestTopKMisuse(t *testing.T) {
	x := Zeros(2, 3)
	require.PanicsWithValue(t, "engine: TopK: k=4 along the last axis of shape [2 3]", func() { TopK(x, 4) })
	require.Panics(t, func() { TopK(x, -1) })
	require.Panics(t, func() { TopK(Zeros(), 1) })
	require.Panics(t, func() { TopK(FromInt32(CPU(), []int32{1, 2}, 2), 1) })
}

// gatherRef is out[a, i, b] = x[a, idx[a, i, b], b] for x (outer, dim, inner).
func gatherRef(x []float64, idx []int32, outer, dim, m, inner int) []float64 {
	out := make([]float64, outer*m*inner)
	for a := 0; a < outer; a++ {
		for i := 0; i < m; i++ {
			for b := 0; b < inner; b++ {
				p := (a*m+i)*inner + b
				out[p] = x[(a*dim+int(idx[p]))*inner+b]
			}
		}
	}
	return out
}

// randIndex returns int32 positions in [0, n) with x's shape except m along
// axis (repeats likely).
func randIndex(rng *rand.Rand, shape []int, axis, m, n int) *Tensor {
	s := append([]int(nil), shape...)
	s[axis] = m
	v := make([]int32, backend.NumElements(s))
	for i := range v {
		v[i] = int32(rng.IntN(n))
	}
	return FromInt32(CPU(), v, s...)
}

func TestGatherValues(t *testing.T) {
	rng := testRNG(t)
	shape := []int{3, 4, 5}
	x := randT(rng, shape...)
	for _, axis := range []int{0, 1, 2, -1} {
		a := (axis + 3) % 3
		outer, inner := 1, 1
		for _, d := range shape[:a] {
			outer *= d
		}
		for _, d := range shape[a+1:] {
			inner *= d
		}
		for _, m := range []int{1, 2, 6} {
			idx := randIndex(rng, shape, a, m, shape[a])
			want := gatherRef(x.Float64s(), idx.Int32s(), outer, shape[a], m, inner)
			got := Gather(x, axis, idx)
			require.Equal(t, idx.Shape(), got.Shape())
			require.Equal(t, want, got.Float64s(), "axis %d m %d", axis, m)
			closeTo(t, "float32", Gather(x.Cast(Float32), axis, idx), want, 1e-7)
		}
	}
	xi := FromInt32(CPU(), []int32{7, 8, 9, 10}, 2, 2)
	g := Gather(xi, 1, FromInt32(CPU(), []int32{1, 1, 0, 0, 1, 1}, 2, 3))
	require.Equal(t, Int32, g.DType())
	require.Equal(t, []int32{8, 8, 7, 9, 10, 10}, g.Int32s())
}

func TestGatherGradients(t *testing.T) {
	rng := testRNG(t)
	x := randT(rng, 3, 4, 5)
	for _, axis := range []int{0, 1, 2} {
		idx := randIndex(rng, x.Shape(), axis, 7, x.Dim(axis)) // repeats add up
		gradCheck(t, func(xs []*Tensor) *Tensor { return Gather(xs[0], axis, idx) }, x)
	}
}

func TestGatherMisuse(t *testing.T) {
	x := Zeros(2, 3)
	require.PanicsWithValue(t, "engine: Gather: index [3 3] for x [2 3] on axis 1 (want x's shape except along axis, same device)",
		func() { Gather(x, 1, FromInt32(CPU(), make([]int32, 9), 3, 3)) })
	require.Panics(t, func() { Gather(x, 0, Zeros(2, 3)) })
	require.Panics(t, func() { Gather(x, 2, FromInt32(CPU(), make([]int32, 6), 2, 3)) })
	require.Panics(t, func() { Gather(x, 1, FromInt32(CPU(), []int32{0, 3}, 2, 1)) })
}

// argMaxRef returns the first maximal position along axis a of x (dims).
func argMaxRef(x []float64, dims []int, a int) []int32 {
	outer, inner := 1, 1
	for _, d := range dims[:a] {
		outer *= d
	}
	for _, d := range dims[a+1:] {
		inner *= d
	}
	n := dims[a]
	out := make([]int32, outer*inner)
	for o := 0; o < outer; o++ {
		for b := 0; b < inner; b++ {
			best := 0
			for i := 1; i < n; i++ {
				v, w := x[(o*n+i)*inner+b], x[(o*n+best)*inner+b]
				if !math.IsNaN(w) && (math.IsNaN(v) || v > w) {
					best = i
				}
			}
			out[o*inner+b] = int32(best)
		}
	}
	return out
}

func TestArgMaxTiesAndAxes(t *testing.T) {
	rng := testRNG(t)
	dims := []int{3, 4, 5}
	x := withTies(rng, dims...)
	for _, axis := range []int{0, 1, 2, -1} {
		a := (axis + 3) % 3
		want := argMaxRef(x.Float64s(), dims, a)
		got := ArgMax(x, axis)
		s := append(append([]int{}, dims[:a]...), dims[a+1:]...)
		require.Equal(t, s, got.Shape())
		require.Equal(t, want, got.Int32s(), "axis %d", axis)
		require.Equal(t, want, ArgMax(x.Cast(Float32), axis).Int32s())
	}
	y := FromFloat64(CPU(), []float64{2, 2, 1, 0, math.NaN(), 3}, 2, 3).SetRequiresGrad(true)
	got := ArgMax(y, 1)
	require.Equal(t, []int32{0, 1}, got.Int32s())
	require.False(t, got.RequiresGrad())
	require.Panics(t, func() { ArgMax(y, 2) })
	require.Panics(t, func() { ArgMax(Zeros(2, 0), 1) })
}
