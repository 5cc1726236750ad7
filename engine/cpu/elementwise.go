package cpu

import (
	"fmt"
	"math"

	"allnet/engine/backend"
)

const elemGrain = 32768

// Unary computes y = op(x; alpha).
func (*CPU) Unary(op backend.UnaryOp, y, x backend.Buffer, alpha float64) {
	checkLen("Unary", "y", y, x.Len())
	if isF64(x) {
		unary(op, floats[float64](y), floats[float64](x), alpha)
	} else {
		unary(op, floats[float32](y), floats[float32](x), alpha)
	}
}

// geluF32, when set, is a SIMD GELU for float32: y = GELU(x), and with dy
// set, y = dy * GELU'(x) instead.
var geluF32 func(y, x, dy []float32)

func unary[T Float](op backend.UnaryOp, y, x []T, alpha float64) {
	f := UnaryFunc(op)
	if g := geluF32; g != nil && op == backend.GELU {
		if y32, ok := any(y).([]float32); ok {
			x32 := any(x).([]float32)
			parallelFor(len(x), elemGrain, func(lo, hi int) { g(y32[lo:hi], x32[lo:hi], nil) })
			return
		}
	}
	parallelFor(len(x), elemGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = T(f(float64(x[i]), alpha))
		}
	})
}

// UnaryBackward computes dx = dy * op'(x; alpha).
func (*CPU) UnaryBackward(op backend.UnaryOp, dx, x, y, dy backend.Buffer, alpha float64) {
	n := dy.Len()
	checkLen("UnaryBackward", "dx", dx, n)
	if isF64(dy) {
		unaryBackward(op, floats[float64](dx), floats[float64](x), floats[float64](y), floats[float64](dy), alpha)
	} else {
		unaryBackward(op, floats[float32](dx), floats[float32](x), floats[float32](y), floats[float32](dy), alpha)
	}
}

func unaryBackward[T Float](op backend.UnaryOp, dx, x, y, dy []T, alpha float64) {
	d := UnaryDeriv(op)
	if g := geluF32; g != nil && op == backend.GELU && x != nil {
		if dx32, ok := any(dx).([]float32); ok {
			x32, dy32 := any(x).([]float32), any(dy).([]float32)
			parallelFor(len(dy), elemGrain, func(lo, hi int) { g(dx32[lo:hi], x32[lo:hi], dy32[lo:hi]) })
			return
		}
	}
	parallelFor(len(dy), elemGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var xi, yi float64
			if x != nil {
				xi = float64(x[i])
			}
			if y != nil {
				yi = float64(y[i])
			}
			dx[i] = T(float64(dy[i]) * d(xi, yi, alpha))
		}
	})
}

// UnaryFunc returns the scalar function of op in float64, the definition
// shared with the conformance references.
func UnaryFunc(op backend.UnaryOp) func(x, alpha float64) float64 {
	switch op {
	case backend.Neg:
		return func(x, _ float64) float64 { return -x }
	case backend.Abs:
		return func(x, _ float64) float64 { return math.Abs(x) }
	case backend.Sign:
		return func(x, _ float64) float64 {
			switch {
			case x > 0:
				return 1
			case x < 0:
				return -1
			}
			return 0
		}
	case backend.Exp:
		return func(x, _ float64) float64 { return math.Exp(x) }
	case backend.Log:
		return func(x, _ float64) float64 { return math.Log(x) }
	case backend.Sqrt:
		return func(x, _ float64) float64 { return math.Sqrt(x) }
	case backend.Square:
		return func(x, _ float64) float64 { return x * x }
	case backend.Recip:
		return func(x, _ float64) float64 { return 1 / x }
	case backend.ReLU:
		return func(x, _ float64) float64 { return math.Max(x, 0) }
	case backend.GELU:
		return func(x, _ float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }
	case backend.SiLU:
		return func(x, _ float64) float64 { return x * sigmoid(x) }
	case backend.Sigmoid:
		return func(x, _ float64) float64 { return sigmoid(x) }
	case backend.Tanh:
		return func(x, _ float64) float64 { return math.Tanh(x) }
	case backend.Softplus:
		return func(x, _ float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }
	case backend.Scale:
		return func(x, a float64) float64 { return a * x }
	case backend.AddScalar:
		return func(x, a float64) float64 { return x + a }
	case backend.PowScalar:
		return func(x, a float64) float64 { return math.Pow(x, a) }
	case backend.MaxScalar:
		return func(x, a float64) float64 { return math.Max(x, a) }
	case backend.MinScalar:
		return func(x, a float64) float64 { return math.Min(x, a) }
	case backend.GtScalar:
		return func(x, a float64) float64 { return b2f(x > a) }
	case backend.EqScalar:
		return func(x, a float64) float64 { return b2f(x == a) }
	case backend.NeScalar:
		return func(x, a float64) float64 { return b2f(x != a) }
	}
	panic(fmt.Sprintf("cpu: unknown unary op %v", op))
}

