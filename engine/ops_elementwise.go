package engine

import (
	"fmt"

	"allnet/engine/backend"
)

// binaryOp applies a backend binary op with broadcasting, without recording.
func binaryOp(op backend.BinaryOp, a, b *Tensor) *Tensor {
	sameDevice(op.String(), a, b)
	a.mustFloat(op.String())
	shape := BroadcastShapes(op.String(), a.shape, b.shape)
	out := a.like(shape...)
	a.dev.Binary(op, out.buf, shape, broadcastView(a, shape), broadcastView(b, shape))
	return out
}

// Add returns a + b with broadcasting.
func Add(a, b *Tensor) *Tensor {
	out := binaryOp(backend.Add, a, b)
	record(out, "add", []*Tensor{a, b}, func(g *Tensor) []*Tensor {
		return []*Tensor{sumTo(g, a.shape), sumTo(g, b.shape)}
	})
	return out
}

// Sub returns a - b with broadcasting.
func Sub(a, b *Tensor) *Tensor {
	out := binaryOp(backend.Sub, a, b)
	record(out, "sub", []*Tensor{a, b}, func(g *Tensor) []*Tensor {
		return []*Tensor{sumTo(g, a.shape), sumTo(Neg(g), b.shape)}
	})
	return out
}

// Mul returns a * b elementwise with broadcasting.
func Mul(a, b *Tensor) *Tensor {
	out := binaryOp(backend.Mul, a, b)
	record(out, "mul", []*Tensor{a, b}, func(g *Tensor) []*Tensor {
		var ga, gb *Tensor
		if a.requiresGrad {
			ga = sumTo(Mul(g, b), a.shape)
		}
		if b.requiresGrad {
			gb = sumTo(Mul(g, a), b.shape)
		}
		return []*Tensor{ga, gb}
	})
	return out
}

// Div returns a / b elementwise with broadcasting.
func Div(a, b *Tensor) *Tensor {
	out := binaryOp(backend.Div, a, b)
	record(out, "div", []*Tensor{a, b}, func(g *Tensor) []*Tensor {
		var ga, gb *Tensor
		if a.requiresGrad {
			ga = sumTo(Div(g, b), a.shape)
		}
		if b.requiresGrad {
			// d(a/b)/db = -out/b
			gb = sumTo(Neg(Div(Mul(g, out), b)), b.shape)
		}
		return []*Tensor{ga, gb}
	})
	return out
}

// Maximum returns max(a, b) elementwise; the gradient goes to a where a >= b,
// else to b.
func Maximum(a, b *Tensor) *Tensor { return minMax(backend.Max, a, b) }

// Minimum returns min(a, b) elementwise; the gradient goes to a where a <= b,
// else to b.
func Minimum(a, b *Tensor) *Tensor { return minMax(backend.Min, a, b) }

func minMax(op backend.BinaryOp, a, b *Tensor) *Tensor {
	out := binaryOp(op, a, b)
	record(out, op.String(), []*Tensor{a, b}, func(g *Tensor) []*Tensor {
		var pick *Tensor // 1 where a wins
		if op == backend.Max {
			pick = binaryOp(backend.Ge, a, b)
		} else {
			pick = binaryOp(backend.Ge, b, a)
		}
		return []*Tensor{sumTo(Mul(g, pick), a.shape), sumTo(Mul(g, OneMinus(pick)), b.shape)}
	})
	return out
}

// Equal returns 1 where a == b and 0 elsewhere (no gradient).
func Equal(a, b *Tensor) *Tensor { return binaryOp(backend.Eq, a, b) }

// Greater returns 1 where a > b and 0 elsewhere (no gradient).
func Greater(a, b *Tensor) *Tensor { return binaryOp(backend.Gt, a, b) }

// GreaterEqual returns 1 where a >= b and 0 elsewhere (no gradient).
func GreaterEqual(a, b *Tensor) *Tensor { return binaryOp(backend.Ge, a, b) }

