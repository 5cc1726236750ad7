package cuda_test

import (
	"fmt"
	"math"
	"testing"

	"allnet/engine/backend"
	"github.com/stretchr/testify/require"
)

// reduceCase reduces shape over the dimensions in axes.
type reduceCase struct {
	shape []int
	axes  []int
}

// reduceCases cover every kernel path: tiny rows (a thread per row), short
// rows (a warp per row), long rows split over blocks (with and without
// float4 loads), columns, columns split over blocks, middle dimensions,
// several groups, nothing and everything reduced, and size-1 dimensions.
var reduceCases = []reduceCase{
	{[]int{100, 5}, []int{1}},
	{[]int{37, 301}, []int{1}},
	{[]int{3, 20011}, []int{1}},
	{[]int{2, 16384}, []int{1}},
	{[]int{301, 37}, []int{0}},
	{[]int{5000, 3}, []int{0}},
	{[]int{5, 77, 9}, []int{1}},
	{[]int{6, 5, 7, 9}, []int{0, 2}},
	{[]int{6, 5, 7, 9}, []int{1, 3}},
	{[]int{6, 5, 7, 9}, []int{0, 1, 2, 3}},
	{[]int{4, 1, 6, 3}, []int{1, 3}},
	{[]int{4, 6}, nil},
	{[]int{1, 1}, []int{0, 1}},
	{[]int{0, 5}, []int{0}},
}

// TestReduceTwins compares sum and max with the CPU twin (float64 sums) on
// NaN-poisoned outputs; max must match exactly, and a NaN in the input
// makes its output NaN on both.
func TestReduceTwins(t *testing.T) {
	c, g := twins(t)
	r := rng(t)
	for _, tc := range reduceCases {
		n := backend.NumElements(tc.shape)
		x := randn(r, n, 1)
		dstShape := append([]int(nil), tc.shape...)
		for _, k := range tc.axes {
			dstShape[k] = 1
		}
		m := backend.NumElements(dstShape)
		for _, op := range []backend.ReduceOp{backend.ReduceSum, backend.ReduceMax} {
			xin := x
			if op == backend.ReduceMax && n > 10 {
				xin = append([]float32(nil), x...)
				for i := range xin {
					xin[i] -= 10
				}
				xin[n/3] = float32(math.NaN())
			}
			run := func(be backend.Backend, dst backend.Buffer) []float32 {
				be.Reduce(op, dst, dstShape, upload(be, xin), tc.shape)
				return download(be, dst)
			}
			want := run(c, c.Alloc(backend.Float32, m))
			got := run(g, poisoned(g, m))
			what := fmt.Sprintf("Reduce %v %v over %v", op, tc.shape, tc.axes)
			if op == backend.ReduceMax {
				ewRequireBits(t, what, got, want)
			} else {
				requireClose(t, what, got, want, 1e-6)
			}
		}
	}
}

// TestReducePanics checks the shape checks.
func TestReducePanics(t *testing.T) {
	g := newEmu(t)
	x := g.Alloc(backend.Float32, 6)
	require.PanicsWithValue(t, "cuda: Reduce: dst shape [2 2] is not a reduction of src shape [2 3]",
		func() { g.Reduce(backend.ReduceSum, g.Alloc(backend.Float32, 4), []int{2, 2}, x, []int{2, 3}) })
	require.PanicsWithValue(t, "cuda: Reduce: dst shape [6] and src shape [2 3] differ in rank",
		func() { g.Reduce(backend.ReduceMax, x, []int{6}, x, []int{2, 3}) })
}

// TestReduceScratchReturned checks that the partial results of split
// reductions go back to the allocator.
func TestReduceScratchReturned(t *testing.T) {
	g := newEmu(t)
	rows, rowsOut := g.Alloc(backend.Float32, 3*20011), g.Alloc(backend.Float32, 3)
	cols, colsOut := g.Alloc(backend.Float32, 5000*3), g.Alloc(backend.Float32, 3)
	before := g.Stats()
	g.Reduce(backend.ReduceSum, rowsOut, []int{3, 1}, rows, []int{3, 20011})
	g.Reduce(backend.ReduceMax, colsOut, []int{1, 3}, cols, []int{5000, 3})
	after := g.Stats()
	require.Equal(t, before.Allocs+2, after.Allocs, "one partial buffer per split reduction")
	require.Equal(t, before.InUse, after.InUse, "partials returned")
}
