package engine

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// goldenTols are the replay tolerances of PyTorch fixtures per dtype.
var goldenTols = []struct {
	dt  DType
	tol float64
}{{Float64, 1e-10}, {Float32, 1e-5}}

// goldenInput returns the case's tensor name as dt, requiring grad, or nil
// when the case lacks it.
func goldenInput(t *testing.T, c goldenCase, name string, dt DType) *Tensor {
	t.Helper()
	if !c.has(name) {
		return nil
	}
	return c.tensor(t, name, dt).SetRequiresGrad(true)
}

// goldenBackward back-propagates sum(out * r) with the case's r.
func goldenBackward(t *testing.T, c goldenCase, out *Tensor) {
	t.Helper()
	SumAll(Mul(out, c.tensor(t, "r", out.DType()))).Backward()
}

// goldenGrad checks x's gradient against the case's tensor name (skipped when
// x is nil).
func goldenGrad(t *testing.T, c goldenCase, name string, x *Tensor, tol float64) {
	t.Helper()
	if x == nil {
		return
	}
	require.NotNil(t, x.Grad(), "%s: %s missing", c.Name, name)
	require.Equal(t, c.Tensors[name].Shape, x.Grad().Shape(), "%s: %s shape", c.Name, name)
	closeTo(t, c.Name+" "+name, x.Grad(), c.values(t, name), tol)
}

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
			if c.attrBool("log") {
				out = LogSoftmax(x, c.attrInt(t, "axis"))
			} else {
				out = Softmax(x, c.attrInt(t, "axis"))
			}
			closeTo(t, c.Name+" out", out, c.values(t, "out"), tc.tol)
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