// unary applies a backend unary op and records its derivative.
func unary(op backend.UnaryOp, x *Tensor, alpha float64) *Tensor {
	x.mustFloat(op.String())
	out := x.like(x.shape...)
	x.dev.Unary(op, out.buf, x.buf, alpha)
	switch op {
	case backend.Sign, backend.GtScalar, backend.EqScalar, backend.NeScalar:
		return out // piecewise constant: no gradient
	}
	record(out, op.String(), []*Tensor{x}, func(g *Tensor) []*Tensor {
		dx := x.like(x.shape...)
		x.dev.UnaryBackward(op, dx.buf, x.buf, out.buf, g.buf, alpha)
		return []*Tensor{dx}
	})
	return out
}

// Neg returns -x.
func Neg(x *Tensor) *Tensor { return unary(backend.Neg, x, 0) }

// Abs returns |x| (gradient sign(x), 0 at 0).
func Abs(x *Tensor) *Tensor { return unary(backend.Abs, x, 0) }

// Sign returns -1, 0 or 1 (no gradient).
func Sign(x *Tensor) *Tensor { return unary(backend.Sign, x, 0) }

// Exp returns e^x.
func Exp(x *Tensor) *Tensor { return unary(backend.Exp, x, 0) }

// Log returns ln x.
func Log(x *Tensor) *Tensor { return unary(backend.Log, x, 0) }

// Sqrt returns the square root of x.
func Sqrt(x *Tensor) *Tensor { return unary(backend.Sqrt, x, 0) }

// Square returns x^2.
func Square(x *Tensor) *Tensor { return unary(backend.Square, x, 0) }

// Recip returns 1/x.
func Recip(x *Tensor) *Tensor { return unary(backend.Recip, x, 0) }

// ReLU returns max(x, 0).
func ReLU(x *Tensor) *Tensor { return unary(backend.ReLU, x, 0) }

// GELU returns x*Phi(x) in the exact erf form (PyTorch's default).
func GELU(x *Tensor) *Tensor { return unary(backend.GELU, x, 0) }

// SiLU returns x*sigmoid(x).
func SiLU(x *Tensor) *Tensor { return unary(backend.SiLU, x, 0) }

// Sigmoid returns 1/(1+e^-x).
func Sigmoid(x *Tensor) *Tensor { return unary(backend.Sigmoid, x, 0) }

// Tanh returns tanh x.
func Tanh(x *Tensor) *Tensor { return unary(backend.Tanh, x, 0) }

// Softplus returns ln(1+e^x), computed stably.
func Softplus(x *Tensor) *Tensor { return unary(backend.Softplus, x, 0) }

// Scale returns a*x.
func Scale(x *Tensor, a float64) *Tensor { return unary(backend.Scale, x, a) }

// AddScalar returns x + a.
func AddScalar(x *Tensor, a float64) *Tensor { return unary(backend.AddScalar, x, a) }

// OneMinus returns 1 - x.
func OneMinus(x *Tensor) *Tensor { return AddScalar(Neg(x), 1) }

// Pow returns x^a for a scalar exponent.
func Pow(x *Tensor, a float64) *Tensor { return unary(backend.PowScalar, x, a) }

// ClampMin returns max(x, a) (gradient 1 where x > a).
func ClampMin(x *Tensor, a float64) *Tensor { return unary(backend.MaxScalar, x, a) }

// ClampMax returns min(x, a) (gradient 1 where x < a).
func ClampMax(x *Tensor, a float64) *Tensor { return unary(backend.MinScalar, x, a) }

// Clamp returns x limited to [lo, hi].
func Clamp(x *Tensor, lo, hi float64) *Tensor {
	if lo > hi {
		panic(fmt.Sprintf("engine: Clamp: lo %g > hi %g", lo, hi))
	}
	return ClampMax(ClampMin(x, lo), hi)
}

// GreaterScalar returns 1 where x > a, else 0 (no gradient).
func GreaterScalar(x *Tensor, a float64) *Tensor { return unary(backend.GtScalar, x, a) }

// EqualScalar returns 1 where x == a, else 0 (no gradient).
func EqualScalar(x *Tensor, a float64) *Tensor { return unary(backend.EqScalar, x, a) }

// NotEqualScalar returns 1 where x != a, else 0 (no gradient).
func NotEqualScalar(x *Tensor, a float64) *Tensor { return unary(backend.NeScalar, x, a) }
