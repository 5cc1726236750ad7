package engine

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSumMeanMax(t *testing.T) {
	x := FromFloat64(CPU(), []float64{1, 5, 3, 4, 2, 6}, 2, 3)
	require.Equal(t, []float64{9, 12}, Sum(x, false, 1).Float64s())
	require.Equal(t, []int{2, 1}, Sum(x, true, -1).Shape())
	require.Equal(t, []float64{5, 7, 9}, Sum(x, false, 0).Float64s())
	require.Equal(t, 21.0, SumAll(x).Item())
	require.Equal(t, []int{}, SumAll(x).Shape())
	require.Equal(t, 3.5, MeanAll(x).Item())
	require.Equal(t, []float64{5, 6}, Max(x, false, 1).Float64s())
	require.Equal(t, []float64{4, 5, 6}, Max(x, false, 0).Float64s())
	require.Panics(t, func() { Sum(x, false, 2) })
	require.Panics(t, func() { Sum(x, false, 1, -1) })
}

func TestReduceGradients(t *testing.T) {
	rng := testRNG(t)
	x := randT(rng, 2, 3, 4)
	for _, axes := range [][]int{{0}, {1}, {2}, {0, 2}, {}} {
		gradCheck(t, func(xs []*Tensor) *Tensor { return Sum(xs[0], false, axes...) }, x)
		gradCheck(t, func(xs []*Tensor) *Tensor { return Mean(xs[0], true, axes...) }, x)
		gradCheck(t, func(xs []*Tensor) *Tensor { return Max(xs[0], false, axes...) }, x)
	}
}

func TestMaxGradientSharesTies(t *testing.T) {
	x := FromFloat64(CPU(), []float64{2, 1, 2}, 3).SetRequiresGrad(true)
	SumAll(Max(x, false)).Backward()
	require.Equal(t, []float64{0.5, 0, 0.5}, x.Grad().Float64s())
}

func TestShapeOpsForward(t *testing.T) {
	x := FromFloat64(CPU(), []float64{0, 1, 2, 3, 4, 5}, 2, 3)
	require.Equal(t, []float64{0, 3, 1, 4, 2, 5}, Transpose(x, 0, 1).Float64s())
	require.Equal(t, []float64{1, 2, 4, 5}, Slice(x, 1, 1, 3).Float64s())
	c := Concat(0, x, Slice(x, 0, 1, 2))
	require.Equal(t, []int{3, 3}, c.Shape())
	require.Equal(t, []float64{0, 1, 2, 3, 4, 5, 3, 4, 5}, c.Float64s())
	p := Pad(x, -1, [2]int{0, 1}, [2]int{1, 0})
	require.Equal(t, []int{3, 4}, p.Shape())
	require.Equal(t, []float64{-1, 0, 1, 2, -1, 3, 4, 5, -1, -1, -1, -1}, p.Float64s())
	parts := Split(x, 1, 1, 2)
	require.Equal(t, []float64{0, 3}, parts[0].Float64s())
	require.Equal(t, []float64{1, 2, 4, 5}, parts[1].Float64s())
	require.Equal(t, []int{3, 2}, Reshape(x, -1, 2).Shape())
	require.Equal(t, []float64{0, 1, 2, 0, 1, 2}, Expand(Slice(x, 0, 0, 1), 2, 3).Float64s())
	require.Equal(t, []int{6}, Flatten(x, 0, 1).Shape())
	require.Equal(t, []int{2, 1, 3}, Unsqueeze(x, 1).Shape())
	require.Panics(t, func() { Reshape(x, 4, 2) })
	require.Panics(t, func() { Split(x, 1, 1, 1) })
	require.Panics(t, func() { Permute(x, 0, 0) })
}

