package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"allnet/engine/backend"
)

func init() {
	register("Unary", checkUnary)
	register("UnaryBackward", checkUnaryBackward)
	register("Binary", checkBinary)
}

// ewRefUnary is the float64 reference of every unary op, written from the
// comments of backend.UnaryOp.
func ewRefUnary(op backend.UnaryOp, x, a float64) float64 {
	switch op {
	case backend.Neg:
		return -x
	case backend.Abs:
		if x < 0 {
			return -x
		}
		return x
	case backend.Sign:
		return ewStep(x, 0) - ewStep(-x, 0)
	case backend.Exp:
		return math.Exp(x)
	case backend.Log:
		return math.Log(x)
	case backend.Sqrt:
		return math.Sqrt(x)
	case backend.Square:
		return x * x
	case backend.Recip:
		return 1 / x
	case backend.ReLU:
		return x * ewStep(x, 0)
	case backend.GELU:
		return x * ewPhi(x)
	case backend.SiLU:
		return x * ewSigmoid(x)
	case backend.Sigmoid:
		return ewSigmoid(x)
	case backend.Tanh:
		return math.Tanh(x)
	case backend.Softplus:
		if x > 0 {
			return x + math.Log1p(math.Exp(-x))
		}
		return math.Log1p(math.Exp(x))
	case backend.Scale:
		return a * x
	case backend.AddScalar:
		return x + a
	case backend.PowScalar:
		return math.Pow(x, a)
	case backend.MaxScalar:
		if x > a {
			return x
		}
		return a
	case backend.MinScalar:
		if x < a {
			return x
		}
		return a
	case backend.GtScalar:
		return ewStep(x, a)
	case backend.EqScalar:
		if x == a {
			return 1
		}
		return 0
	case backend.NeScalar:
		if x != a {
			return 1
		}
		return 0
	}
	panic(fmt.Sprintf("backendtest: no reference for unary op %v", op))
}

// ewRefUnaryDeriv is the float64 reference derivative d op(x; a) / dx,
// written in terms of x alone.
func ewRefUnaryDeriv(op backend.UnaryOp, x, a float64) float64 {
	switch op {
	case backend.Neg:
		return -1
	case backend.Abs:
		return ewStep(x, 0) - ewStep(-x, 0)
	case backend.Exp:
		return math.Exp(x)
	case backend.Log:
		return 1 / x
	case backend.Sqrt:
		return 1 / (2 * math.Sqrt(x))
	case backend.Square:
		return 2 * x
	case backend.Recip:
		return -1 / (x * x)
	case backend.ReLU:
		return ewStep(x, 0)
	case backend.GELU:
		return ewPhi(x) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
	case backend.SiLU:
		s := ewSigmoid(x)
		return s + x*s*(1-s)
	case backend.Sigmoid:
		s := ewSigmoid(x)
		return s * (1 - s)
	case backend.Tanh:
		c := math.Cosh(x)
		return 1 / (c * c)
	case backend.Softplus:
		return ewSigmoid(x)
	case backend.Scale:
		return a
	case backend.AddScalar:
		return 1
	case backend.PowScalar:
		return a * math.Pow(x, a-1)
	case backend.MaxScalar:
		return ewStep(x, a)
	case backend.MinScalar:
		return ewStep(a, x)
	case backend.Sign, backend.GtScalar, backend.EqScalar, backend.NeScalar:
		return 0
	}
	panic(fmt.Sprintf("backendtest: no reference derivative for unary op %v", op))
}

// ewStep is 1 when x > a, else 0.
func ewStep(x, a float64) float64 {
	if x > a {
		return 1
	}
	return 0
}

// ewPhi is the standard normal CDF.
func ewPhi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func ewSigmoid(x float64) float64 {
	if x < 0 {
		e := math.Exp(x)
		return e / (1 + e)
	}
	return 1 / (1 + math.Exp(-x))
}

// Input generators for the unary cases.
var (
	ewNormal = func(r *rand.Rand) float64 { return r.NormFloat64() * 2 }
	// ewWide adds values far out in both tails, for numerical stability.
	ewWide = func(r *rand.Rand) float64 {
		if r.IntN(10) == 0 {
			return []float64{-800, -90, -30, 30, 90, 800}[r.IntN(6)]
		}
		return r.NormFloat64() * 3
	}
	ewPositive = func(r *rand.Rand) float64 { return 0.2 + math.Abs(r.NormFloat64())*2 }
	ewNonzero  = func(r *rand.Rand) float64 {
		v := 0.3 + math.Abs(r.NormFloat64())
		if r.IntN(2) == 0 {
			return -v
		}
		return v
	}
	// ewTies draws multiples of 0.25 in [-2, 2], so that x hits 0 and the
	// scalar 0.5 exactly.
	ewTies = func(r *rand.Rand) float64 { return float64(r.IntN(17)-8) / 4 }
)

