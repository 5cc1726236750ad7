package cuda_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
	"github.com/stretchr/testify/require"
)

// ewSpecials are appended to every unary input: signed zeros, infinities,
// NaN and values far out in both tails.
var ewSpecials = []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)),
	float32(math.Inf(-1)), -90, 90, -30, 30, 1e-30}

// ewUnaryInput draws n inputs suited to op (positive for Log, Sqrt and
// PowScalar, non-zero for Recip, ties with alpha for the comparisons).
func ewUnaryInput(r *rand.Rand, op backend.UnaryOp, alpha float64, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		v := r.NormFloat64() * 3
		switch op {
		case backend.Log, backend.Sqrt, backend.PowScalar:
			v = 0.1 + math.Abs(v)
		case backend.Recip:
			v = math.Copysign(0.3+math.Abs(v), v)
		case backend.MaxScalar, backend.MinScalar, backend.GtScalar, backend.EqScalar, backend.NeScalar, backend.Sign,
			backend.Abs, backend.ReLU:
			if i%3 == 0 {
				v = float64(r.IntN(9)-4) / 4 // hits 0 and alpha exactly
			}
		}
		x[i] = float32(v)
	}
	return x
}

// ewAlpha is the scalar argument each op is tested with (not exact in
// float32 where the op compares with it, so that double comparisons show).
func ewAlpha(op backend.UnaryOp) float64 {
	switch op {
	case backend.Scale:
		return -1.3
	case backend.AddScalar:
		return 0.1
	case backend.PowScalar:
		return 2.5
	case backend.MaxScalar, backend.MinScalar, backend.GtScalar:
		return 0.1
	case backend.EqScalar, backend.NeScalar:
		return 0.25
	}
	return 0
}

// requireSameSpecials fails unless got and want agree exactly on every
// element that is NaN, infinite or (with zeroSign) zero in want, zeros by
// sign too; it is given the results of ewSpecials. Derivatives skip the
// zeros: where a float64 term underflows only in float32, the sign of the
// zero product differs.
func requireSameSpecials(t *testing.T, what string, got, want []float32, zeroSign bool) {
	t.Helper()
	for i, w := range want {
		g := got[i]
		switch {
		case w != w:
			require.True(t, g != g, "%s[%d] = %v, want NaN", what, i, g)
		case math.IsInf(float64(w), 0) || (zeroSign && w == 0):
			require.Equal(t, math.Float32bits(w), math.Float32bits(g), "%s[%d] = %v, want %v", what, i, g, w)
		}
	}
}

// TestUnaryTwins checks every unary op, forward (out of place and in place)
// and backward, against the CPU twin on an odd length (float4 body plus a
// tail) with NaN-poisoned outputs, special values included.
func TestUnaryTwins(t *testing.T) {
	c, g := twins(t)
	r := rng(t)
	const n = 1003
	for _, op := range backend.UnaryOps() {
		alpha := ewAlpha(op)
		x := append(ewUnaryInput(r, op, alpha, n), ewSpecials...)
		dy := randn(r, len(x), 1)
		what := fmt.Sprintf("%v alpha %g", op, alpha)

		xc, yc, dyc, dxc := upload(c, x), c.Alloc(backend.Float32, len(x)), upload(c, dy), c.Alloc(backend.Float32, len(x))
		c.Unary(op, yc, xc, alpha)
		c.UnaryBackward(op, dxc, xc, yc, dyc, alpha)
		wantY, wantDx := download(c, yc), download(c, dxc)

		xg, yg, dyg, dxg := upload(g, x), poisoned(g, len(x)), upload(g, dy), poisoned(g, len(x))
		g.Unary(op, yg, xg, alpha)
		gotY := download(g, yg)
		requireClose(t, "Unary "+what, gotY[:n], wantY[:n], 1e-6)
		requireSameSpecials(t, "Unary "+what, gotY[n:], wantY[n:], true)
		ewRequireBits(t, "Unary "+what+" leaves x alone", download(g, xg), x)

		// The backward from the CPU's forward output, so both read the same y.
		g.Upload(yg, wantY)
		g.UnaryBackward(op, dxg, xg, yg, dyg, alpha)
		gotDx := download(g, dxg)
		requireClose(t, "UnaryBackward "+what, gotDx[:n], wantDx[:n], 1e-6)
		requireSameSpecials(t, "UnaryBackward "+what, gotDx[n:], wantDx[n:], false)

		g.Unary(op, xg, xg, alpha)
		requireClose(t, "Unary in place "+what, download(g, xg)[:n], wantY[:n], 1e-6)
	}
}