// UnaryDeriv returns op's derivative as a function of the input x, the
// output y and alpha.
func UnaryDeriv(op backend.UnaryOp) func(x, y, alpha float64) float64 {
	switch op {
	case backend.Neg:
		return func(_, _, _ float64) float64 { return -1 }
	case backend.Abs:
		return func(x, _, _ float64) float64 { return UnaryFunc(backend.Sign)(x, 0) }
	case backend.Exp:
		return func(_, y, _ float64) float64 { return y }
	case backend.Log:
		return func(x, _, _ float64) float64 { return 1 / x }
	case backend.Sqrt:
		return func(_, y, _ float64) float64 { return 0.5 / y }
	case backend.Square:
		return func(x, _, _ float64) float64 { return 2 * x }
	case backend.Recip:
		return func(_, y, _ float64) float64 { return -y * y }
	case backend.ReLU:
		return func(x, _, _ float64) float64 { return b2f(x > 0) }
	case backend.GELU:
		return func(x, _, _ float64) float64 {
			cdf := 0.5 * (1 + math.Erf(x/math.Sqrt2))
			pdf := math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi)
			return cdf + x*pdf
		}
	case backend.SiLU:
		return func(x, _, _ float64) float64 {
			s := sigmoid(x)
			return s * (1 + x*(1-s))
		}
	case backend.Sigmoid:
		return func(_, y, _ float64) float64 { return y * (1 - y) }
	case backend.Tanh:
		return func(_, y, _ float64) float64 { return 1 - y*y }
	case backend.Softplus:
		return func(x, _, _ float64) float64 { return sigmoid(x) }
	case backend.Scale:
		return func(_, _, a float64) float64 { return a }
	case backend.AddScalar:
		return func(_, _, _ float64) float64 { return 1 }
	case backend.PowScalar:
		return func(x, _, a float64) float64 { return a * math.Pow(x, a-1) }
	case backend.MaxScalar:
		return func(x, _, a float64) float64 { return b2f(x > a) }
	case backend.MinScalar:
		return func(x, _, a float64) float64 { return b2f(x < a) }
	case backend.Sign, backend.GtScalar, backend.EqScalar, backend.NeScalar:
		return func(_, _, _ float64) float64 { return 0 }
	}
	panic(fmt.Sprintf("cpu: unknown unary op %v", op))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// BinaryFunc returns the scalar function of op in float64.
func BinaryFunc(op backend.BinaryOp) func(a, b float64) float64 {
	switch op {
	case backend.Add:
		return func(a, b float64) float64 { return a + b }
	case backend.Sub:
		return func(a, b float64) float64 { return a - b }
	case backend.Mul:
		return func(a, b float64) float64 { return a * b }
	case backend.Div:
		return func(a, b float64) float64 { return a / b }
	case backend.Max:
		return math.Max
	case backend.Min:
		return math.Min
	case backend.Eq:
		return func(a, b float64) float64 { return b2f(a == b) }
	case backend.Gt:
		return func(a, b float64) float64 { return b2f(a > b) }
	case backend.Ge:
		return func(a, b float64) float64 { return b2f(a >= b) }
	}
	panic(fmt.Sprintf("cpu: unknown binary op %v", op))
}

// Binary computes out = op(a, b) with broadcasting through strides.
func (*CPU) Binary(op backend.BinaryOp, out backend.Buffer, shape []int, a, b backend.Strided) {
	if len(a.Strides) != len(shape) || len(b.Strides) != len(shape) {
		panic(fmt.Sprintf("cpu: Binary %v: shape %v with strides %v and %v", op, shape, a.Strides, b.Strides))
	}
	checkLen("Binary", "out", out, backend.NumElements(shape))
	if isF64(out) {
		binary(op, floats[float64](out), shape, floats[float64](a.Buf), a, floats[float64](b.Buf), b)
	} else {
		binary(op, floats[float32](out), shape, floats[float32](a.Buf), a, floats[float32](b.Buf), b)
	}
}