// unaryCase is one op at one alpha on inputs from gen; diff marks cases
// whose inputs avoid the op's kinks, so its derivative is checked too.
type unaryCase struct {
	op    backend.UnaryOp
	alpha float64
	gen   func(*rand.Rand) float64
	diff  bool
}

// unaryCases hold at least one case per op of backend.UnaryOps. Alphas are
// exact in float32.
var unaryCases = []unaryCase{
	{backend.Neg, 0, ewWide, true},
	{backend.Abs, 0, ewWide, true},
	{backend.Abs, 0, ewTies, false},
	{backend.Sign, 0, ewTies, true},
	{backend.Exp, 0, ewNormal, true},
	{backend.Log, 0, ewPositive, true},
	{backend.Sqrt, 0, ewPositive, true},
	{backend.Square, 0, ewWide, true},
	{backend.Recip, 0, ewNonzero, true},
	{backend.ReLU, 0, ewWide, true},
	{backend.ReLU, 0, ewTies, false},
	{backend.GELU, 0, ewWide, true},
	{backend.SiLU, 0, ewWide, true},
	{backend.Sigmoid, 0, ewWide, true},
	{backend.Tanh, 0, ewWide, true},
	{backend.Softplus, 0, ewWide, true},
	{backend.Scale, -1.75, ewNormal, true},
	{backend.AddScalar, 0.625, ewNormal, true},
	{backend.PowScalar, 2.5, ewPositive, true},
	{backend.PowScalar, -1.5, ewPositive, true},
	{backend.PowScalar, 3, ewNormal, true},
	{backend.MaxScalar, 0.25, ewNormal, true},
	{backend.MaxScalar, 0.5, ewTies, false},
	{backend.MinScalar, 0.25, ewNormal, true},
	{backend.MinScalar, 0.5, ewTies, false},
	{backend.GtScalar, 0.5, ewTies, true},
	{backend.EqScalar, 0.5, ewTies, true},
	{backend.NeScalar, 0.5, ewTies, true},
}

// ewUnaryLen is odd and large enough that backends split the work.
const ewUnaryLen = 40001

func ewUnaryInput(r *rand.Rand, dt backend.DType, c unaryCase) []float64 {
	x := make([]float64, ewUnaryLen)
	for i := range x {
		x[i] = c.gen(r)
	}
	return Rounded(dt, x)
}

// checkUnary compares every case against the reference, out of place and
// in place (y and x the same buffer).
func checkUnary(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("Unary")
	covered := map[backend.UnaryOp]bool{}
	for _, c := range unaryCases {
		covered[c.op] = true
		x := ewUnaryInput(r, dt, c)
		want := make([]float64, len(x))
		for i, v := range x {
			want[i] = ewRefUnary(c.op, v, c.alpha)
		}
		xb, yb := Upload(b, dt, x), b.Alloc(dt, len(x))
		b.Fill(yb, math.NaN())
		what := fmt.Sprintf("Unary %v alpha %g", c.op, c.alpha)
		b.Unary(c.op, yb, xb, c.alpha)
		Close(t, what, Download(b, yb), want, Tol(dt))
		memExact(t, what+" leaves x alone", Download(b, xb), x)
		b.Unary(c.op, xb, xb, c.alpha)
		Close(t, what+" in place", Download(b, xb), want, Tol(dt))
		b.Free(xb)
		b.Free(yb)
	}
	for _, op := range backend.UnaryOps() {
		if !covered[op] {
			t.Errorf("no Unary case for %v", op)
		}
	}
}

// checkUnaryBackward checks dx = dy * op'(x) against the reference
// derivative, with y computed by the backend's own Unary.
func checkUnaryBackward(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("UnaryBackward")
	covered := map[backend.UnaryOp]bool{}
	for _, c := range unaryCases {
		if !c.diff {
			continue
		}
		covered[c.op] = true
		x := ewUnaryInput(r, dt, c)
		dy := Rounded(dt, Randn(r, len(x), 1))
		want := make([]float64, len(x))
		for i, v := range x {
			want[i] = dy[i] * ewRefUnaryDeriv(c.op, v, c.alpha)
		}
		xb, yb, dyb, dxb := Upload(b, dt, x), b.Alloc(dt, len(x)), Upload(b, dt, dy), b.Alloc(dt, len(x))
		b.Unary(c.op, yb, xb, c.alpha)
		b.Fill(dxb, math.NaN())
		b.UnaryBackward(c.op, dxb, xb, yb, dyb, c.alpha)
		Close(t, fmt.Sprintf("UnaryBackward %v alpha %g", c.op, c.alpha), Download(b, dxb), want, Tol(dt))
		for _, bb := range []backend.Buffer{xb, yb, dyb, dxb} {
			b.Free(bb)
		}
	}
	for _, op := range backend.UnaryOps() {
		if !covered[op] {
			t.Errorf("no UnaryBackward case for %v", op)
		}
	}
}

