// Package backend defines the small set of primitives every compute backend
// implements (the CPU backend in engine/cpu, the CUDA backend in engine/cuda),
// the device buffers they operate on, and a registry through which backends
// make themselves known, the way database/sql drivers do.
//
// Primitives work on flat buffers plus explicit shapes. All tensors are
// row-major (C order) and contiguous unless a primitive takes strides.
// Index arithmetic is done in int; shapes never exceed 2^31 elements per
// dimension. A primitive panics when its arguments are inconsistent (a
// programming error in the caller); user-facing errors are produced above this
// layer.
//
// Every primitive is specified by its doc comment; the conformance suite in
// backendtest checks an implementation against float64 references written
// from those comments.
package backend

import (
	"fmt"
	"time"
)

// DType is the element type of a buffer.
type DType uint8

// The element types. Float64 exists so that gradient checks can run in double
// precision on backends that support it (the CPU backend); models use Float32,
// labels and indices use Int32.
const (
	Float32 DType = iota + 1
	Float64
	Int32
)

// String returns the lower-case name of the dtype ("float32", ...).
func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	case Int32:
		return "int32"
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Size returns the size of one element in bytes.
func (d DType) Size() int {
	switch d {
	case Float32, Int32:
		return 4
	case Float64:
		return 8
	}
	panic(fmt.Sprintf("backend: unknown dtype %d", uint8(d)))
}

// IsFloat reports whether d is a floating-point dtype.
func (d DType) IsFloat() bool { return d == Float32 || d == Float64 }

// Buffer is a block of device memory holding Len elements of one dtype.
// Buffers are created by Backend.Alloc and belong to that backend.
type Buffer interface {
	DType() DType
	Len() int
}

// UnaryOp names an elementwise function y = f(x; alpha).
type UnaryOp uint8

// Unary operations. Alpha is the scalar argument where one is used.
const (
	Neg       UnaryOp = iota + 1 // -x
	Abs                          // |x|
	Sign                         // -1, 0 or 1
	Exp                          // e^x
	Log                          // ln x
	Sqrt                         // sqrt(x)
	Square                       // x^2
	Recip                        // 1/x
	ReLU                         // max(x, 0)
	GELU                         // x * Phi(x), the erf form: 0.5 x (1 + erf(x/sqrt 2))
	SiLU                         // x * sigmoid(x)
	Sigmoid                      // 1 / (1 + e^-x)
	Tanh                         // tanh x
	Softplus                     // ln(1 + e^x), computed stably
	Scale                        // alpha * x
	AddScalar                    // x + alpha
	PowScalar                    // x^alpha
	MaxScalar                    // max(x, alpha)
	MinScalar                    // min(x, alpha)
	GtScalar                     // 1 if x > alpha else 0
	EqScalar                     // 1 if x == alpha else 0
	NeScalar                     // 1 if x != alpha else 0
)

var unaryNames = map[UnaryOp]string{
	Neg: "neg", Abs: "abs", Sign: "sign", Exp: "exp", Log: "log", Sqrt: "sqrt",
	Square: "square", Recip: "recip", ReLU: "relu", GELU: "gelu", SiLU: "silu",
	Sigmoid: "sigmoid", Tanh: "tanh", Softplus: "softplus", Scale: "scale",
	AddScalar: "add_scalar", PowScalar: "pow_scalar", MaxScalar: "max_scalar",
	MinScalar: "min_scalar", GtScalar: "gt_scalar", EqScalar: "eq_scalar",
	NeScalar: "ne_scalar",
}

// String returns the op's name.
func (o UnaryOp) String() string {
	if s, ok := unaryNames[o]; ok {
		return s
	}
	return fmt.Sprintf("unary(%d)", uint8(o))
}

// UnaryOps lists every unary operation, for tests and documentation.
func UnaryOps() []UnaryOp {
	ops := make([]UnaryOp, 0, len(unaryNames))
	for o := Neg; o <= NeScalar; o++ {
		ops = append(ops, o)
	}
	return ops
}

// BinaryOp names an elementwise function of two operands.
type BinaryOp uint8

// Binary operations.
const (
	Add BinaryOp = iota + 1 // a + b
	Sub                     // a - b
	Mul                     // a * b
	Div                     // a / b
	Max                     // max(a, b)
	Min                     // min(a, b)
	Eq                      // 1 if a == b else 0
	Gt                      // 1 if a > b else 0
	Ge                      // 1 if a >= b else 0
)

var binaryNames = map[BinaryOp]string{
	Add: "add", Sub: "sub", Mul: "mul", Div: "div", Max: "max", Min: "min",
	Eq: "eq", Gt: "gt", Ge: "ge",
}

// String returns the op's name.
func (o BinaryOp) String() string {
	if s, ok := binaryNames[o]; ok {
		return s
	}
	return fmt.Sprintf("binary(%d)", uint8(o))
}

// BinaryOps lists every binary operation.
func BinaryOps() []BinaryOp {
	ops := make([]BinaryOp, 0, len(binaryNames))
	for o := Add; o <= Ge; o++ {
		ops = append(ops, o)
	}
	return ops
}

// ReduceOp names a reduction.
type ReduceOp uint8

// Reductions.
const (
	ReduceSum ReduceOp = iota + 1
	ReduceMax
)

// String returns the reduction's name.
func (o ReduceOp) String() string {
	switch o {
	case ReduceSum:
		return "sum"
	case ReduceMax:
		return "max"
	}
	return fmt.Sprintf("reduce(%d)", uint8(o))
}

// KernelTiming is implemented by backends that can time every kernel launch
// on the device (the CUDA backend, with events); `allnet-cli profile` and
// `bench` use it.
type KernelTiming interface {
	// EnableKernelTiming starts (or stops) recording launch times.
	EnableKernelTiming(on bool)
	// KernelTimes returns the totals per kernel, largest first.
	KernelTimes() []KernelTime
}

// KernelTime is the device time of one kernel's launches.
type KernelTime struct {
	Kernel   string
	Launches int
	Total    time.Duration
}