// TestUnaryBackwardNil checks that only the forward value an op needs is
// read: the other may be nil, and a missing needed one panics by name.
func TestUnaryBackwardNil(t *testing.T) {
	g := newEmu(t)
	x, dy := upload(g, []float32{1, 2, 3}), upload(g, []float32{1, 1, 1})
	dx := poisoned(g, 3)
	g.UnaryBackward(backend.Square, dx, x, nil, dy, 0)
	require.Equal(t, []float32{2, 4, 6}, download(g, dx))
	g.UnaryBackward(backend.Exp, dx, nil, x, dy, 0)
	require.Equal(t, []float32{1, 2, 3}, download(g, dx))
	g.UnaryBackward(backend.Sign, dx, nil, nil, dy, 0)
	require.Equal(t, []float32{0, 0, 0}, download(g, dx))
	require.PanicsWithValue(t, "cuda: UnaryBackward tanh needs y", func() { g.UnaryBackward(backend.Tanh, dx, x, nil, dy, 0) })
}

// ewOperand is a Binary operand: host values and the view into them.
type ewOperand struct {
	vals []float32
	view backend.Strided
}

// binaryCase lays out a and b over shape: strides per operand and element
// offsets, the buffers sized to the furthest element reached.
type binaryCase struct {
	name   string
	shape  []int
	aStr   []int
	aOff   int
	bStr   []int
	bOff   int
	ranges int // values are drawn from this many ties when > 0
}

var binaryCases = []binaryCase{
	{name: "contiguous", shape: []int{3, 5, 7}, aStr: []int{35, 7, 1}, bStr: []int{35, 7, 1}},
	{name: "contiguous offset", shape: []int{2, 51}, aStr: []int{51, 1}, aOff: 3, bStr: []int{51, 1}, bOff: 1},
	{name: "scalar b", shape: []int{4, 33}, aStr: []int{33, 1}, bStr: []int{0, 0}, bOff: 2},
	{name: "scalar a", shape: []int{133}, aStr: []int{0}, aOff: 1, bStr: []int{1}},
	{name: "channel bias", shape: []int{2, 3, 5, 4}, aStr: []int{60, 20, 4, 1}, bStr: []int{0, 1, 0, 0}},
	{name: "row and column", shape: []int{9, 11}, aStr: []int{1, 0}, bStr: []int{0, 1}},
	{name: "transposed and strided", shape: []int{7, 6}, aStr: []int{1, 7}, aOff: 4, bStr: []int{13, 2}, bOff: 1},
	{name: "flipped", shape: []int{5, 8}, aStr: []int{-8, -1}, aOff: 39, bStr: []int{8, 1}},
	{name: "rank 0", shape: []int{}, aStr: []int{}, aOff: 2, bStr: []int{}, bOff: 1},
	{name: "rank 6 permuted", shape: []int{2, 3, 2, 3, 2, 3}, aStr: []int{1, 2, 6, 12, 36, 72}, bStr: []int{0, 1, 3, 0, 9, 18}},
	{name: "ties", shape: []int{17, 19}, aStr: []int{19, 1}, bStr: []int{1, 17}, ranges: 5},
}

// operand draws the values behind one view of c.
func (c binaryCase) operand(r *rand.Rand, str []int, off int, nonzero bool) ewOperand {
	hi := off
	for k, d := range c.shape {
		if str[k] > 0 {
			hi += (d - 1) * str[k]
		}
	}
	v := randn(r, hi+3, 1)
	for i := range v {
		if c.ranges > 0 {
			v[i] = float32(r.IntN(c.ranges) - c.ranges/2)
		}
		if nonzero && v[i] == 0 {
			v[i] = 0.5
		}
	}
	return ewOperand{vals: v, view: backend.Strided{Off: off, Strides: str}}
}

// TestBinaryTwins runs every binary op over every layout against the CPU
// twin; the twin computes in float32 (Add..Div) or exactly (the others), so
// results must agree bit for bit.
func TestBinaryTwins(t *testing.T) {
	c, g := twins(t)
	r := rng(t)
	for _, op := range backend.BinaryOps() {
		for _, tc := range binaryCases {
			a := tc.operand(r, tc.aStr, tc.aOff, false)
			b := tc.operand(r, tc.bStr, tc.bOff, op == backend.Div)
			n := backend.NumElements(tc.shape)
			run := func(be backend.Backend, out backend.Buffer) []float32 {
				av, bv := a.view, b.view
				av.Buf, bv.Buf = upload(be, a.vals), upload(be, b.vals)
				be.Binary(op, out, tc.shape, av, bv)
				return download(be, out)
			}
			want := run(c, c.Alloc(backend.Float32, n))
			got := run(g, poisoned(g, n))
			ewRequireBits(t, fmt.Sprintf("Binary %v %s", op, tc.name), got, want)
		}
	}
}

