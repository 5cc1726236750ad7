package engine

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// softmaxRef is the composition exp(x) / sum(exp(x)) (or its log) along axis.
func softmaxRef(x *Tensor, axis int, log bool) *Tensor {
	e := Exp(x)
	s := Div(e, Sum(e, true, axis))
	if log {
		return Log(s)
	}
	return s
}

func TestSoftmaxForwardMatchesComposition(t *testing.T) {
	rng := testRNG(t)
	x := randT(rng, 3, 4, 5)
	for _, axis := range []int{0, 1, 2, -1, -3} {
		for _, log := range []bool{false, true} {
			what := fmt.Sprintf("axis %d log %v", axis, log)
			var got *Tensor
			if log {
				got = LogSoftmax(x, axis)
			} else {
				got = Softmax(x, axis)
			}
			require.Equal(t, x.Shape(), got.Shape(), what)
			want := softmaxRef(x, axis, log).Float64s()
			closeTo(t, what, got, want, 1e-12)
			x32 := x.Cast(Float32)
			if log {
				got = LogSoftmax(x32, axis)
			} else {
				got = Softmax(x32, axis)
			}
			closeTo(t, what+" float32", got, want, 1e-6)
		}
	}
}

func TestSoftmaxLargeInputsStayFinite(t *testing.T) {
	x := FromFloat64(CPU(), []float64{1000, 1001, 999, -1000}, 2, 2)
	closeTo(t, "softmax", Softmax(x, 1), []float64{0.2689414213699951, 0.7310585786300049, 1, 0}, 1e-12)
	closeTo(t, "log_softmax", LogSoftmax(x, 0), []float64{-0.31326168751822286, 0, -1.3132616875182228, -2001}, 1e-12)
}

func TestSoftmaxGradients(t *testing.T) {
	rng := testRNG(t)
	x := randT(rng, 3, 4, 5)
	for _, axis := range []int{0, 1, -1} {
		gradCheck(t, func(xs []*Tensor) *Tensor { return Softmax(xs[0], axis) }, x)
		gradCheck(t, func(xs []*Tensor) *Tensor { return LogSoftmax(xs[0], axis) }, x)
	}
}

func TestSoftmaxGolden(t *testing.T) {
	for _, c := range loadGolden(t, "softmax") {
		for _, tc := range goldenTols {
			x := goldenInput(t, c, "x", tc.dt)
			var out *Tensor
			if c.AttrBool("log") {
				out = LogSoftmax(x, c.AttrInt(t, "axis"))
			} else {
				out = Softmax(x, c.AttrInt(t, "axis"))
			}
			closeTo(t, c.Name+" out", out, c.Values(t, "out"), tc.tol)
			goldenBackward(t, c, out)
			goldenGrad(t, c, "grad_x", x, tc.tol)
		}
	}
}

func TestSoftmaxMisuse(t *testing.T) {
	x := Zeros(2, 3)
	require.PanicsWithValue(t, "engine: Softmax: axis 2 out of range for shape [2 3]", func() { Softmax(x, 2) })
	require.Panics(t, func() { LogSoftmax(x, -3) })
	require.Panics(t, func() { Softmax(FromInt32(CPU(), []int32{1, 2}, 2), 0) })
}