// ewRefBinary is the float64 reference of every binary op.
func ewRefBinary(op backend.BinaryOp, a, b float64) float64 {
	switch op {
	case backend.Add:
		return a + b
	case backend.Sub:
		return a - b
	case backend.Mul:
		return a * b
	case backend.Div:
		return a / b
	case backend.Max:
		if a > b {
			return a
		}
		return b
	case backend.Min:
		if a < b {
			return a
		}
		return b
	case backend.Eq:
		if a == b {
			return 1
		}
		return 0
	case backend.Gt:
		return ewStep(a, b)
	case backend.Ge:
		if a >= b {
			return 1
		}
		return 0
	}
	panic(fmt.Sprintf("backendtest: no reference for binary op %v", op))
}

// ewOperand lays out one operand of a Binary of the given shape: dimensions
// in bcast are stored once (stride 0), the others are stored in the order
// perm (perm[0] outermost), after a leading gap of off elements.
func ewOperand(r *rand.Rand, dt backend.DType, shape []int, bcast []bool, perm []int, off int, op backend.BinaryOp, second bool) (vals []float64, view []int) {
	view = make([]int, len(shape))
	n := 1
	for k := len(perm) - 1; k >= 0; k-- {
		d := perm[k]
		if bcast[d] {
			continue
		}
		view[d] = n
		n *= shape[d]
	}
	vals = make([]float64, off+n+3)
	for i := range vals {
		switch {
		case op == backend.Div && second:
			vals[i] = ewNonzero(r)
		case op == backend.Max || op == backend.Min || op == backend.Eq || op == backend.Gt || op == backend.Ge:
			// many ties
			vals[i] = float64(r.IntN(9)-4) / 2
		default:
			vals[i] = r.NormFloat64()
		}
	}
	return Rounded(dt, vals), view
}

// ewRefBinaryStrided walks every index of shape (last dimension fastest).
func ewRefBinaryStrided(op backend.BinaryOp, shape []int, a []float64, aOff int, aStr []int, b []float64, bOff int, bStr []int) []float64 {
	out := make([]float64, backend.NumElements(shape))
	idx := make([]int, len(shape))
	for o := range out {
		ia, ib := aOff, bOff
		for k, i := range idx {
			ia += i * aStr[k]
			ib += i * bStr[k]
		}
		out[o] = ewRefBinary(op, a[ia], b[ib])
		for k := len(idx) - 1; k >= 0; k-- {
			if idx[k]++; idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return out
}

// binaryShapes cover ranks 0 to 4; the last is large enough that backends
// split the work.
var binaryShapes = [][]int{{}, {7}, {5, 3}, {3, 1, 6}, {2, 3, 5, 4}, {41, 33, 31}}

// checkBinary runs every op on every shape with three layouts: both operands
// contiguous; b broadcast along random dimensions; a broadcast and permuted
// with an offset, b permuted.
func checkBinary(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("Binary")
	for _, op := range backend.BinaryOps() {
		for _, shape := range binaryShapes {
			rank := len(shape)
			identity := make([]int, rank)
			for k := range identity {
				identity[k] = k
			}
			none := make([]bool, rank)
			for layout := range 3 {
				bcA, bcB := none, none
				permA, permB := identity, identity
				offA, offB := 0, 0
				if layout >= 1 {
					bcB = ewRandomMask(r, rank)
				}
				if layout == 2 {
					bcA = ewRandomMask(r, rank)
					permA, permB = r.Perm(rank), r.Perm(rank)
					offA, offB = 5, 2
				}
				av, as := ewOperand(r, dt, shape, bcA, permA, offA, op, false)
				bv, bs := ewOperand(r, dt, shape, bcB, permB, offB, op, true)
				ab, bb, ob := Upload(b, dt, av), Upload(b, dt, bv), b.Alloc(dt, backend.NumElements(shape))
				b.Fill(ob, math.NaN())
				b.Binary(op, ob, shape, backend.Strided{Buf: ab, Off: offA, Strides: as}, backend.Strided{Buf: bb, Off: offB, Strides: bs})
				want := ewRefBinaryStrided(op, shape, av, offA, as, bv, offB, bs)
				Close(t, fmt.Sprintf("Binary %v shape %v strides %v (off %d), %v (off %d)", op, shape, as, offA, bs, offB), Download(b, ob), want, Tol(dt))
				b.Free(ab)
				b.Free(bb)
				b.Free(ob)
			}
		}
	}
}

// ewRandomMask marks each dimension as broadcast with probability 1/2.
func ewRandomMask(r *rand.Rand, rank int) []bool {
	m := make([]bool, rank)
	for k := range m {
		m[k] = r.IntN(2) == 0
	}
	return m
}
