package cuda

import (
	"fmt"

	"allnet/engine/backend"
)

// Convert copies src into dst converting between float32 and int32
// (float -> int32 truncates toward zero); equal dtypes copy device to
// device. Lengths must match.
func (b *Backend) Convert(dst, src backend.Buffer) {
	d, s := b.buf(dst), b.buf(src)
	if d.n != s.n {
		panic(fmt.Sprintf("cuda: Convert of %d elements into %d", s.n, d.n))
	}
	n := d.n
	if n == 0 {
		return
	}
	switch {
	case d.dt == s.dt:
		if d.Ptr() != s.Ptr() {
			b.check("Convert", b.drv.DtoD(d.Ptr(), s.Ptr(), int64(n*d.dt.Size())))
		}
	case d.dt == backend.Int32 && s.dt == backend.Float32:
		b.launch("ew_f32_to_i32", ewBlocks(n), dim1(ewThreads), 0, d, s, n)
	case d.dt == backend.Float32 && s.dt == backend.Int32:
		b.launch("ew_i32_to_f32", ewBlocks(n), dim1(ewThreads), 0, d, s, n)
	default:
		panic(fmt.Sprintf("cuda: Convert from %v into %v is not supported", s.dt, d.dt))
	}
}

// Unary computes y = op(x; alpha) elementwise (y and x may be one buffer).
// The functions match engine/cpu's UnaryFunc, computed in float32 except
// where alpha enters a comparison, Scale or AddScalar (double).
func (b *Backend) Unary(op backend.UnaryOp, y, x backend.Buffer, alpha float64) {
	checkUnaryOp("Unary", op)
	yb, xb := b.ewF32("Unary", "y", y), b.ewF32("Unary", "x", x)
	if yb.n != xb.n {
		panic(fmt.Sprintf("cuda: Unary %v: y has %d elements, x %d", op, yb.n, xb.n))
	}
	if n := xb.n; n > 0 {
		b.launch("ew_unary_f32", ewBlocks((n+3)/4), dim1(ewThreads), 0, yb, xb, int(op), alpha, n)
	}
}

// UnaryBackward computes dx = dy * op'(x; alpha). Exp, Sqrt, Recip, Sigmoid
// and Tanh read the forward output y; the other differentiable ops read x;
// Sign and the comparisons read neither (their derivative is zero). The
// buffer an op does not read may be nil.
func (b *Backend) UnaryBackward(op backend.UnaryOp, dx, x, y, dy backend.Buffer, alpha float64) {
	checkUnaryOp("UnaryBackward", op)
	dxb, dyb := b.ewF32("UnaryBackward", "dx", dx), b.ewF32("UnaryBackward", "dy", dy)
	n := dyb.n
	if dxb.n != n {
		panic(fmt.Sprintf("cuda: UnaryBackward %v: dx has %d elements, dy %d", op, dxb.n, n))
	}
	var xb, yb *Buffer
	need := func(name string, v backend.Buffer) *Buffer {
		if v == nil {
			panic(fmt.Sprintf("cuda: UnaryBackward %v needs %s", op, name))
		}
		bb := b.ewF32("UnaryBackward", name, v)
		if bb.n != n {
			panic(fmt.Sprintf("cuda: UnaryBackward %v: %s has %d elements, dy %d", op, name, bb.n, n))
		}
		return bb
	}
	switch op {
	case backend.Exp, backend.Sqrt, backend.Recip, backend.Sigmoid, backend.Tanh:
		yb = need("y", y)
	case backend.Abs, backend.Log, backend.Square, backend.ReLU, backend.GELU, backend.SiLU, backend.Softplus,
		backend.PowScalar, backend.MaxScalar, backend.MinScalar:
		xb = need("x", x)
	}
	if n > 0 {
		b.launch("ew_unary_bwd_f32", ewBlocks((n+3)/4), dim1(ewThreads), 0, dxb, xb, yb, dyb, int(op), alpha, n)
	}
}

func checkUnaryOp(what string, op backend.UnaryOp) {
	if op < backend.Neg || op > backend.NeScalar {
		panic(fmt.Sprintf("cuda: %s: unknown op %v", what, op))
	}
}

// Binary computes out = op(a, b) over shape (out contiguous), reading a and
// b through their strides (zero strides broadcast). Dimensions that both
// operands walk contiguously are merged first; contiguous or scalar
// operands take a vectorised kernel.
func (be *Backend) Binary(op backend.BinaryOp, out backend.Buffer, shape []int, a, b backend.Strided) {
	if op < backend.Add || op > backend.Ge {
		panic(fmt.Sprintf("cuda: Binary: unknown op %v", op))
	}
	what := "Binary " + op.String()
	ob := be.ewF32(what, "out", out)
	ab, bb := be.ewF32(what, "a", a.Buf), be.ewF32(what, "b", b.Buf)
	n := backend.NumElements(shape)
	if ob.n != n {
		panic(fmt.Sprintf("cuda: %s: out has %d elements, shape %v needs %d", what, ob.n, shape, n))
	}
	ewCheckView(what, "a", a, shape, ab.n)
	ewCheckView(what, "b", b, shape, bb.n)
	if n == 0 {
		return
	}
	ms, str := ewCollapse(shape, a.Strides, b.Strides)
	pa, pb := ptrAt(ab, a.Off), ptrAt(bb, b.Off)
	if len(ms) <= 1 {
		sa, sb := 0, 0
		if len(ms) == 1 {
			sa, sb = str[0][0], str[1][0]
		}
		if (sa == 0 || sa == 1) && (sb == 0 || sb == 1) {
			be.launch("ew_binary_flat_f32", ewBlocks((n+3)/4), dim1(ewThreads), 0, ob, pa, pb, int(op), sa, sb, n)
			return
		}
	}
	args := append([]any{ob, pa, pb, int(op), n}, ewGeomArgs(what, ms, str[0], str[1])...)
	be.launch("ew_binary_f32", ewBlocks(n), dim1(ewThreads), 0, args...)
}
