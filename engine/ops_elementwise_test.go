package engine

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBinaryBroadcastForwardAndGrad(t *testing.T) {
	rng := testRNG(t)
	cases := []struct {
		name string
		f    func(a, b *Tensor) *Tensor
		ref  func(a, b float64) float64
	}{
		{"add", Add, func(a, b float64) float64 { return a + b }},
		{"sub", Sub, func(a, b float64) float64 { return a - b }},
		{"mul", Mul, func(a, b float64) float64 { return a * b }},
		{"div", Div, func(a, b float64) float64 { return a / b }},
		{"maximum", Maximum, math.Max},
		{"minimum", Minimum, math.Min},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := randT(rng, 2, 3, 4)
			b := randT(rng, 3, 1)
			if c.name == "div" {
				// Keep the divisor away from zero.
				b = FromFloat64(CPU(), []float64{1.5, -2, 0.7}, 3, 1).SetRequiresGrad(true)
			}
			out := c.f(a, b)
			require.Equal(t, []int{2, 3, 4}, out.Shape())
			av, bv := a.Float64s(), b.Float64s()
			want := make([]float64, 24)
			for i := range want {
				want[i] = c.ref(av[i], bv[(i/4)%3])
			}
			closeTo(t, c.name, out, want, 1e-15)
			gradCheck(t, func(xs []*Tensor) *Tensor { return c.f(xs[0], xs[1]) }, a, b)
		})
	}
}

func TestUnaryForwardAndGrad(t *testing.T) {
	rng := testRNG(t)
	cases := []struct {
		name     string
		f        func(x *Tensor) *Tensor
		ref      func(x float64) float64
		positive bool
	}{
		{"neg", Neg, func(x float64) float64 { return -x }, false},
		{"abs", Abs, math.Abs, false},
		{"exp", Exp, math.Exp, false},
		{"log", Log, math.Log, true},
		{"sqrt", Sqrt, math.Sqrt, true},
		{"square", Square, func(x float64) float64 { return x * x }, false},
		{"recip", Recip, func(x float64) float64 { return 1 / x }, true},
		{"relu", ReLU, func(x float64) float64 { return math.Max(x, 0) }, false},
		{"gelu", GELU, func(x float64) float64 { return x * 0.5 * math.Erfc(-x/math.Sqrt2) }, false},
		{"silu", SiLU, func(x float64) float64 { return x / (1 + math.Exp(-x)) }, false},
		{"sigmoid", Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, false},
		{"tanh", Tanh, math.Tanh, false},
		{"softplus", Softplus, func(x float64) float64 { return math.Log(1 + math.Exp(x)) }, false},
		{"scale", func(x *Tensor) *Tensor { return Scale(x, -2.5) }, func(x float64) float64 { return -2.5 * x }, false},
		{"add_scalar", func(x *Tensor) *Tensor { return AddScalar(x, 3) }, func(x float64) float64 { return x + 3 }, false},
		{"pow", func(x *Tensor) *Tensor { return Pow(x, 1.7) }, func(x float64) float64 { return math.Pow(x, 1.7) }, true},
		{"clamp", func(x *Tensor) *Tensor { return Clamp(x, -0.5, 0.4) }, func(x float64) float64 { return math.Min(math.Max(x, -0.5), 0.4) }, false},
		{"one_minus", OneMinus, func(x float64) float64 { return 1 - x }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := randT(rng, 3, 5)
			if c.positive {
				x = Abs(x).Detach()
				x = AddScalar(x, 0.2).Detach().SetRequiresGrad(true)
			}
			xv := x.Float64s()
			want := make([]float64, len(xv))
			for i, v := range xv {
				want[i] = c.ref(v)
			}
			closeTo(t, c.name, c.f(x), want, 1e-14)
			gradCheck(t, func(xs []*Tensor) *Tensor { return c.f(xs[0]) }, x)
		})
	}
}

func TestComparisonsHaveNoGradient(t *testing.T) {
	a := FromFloat64(CPU(), []float64{1, 2, 3}, 3).SetRequiresGrad(true)
	b := FromFloat64(CPU(), []float64{3, 2, 1}, 3)
	require.Equal(t, []float64{0, 1, 0}, Equal(a, b).Float64s())
	require.Equal(t, []float64{0, 0, 1}, Greater(a, b).Float64s())
	require.Equal(t, []float64{0, 1, 1}, GreaterEqual(a, b).Float64s())
	require.Equal(t, []float64{0, 0, 1}, GreaterScalar(a, 2).Float64s())
	require.Equal(t, []float64{1, 0, 1}, NotEqualScalar(a, 2).Float64s())
	require.False(t, Equal(a, b).RequiresGrad())
	require.False(t, Sign(a).RequiresGrad())
}

func TestBroadcastMismatchPanicsWithShapes(t *testing.T) {
	a := Zeros(2, 3)
	b := Zeros(4)
	require.PanicsWithValue(t, "engine: add: shapes [2 3] and [4] do not broadcast", func() { Add(a, b) })
}

func TestGradientAccumulatesAcrossBackward(t *testing.T) {
	x := FromFloat64(CPU(), []float64{1, 2}, 2).SetRequiresGrad(true)
	SumAll(Square(x)).Backward()
	SumAll(Square(x)).Backward()
	require.Equal(t, []float64{4, 8}, x.Grad().Float64s())
	x.ZeroGrad()
	require.Nil(t, x.Grad())
}

func TestNoGradBuildsNoGraph(t *testing.T) {
	x := FromFloat64(CPU(), []float64{1, 2}, 2).SetRequiresGrad(true)
	var y *Tensor
	NoGrad(func() { y = Square(x) })
	require.False(t, y.RequiresGrad())
	require.True(t, GradEnabled())
	require.True(t, Square(x).RequiresGrad())
}

func TestSharedSubexpressionGradient(t *testing.T) {
	// y = x*x + x uses x three times; dy/dx = 2x + 1.
	x := FromFloat64(CPU(), []float64{0.5, -3}, 2).SetRequiresGrad(true)
	SumAll(Add(Mul(x, x), x)).Backward()
	require.InDeltaSlice(t, []float64{2, -5}, x.Grad().Float64s(), 1e-15)
}

func TestSecondBackwardThroughReleasedGraphPanics(t *testing.T) {
	x := FromFloat64(CPU(), []float64{1}, 1).SetRequiresGrad(true)
	y := Square(x)
	z := SumAll(Exp(y))
	z.Backward()
	require.Panics(t, func() { SumAll(Mul(y, y)).Backward() })
}