// ewRequireBits fails unless got and want are identical (any NaN matches
// any NaN).
func ewRequireBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		if want[i] != want[i] && got[i] != got[i] {
			continue
		}
		require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s[%d] = %v, want %v", what, i, got[i], want[i])
	}
}

// TestBinarySpecials checks Max and Min on NaN, infinities and signed zeros
// against Go's math.Max and math.Min (through the CPU twin), and the
// comparisons on NaN.
func TestBinarySpecials(t *testing.T) {
	c, g := twins(t)
	nan, inf, nz := float32(math.NaN()), float32(math.Inf(1)), float32(math.Copysign(0, -1))
	vals := []float32{nan, inf, -inf, 0, nz, 1, -1}
	var a, b []float32
	for _, x := range vals {
		for _, y := range vals {
			a, b = append(a, x), append(b, y)
		}
	}
	shape := []int{len(a)}
	for _, op := range backend.BinaryOps() {
		run := func(be backend.Backend, out backend.Buffer) []float32 {
			be.Binary(op, out, shape, backend.Contiguous(upload(be, a), shape), backend.Contiguous(upload(be, b), shape))
			return download(be, out)
		}
		ewRequireBits(t, fmt.Sprintf("Binary %v specials", op), run(g, poisoned(g, len(a))), run(c, c.Alloc(backend.Float32, len(a))))
	}
}

// TestBinaryPanics checks the argument checks: views that leave their
// buffer, and more dimensions than the kernels take.
func TestBinaryPanics(t *testing.T) {
	g := newEmu(t)
	x, out := upload(g, make([]float32, 10)), g.Alloc(backend.Float32, 12)
	in := backend.Strided{Buf: x, Strides: []int{1, 0}}
	over := backend.Strided{Buf: x, Off: 1, Strides: []int{3, 1}}
	require.PanicsWithValue(t, "cuda: Binary add: b (offset 1, strides [3 1]) of shape [3 4] reaches elements 1..10 of a buffer of 10",
		func() { g.Binary(backend.Add, out, []int{3, 4}, backend.Strided{Buf: x, Strides: []int{0, 1}}, over) })
	require.Panics(t, func() { g.Binary(backend.Add, g.Alloc(backend.Float32, 11), []int{3, 4}, in, in) })
	shape := []int{2, 2, 2, 2, 2, 2, 2, 2, 2}
	big := upload(g, make([]float32, 512))
	rev := backend.Strided{Buf: big, Strides: []int{1, 2, 4, 8, 16, 32, 64, 128, 256}}
	require.PanicsWithValue(t, "cuda: Binary mul: 9 dimensions remain after merging contiguous ones (shape [2 2 2 2 2 2 2 2 2]); the kernels take at most 8",
		func() { g.Binary(backend.Mul, big, shape, rev, backend.Contiguous(big, shape)) })
}

// TestConvertTwins checks float32 <-> int32 conversion (truncation toward
// zero) and the same-dtype copy against the CPU twin.
func TestConvertTwins(t *testing.T) {
	c, g := twins(t)
	r := rng(t)
	f := randn(r, 1001, 1000)
	copy(f, []float32{-2.75, -0.5, 0, 0.5, 2.75, -1, 1, 123456.5, -123456.5, 16777217})
	conv := func(be backend.Backend) ([]int32, []float32, []float32) {
		fb, ib, back, same := upload(be, f), be.Alloc(backend.Int32, len(f)), be.Alloc(backend.Float32, len(f)), be.Alloc(backend.Float32, len(f))
		be.Convert(ib, fb)
		be.Convert(back, ib)
		be.Convert(same, fb)
		return downloadInt(be, ib), download(be, back), download(be, same)
	}
	wi, wb, ws := conv(c)
	gi, gb, gs := conv(g)
	require.Equal(t, wi, gi, "float32 -> int32")
	require.Equal(t, wb, gb, "int32 -> float32")
	require.Equal(t, ws, gs, "float32 -> float32")
	require.Equal(t, f, gs)
	require.Panics(t, func() { g.Convert(g.Alloc(backend.Int32, 3), g.Alloc(backend.Float32, 4)) })
}

// TestElementwiseConformance runs the suite's checks of this group.
func TestElementwiseConformance(t *testing.T) {
	backendtest.RunOnly(t, newEmu(t), "Memory", "Copy", "Unary", "UnaryBackward", "Binary", "Reduce", "Rand")
}
