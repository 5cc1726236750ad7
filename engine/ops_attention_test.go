package engine

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// attentionRef is softmax(scale q k^T + bias) v composed from MatMul, Add
// and Softmax (bias broadcast by Add; nil for none).
func attentionRef(q, k, v, bias *Tensor, scale float64) *Tensor {
	s := Scale(MatMul(q, k, false, true), scale)
	if bias != nil {
		s = Add(s, bias)
	}
	return MatMul(Softmax(s, -1), v, false, false)
}

// attnCases are bias layouts for q (2, 3, 4, 5), k (2, 3, 6, 5), v (2, 3, 6, 2).
var attnCases = []struct {
	name string
	bias []int // nil: no bias
}{
	{"none", nil},
	{"shared", []int{4, 6}},
	{"full", []int{2, 3, 4, 6}},
	{"per head", []int{3, 4, 6}},
	{"per head rank 4", []int{1, 3, 4, 6}},
	{"per image (expanded)", []int{2, 1, 4, 6}},
	{"key padding (expanded)", []int{2, 1, 1, 6}},
	{"row vector", []int{6}},
}

func TestAttentionForwardMatchesComposition(t *testing.T) {
	rng := testRNG(t)
	q, k, v := randT(rng, 2, 3, 4, 5), randT(rng, 2, 3, 6, 5), randT(rng, 2, 3, 6, 2)
	for _, c := range attnCases {
		var bias *Tensor
		if c.bias != nil {
			bias = randT(rng, c.bias...)
		}
		for _, scale := range []float64{0, 0.3} {
			s := scale
			if s == 0 {
				s = 1 / math.Sqrt(5)
			}
			want := attentionRef(q, k, v, bias, s).Float64s()
			got := ScaledDotProductAttention(q, k, v, bias, scale)
			require.Equal(t, []int{2, 3, 4, 2}, got.Shape(), c.name)
			closeTo(t, c.name, got, want, 1e-12)
			var b32 *Tensor
			if bias != nil {
				b32 = bias.Cast(Float32)
			}
			closeTo(t, c.name+" float32", ScaledDotProductAttention(q.Cast(Float32), k.Cast(Float32), v.Cast(Float32), b32, scale), want, 1e-5)
		}
	}
	// Without leading dimensions.
	q2, k2, v2 := randT(rng, 3, 4), randT(rng, 5, 4), randT(rng, 5, 6)
	closeTo(t, "2-D", ScaledDotProductAttention(q2, k2, v2, nil, 0), attentionRef(q2, k2, v2, nil, 0.5).Float64s(), 1e-12)
}

func TestAttentionGradients(t *testing.T) {
	rng := testRNG(t)
	q, k, v := randT(rng, 2, 3, 4, 5), randT(rng, 2, 3, 6, 5), randT(rng, 2, 3, 6, 2)
	for _, c := range attnCases {
		if c.bias == nil {
			gradCheck(t, func(xs []*Tensor) *Tensor { return ScaledDotProductAttention(xs[0], xs[1], xs[2], nil, 0) }, q, k, v)
			continue
		}
		bias := randT(rng, c.bias...)
		f := func(xs []*Tensor) *Tensor { return ScaledDotProductAttention(xs[0], xs[1], xs[2], xs[3], 0.4) }
		gradCheck(t, f, q, k, v, bias)
		// A bias that does not require grad.
		gradCheck(t, f, q, k, v, bias.Clone())
	}
}

func TestAttentionMask(t *testing.T) {
	rng := testRNG(t)
	q, k, v := randT(rng, 2, 3, 4), randT(rng, 2, 5, 4), randT(rng, 2, 5, 3)
	inf := math.Inf(-1)
	// Row 0 masks keys 1 and 3, row 1 masks everything, row 2 nothing.
	mask := FromFloat64(CPU(), []float64{
		0, inf, 0, inf, 0,
		inf, inf, inf, inf, inf,
		0, 0, 0, 0, 0,
	}, 3, 5).SetRequiresGrad(true)
	out := ScaledDotProductAttention(q, k, v, mask, 0)
	got := out.Float64s()
	for b := 0; b < 2; b++ {
		require.Equal(t, []float64{0, 0, 0}, got[b*9+3:b*9+6], "fully masked row gives zeros")
	}
	// The other rows match the composition (whose fully masked row is NaN).
	want := attentionRef(q, k, v, mask, 0.5).Float64s()
	for b := 0; b < 2; b++ {
		for _, r := range []int{0, 2} {
			i := b*9 + r*3
			closeTo(t, "masked rows", FromFloat64(CPU(), got[i:i+3], 3), want[i:i+3], 1e-12)
		}
	}
	gradCheck(t, func(xs []*Tensor) *Tensor { return ScaledDotProductAttention(xs[0], xs[1], xs[2], xs[3], 0) }, q, k, v, mask)
	for _, g := range []*Tensor{q.Grad(), k.Grad(), v.Grad(), mask.Grad()} {
		for _, x := range g.Float64s() {
			require.False(t, math.IsNaN(x) || math.IsInf(x, 0))
		}
	}
	mg := mask.Grad().Float64s()
	for _, i := range []int{1, 3, 5, 6, 7, 8, 9} {
		require.Zero(t, mg[i], "masked bias entry %d gets no gradient", i)
	}
}