// binary walks out's rows (the last of the merged dimensions, see
// mergeBinaryDims) with an odometer and runs each through binaryRow.
func binary[T Float](op backend.BinaryOp, out []T, shape []int, av []T, a backend.Strided, bv []T, b backend.Strided) {
	n := backend.NumElements(shape)
	if n == 0 {
		return
	}
	dims := mergeBinaryDims(shape, a.Strides, b.Strides)
	if len(dims) == 0 { // every dimension has size 1
		dims = []binaryDim{{1, 0, 0}}
	}
	last := dims[len(dims)-1]
	outer := dims[:len(dims)-1]
	inner := last.size
	rows := n / inner
	f := BinaryFunc(op)
	parallelFor(rows, max(1, elemGrain/max(inner, 1)), func(lo, hi int) {
		at := make([]int, len(outer))
		ao, bo := a.Off, b.Off
		rem := lo
		for k := len(outer) - 1; k >= 0; k-- {
			at[k] = rem % outer[k].size
			rem /= outer[k].size
			ao += at[k] * outer[k].as
			bo += at[k] * outer[k].bs
		}
		for r := lo; r < hi; r++ {
			binaryRow(op, f, out[r*inner:(r+1)*inner], av, ao, last.as, bv, bo, last.bs)
			for k := len(outer) - 1; k >= 0; k-- {
				at[k]++
				ao += outer[k].as
				bo += outer[k].bs
				if at[k] < outer[k].size {
					break
				}
				ao -= at[k] * outer[k].as
				bo -= at[k] * outer[k].bs
				at[k] = 0
			}
		}
	})
}

// binaryDim is one dimension of a binary op with each operand's stride.
type binaryDim struct{ size, as, bs int }

// mergeBinaryDims drops size-1 dimensions and merges a dimension into the
// next inner one where both operands step through them as through one
// (stride[k] = stride[k+1]*size[k+1]); out is contiguous, so the element
// order is unchanged. A contiguous op becomes one run; a bias broadcast over
// (N, C, H, W) becomes (N, C, H*W).
func mergeBinaryDims(shape, as, bs []int) []binaryDim {
	var dims []binaryDim
	for k, n := range shape {
		if n == 1 {
			continue
		}
		d := binaryDim{n, as[k], bs[k]}
		if l := len(dims); l > 0 && dims[l-1].as == d.as*n && dims[l-1].bs == d.bs*n {
			dims[l-1] = binaryDim{dims[l-1].size * n, d.as, d.bs}
			continue
		}
		dims = append(dims, d)
	}
	return dims
}

// binaryRow computes o[j] = op(a[ao+j*as], b[bo+j*bs]), with dedicated
// loops for the arithmetic ops on contiguous or broadcast operands.
func binaryRow[T Float](op backend.BinaryOp, f func(a, b float64) float64, o, av []T, ao, as int, bv []T, bo, bs int) {
	n := len(o)
	switch {
	case as == 1 && bs == 1:
		x, y := av[ao:ao+n], bv[bo:bo+n]
		switch op {
		case backend.Add:
			for j := range o {
				o[j] = x[j] + y[j]
			}
			return
		case backend.Sub:
			for j := range o {
				o[j] = x[j] - y[j]
			}
			return
		case backend.Mul:
			for j := range o {
				o[j] = x[j] * y[j]
			}
			return
		case backend.Div:
			for j := range o {
				o[j] = x[j] / y[j]
			}
			return
		}
	case as == 1 && bs == 0:
		x, y := av[ao:ao+n], bv[bo]
		switch op {
		case backend.Add:
			for j := range o {
				o[j] = x[j] + y
			}
			return
		case backend.Sub:
			for j := range o {
				o[j] = x[j] - y
			}
			return
		case backend.Mul:
			for j := range o {
				o[j] = x[j] * y
			}
			return
		case backend.Div:
			for j := range o {
				o[j] = x[j] / y
			}
			return
		}
	case as == 0 && bs == 1:
		x, y := av[ao], bv[bo:bo+n]
		switch op {
		case backend.Add:
			for j := range o {
				o[j] = x + y[j]
			}
			return
		case backend.Sub:
			for j := range o {
				o[j] = x - y[j]
			}
			return
		case backend.Mul:
			for j := range o {
				o[j] = x * y[j]
			}
			return
		case backend.Div:
			for j := range o {
				o[j] = x / y[j]
			}
			return
		}
	}
	switch op {
	case backend.Add:
		for j := range o {
			o[j] = av[ao+j*as] + bv[bo+j*bs]
		}
	case backend.Sub:
		for j := range o {
			o[j] = av[ao+j*as] - bv[bo+j*bs]
		}
	case backend.Mul:
		for j := range o {
			o[j] = av[ao+j*as] * bv[bo+j*bs]
		}
	case backend.Div:
		for j := range o {
			o[j] = av[ao+j*as] / bv[bo+j*bs]
		}
	default:
		for j := range o {
			o[j] = T(f(float64(av[ao+j*as]), float64(bv[bo+j*bs])))
		}
	}
}