func TestPixelShuffleMatchesDefinition(t *testing.T) {
	// out[n, c, h*r+i, w*r+j] = in[n, c*r*r + i*r + j, h, w]
	rng := testRNG(t)
	n, c, r, h, w := 2, 3, 2, 3, 4
	x := randT(rng, n, c*r*r, h, w)
	xv := x.Float64s()
	want := make([]float64, len(xv))
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			for y := 0; y < h*r; y++ {
				for z := 0; z < w*r; z++ {
					src := ((b*c*r*r+ch*r*r+(y%r)*r+z%r)*h+y/r)*w + z/r
					want[((b*c+ch)*h*r+y)*w*r+z] = xv[src]
				}
			}
		}
	}
	closeTo(t, "pixel_shuffle", PixelShuffle(x, r), want, 0)
	gradCheck(t, func(xs []*Tensor) *Tensor { return PixelShuffle(xs[0], r) }, x)
}

func TestShapeOpGradients(t *testing.T) {
	rng := testRNG(t)
	x := randT(rng, 2, 3, 4)
	y := randT(rng, 2, 2, 4)
	gradCheck(t, func(xs []*Tensor) *Tensor { return Permute(xs[0], 2, 0, 1) }, x)
	gradCheck(t, func(xs []*Tensor) *Tensor { return Slice(xs[0], 2, 1, 3) }, x)
	gradCheck(t, func(xs []*Tensor) *Tensor { return Concat(1, xs[0], xs[1]) }, x, y)
	gradCheck(t, func(xs []*Tensor) *Tensor { return Pad(xs[0], 0.5, [2]int{1, 0}, [2]int{0, 2}, [2]int{1, 1}) }, x)
	gradCheck(t, func(xs []*Tensor) *Tensor { return Expand(Slice(xs[0], 1, 0, 1), 2, 5, 4) }, x)
	gradCheck(t, func(xs []*Tensor) *Tensor {
		p := Split(xs[0], 1, 2, 1)
		return Mul(p[0], Expand(p[1], 2, 2, 4))
	}, x)
}

func TestMatMulAndLinear(t *testing.T) {
	rng := testRNG(t)
	a := randT(rng, 2, 3, 4)
	b := randT(rng, 4, 5)
	out := MatMul(a, b, false, false)
	require.Equal(t, []int{2, 3, 5}, out.Shape())
	av, bv := a.Float64s(), b.Float64s()
	want := make([]float64, 30)
	for n := 0; n < 2; n++ {
		for i := 0; i < 3; i++ {
			for j := 0; j < 5; j++ {
				var s float64
				for k := 0; k < 4; k++ {
					s += av[n*12+i*4+k] * bv[k*5+j]
				}
				want[n*15+i*5+j] = s
			}
		}
	}
	closeTo(t, "matmul", out, want, 1e-14)
	// Transposed operands give the same product.
	closeTo(t, "matmul^T", MatMul(Transpose(a, 1, 2), Transpose(b, 0, 1), true, true), want, 1e-14)
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		x := randT(rng, 2, 1, 4, 4)
		y := randT(rng, 3, 4, 4)
		gradCheck(t, func(xs []*Tensor) *Tensor { return MatMul(xs[0], xs[1], tr[0], tr[1]) }, x, y)
	}
	x := randT(rng, 2, 3, 4)
	w := randT(rng, 5, 4)
	bias := randT(rng, 5)
	lin := Linear(x, w, bias)
	ref := Add(MatMul(x, w, false, true), bias)
	closeTo(t, "linear", lin, ref.Float64s(), 1e-14)
	gradCheck(t, func(xs []*Tensor) *Tensor { return Linear(xs[0], xs[1], xs[2]) }, x, w, bias)
	gradCheck(t, func(xs []*Tensor) *Tensor { return Linear(xs[0], xs[1], nil) }, x, w)
	require.PanicsWithValue(t, "engine: MatMul: inner dimensions differ: [2 3 4] (transA=false) and [5 4] (transB=false)",
		func() { MatMul(a, w, false, false) })
}