func TestAttentionGolden(t *testing.T) {
	for _, c := range loadGolden(t, "attention") {
		for _, tc := range goldenTols {
			q, k, v := goldenInput(t, c, "q", tc.dt), goldenInput(t, c, "k", tc.dt), goldenInput(t, c, "v", tc.dt)
			var bias *Tensor
			if c.Has("bias") {
				b := c.Tensors["bias"]
				vals := append([]float64(nil), b.Data...)
				if c.Has("mask") {
					for i, m := range c.Values(t, "mask") {
						if m != 0 {
							vals[i] = math.Inf(-1)
						}
					}
				}
				bias = FromValues(CPU(), tc.dt, vals, b.Shape...).SetRequiresGrad(true)
			}
			out := ScaledDotProductAttention(q, k, v, bias, c.AttrFloat(t, "scale_arg"))
			closeTo(t, c.Name+" out", out, c.Values(t, "out"), tc.tol)
			goldenBackward(t, c, out)
			goldenGrad(t, c, "grad_q", q, tc.tol)
			goldenGrad(t, c, "grad_k", k, tc.tol)
			goldenGrad(t, c, "grad_v", v, tc.tol)
			goldenGrad(t, c, "grad_bias", bias, tc.tol)
		}
	}
}

func TestAttentionMisuse(t *testing.T) {
	q, k, v := Zeros(2, 3, 4), Zeros(2, 5, 4), Zeros(2, 5, 6)
	require.PanicsWithValue(t, "engine: ScaledDotProductAttention: q [2 3 4], k [2 5 3], v [2 5 6] (want (..., Lq, D), (..., Lk, D), (..., Lk, DV))",
		func() { ScaledDotProductAttention(q, Zeros(2, 5, 3), v, nil, 0) })
	require.Panics(t, func() { ScaledDotProductAttention(q, k, Zeros(2, 4, 6), nil, 0) })
	require.Panics(t, func() { ScaledDotProductAttention(q, Zeros(3, 5, 4), v, nil, 0) })
	require.Panics(t, func() { ScaledDotProductAttention(Zeros(3), Zeros(3), Zeros(3), nil, 0) })
	require.PanicsWithValue(t, "engine: ScaledDotProductAttention: bias [3 4] does not broadcast to scores [2 3 5]",
		func() { ScaledDotProductAttention(q, k, v, Zeros(3, 4), 0) })
	require.Panics(t, func() { ScaledDotProductAttention(q, k, v, Zeros(3, 2, 3, 5), 0) })
	require.Panics(t, func() { ScaledDotProductAttention(q, k, v, New(CPU(), Float64, 3, 5), 0) })
}

func TestAttentionBiasLayout(t *testing.T) {
	lead := []int{2, 3}
	q := Zeros(2, 3, 4, 5)
	for _, c := range []struct {
		shape    []int
		inPlace  bool
		batchDiv int
	}{
		{[]int{4, 6}, true, 1},
		{[]int{1, 1, 4, 6}, true, 1},
		{[]int{3, 4, 6}, true, 3},
		{[]int{1, 3, 4, 6}, true, 3},
		{[]int{2, 3, 4, 6}, true, 6},
		{[]int{2, 1, 4, 6}, false, 6},
		{[]int{1, 6}, false, 6},
	} {
		bias := Zeros(c.shape...)
		b, bb := attnBias("test", q, bias, lead, 4, 6)
		require.Equal(t, c.batchDiv, bb, "%v", c.shape)
		require.Equal(t, c.inPlace, b == bias, "%v", c.shape)
		require.Equal(t, bb*4*6, b.Len(), "%v", c.shape)
	}
}
