package backendtest

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"allnet/engine/backend"
)

func init() {
	register("Memory", checkMemory)
	register("Copy", checkCopy)
}

// memExact fails t unless got and want are identical element by element.
func memExact(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			t.Fatalf("%s: element %d is %.9g, want %.9g", what, i, got[i], want[i])
		}
	}
}

// memPanics runs f and returns the message of its panic, or ok == false when
// it returns normally.
func memPanics(f func()) (msg string, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			msg, ok = fmt.Sprint(r), true
		}
	}()
	f()
	return "", false
}

// memExpectPanic fails t unless f panics with a message containing every
// string of want.
func memExpectPanic(t *testing.T, what string, f func(), want ...string) {
	t.Helper()
	msg, ok := memPanics(f)
	if !ok {
		t.Fatalf("%s: no panic", what)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Fatalf("%s: panic message %q does not mention %q", what, msg, w)
		}
	}
}

// checkMemory covers Alloc (zero-filled), the Upload/Download round trip,
// Fill and Convert, for dt and for int32.
func checkMemory(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("Memory")
	const n = 1037
	for _, d := range []backend.DType{dt, backend.Int32} {
		z := b.Alloc(d, n)
		memExact(t, fmt.Sprintf("Alloc(%v) is zero-filled", d), Download(b, z), make([]float64, n))
		b.Free(z)
	}

	// Round trip: the values come back bit for bit.
	x := Rounded(dt, Randn(r, n, 3))
	x[0], x[1], x[2] = math.Inf(1), math.Inf(-1), math.SmallestNonzeroFloat32
	buf := Upload(b, dt, x)
	memExact(t, "Upload/Download", Download(b, buf), x)
	ix := make([]int32, n)
	for i := range ix {
		ix[i] = int32(r.IntN(1<<31)) - 1<<30
	}
	ix[0], ix[1] = math.MaxInt32, math.MinInt32
	ibuf := UploadInts(b, ix)
	want := make([]float64, n)
	for i, v := range ix {
		want[i] = float64(v)
	}
	memExact(t, "Upload/Download int32", Download(b, ibuf), want)

	// Fill converts v to the buffer's dtype.
	for _, v := range []float64{1.25, 0.1, -3e5, 0} {
		b.Fill(buf, v)
		memExact(t, fmt.Sprintf("Fill(%g)", v), Download(b, buf), memFilled(n, Rounded(dt, []float64{v})[0]))
	}
	b.Fill(ibuf, -7)
	memExact(t, "Fill int32", Download(b, ibuf), memFilled(n, -7))

	// Convert: float -> int32 truncates toward zero; int32 -> float is exact
	// for these magnitudes; float -> float rounds.
	f := Rounded(dt, Randn(r, n, 50))
	copy(f, []float64{-2.75, -0.5, 0, 0.5, 2.75, -1, 1, 123456.5, -123456.5})
	fb := Upload(b, dt, f)
	b.Convert(ibuf, fb)
	for i, v := range f {
		want[i] = math.Trunc(v)
	}
	memExact(t, "Convert to int32", Download(b, ibuf), want)
	for i := range ix {
		ix[i] = int32(r.IntN(1<<21)) - 1<<20
		want[i] = float64(ix[i])
	}
	b.Upload(ibuf, ix)
	b.Convert(fb, ibuf)
	memExact(t, "Convert from int32", Download(b, fb), want)
	other := backend.Float64
	if dt == backend.Float64 {
		other = backend.Float32
	}
	if b.Supports(other) {
		src := Rounded(other, Randn(r, n, 1))
		sb, db := Upload(b, other, src), b.Alloc(dt, n)
		b.Convert(db, sb)
		memExact(t, fmt.Sprintf("Convert %v to %v", other, dt), Download(b, db), Rounded(dt, src))
		b.Free(sb)
		b.Free(db)
	}
	same := b.Alloc(dt, n)
	b.Convert(same, buf)
	memExact(t, "Convert to the same dtype", Download(b, same), Download(b, buf))
	memExpectPanic(t, "Convert with lengths 1037 and 1036", func() { b.Convert(b.Alloc(dt, n-1), fb) })
	for _, bb := range []backend.Buffer{buf, ibuf, fb, same} {
		b.Free(bb)
	}
}

func memFilled(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// memRefCopy is the float64 reference of Copy, a transcription of its doc
// comment: it walks every index of shape and returns the new dst contents.
func memRefCopy(dst0 []float64, dOff int, dStr []int, src []float64, sOff int, sStr []int, shape []int, acc bool) []float64 {
	dst := append([]float64(nil), dst0...)
	idx := make([]int, len(shape))
	for range backend.NumElements(shape) {
		d, s := dOff, sOff
		for k, i := range idx {
			d += i * dStr[k]
			s += i * sStr[k]
		}
		if acc {
			dst[d] += src[s]
		} else {
			dst[d] = src[s]
		}
		for k := len(idx) - 1; k >= 0; k-- {
			if idx[k]++; idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return dst
}

// copyCase is one strided copy; dstLen and srcLen size the buffers, whose
// elements outside the view must keep their values.
type copyCase struct {
	name          string
	shape         []int
	dstLen, dOff  int
	dStr          []int
	srcLen, sOff  int
	sStr          []int
	accumulate    bool
	int32Elements bool
}

var copyCases = []copyCase{
	// dst (6, 4, 5) = src (4, 5, 6) permuted by (2, 0, 1).
	{name: "permute", shape: []int{4, 5, 6}, dstLen: 120, dStr: []int{5, 1, 20}, srcLen: 120, sStr: []int{30, 6, 1}},
	// src[2:6, 3:8] of a (7, 9) into dst[1:5, 2:7] of a (6, 8).
	{name: "slice", shape: []int{4, 5}, dstLen: 48, dOff: 1*8 + 2, dStr: []int{8, 1}, srcLen: 63, sOff: 2*9 + 3, sStr: []int{9, 1}},
	// (5, 1, 3) expanded to (5, 4, 3), into the middle of a larger dst.
	{name: "broadcast", shape: []int{5, 4, 3}, dstLen: 70, dOff: 7, dStr: []int{12, 3, 1}, srcLen: 17, sOff: 2, sStr: []int{3, 0, 1}},
	// One value expanded everywhere, written transposed.
	{name: "scalar broadcast", shape: []int{3, 7}, dstLen: 21, dStr: []int{1, 3}, srcLen: 4, sOff: 3, sStr: []int{0, 0}},
	{name: "rank 0", shape: []int{}, dstLen: 5, dOff: 4, dStr: []int{}, srcLen: 3, sOff: 1, sStr: []int{}},
	// Concatenation along axis 1: src (3, 4) into columns 2..5 of (3, 9).
	{name: "concat", shape: []int{3, 4}, dstLen: 27, dOff: 2, dStr: []int{9, 1}, srcLen: 12, sStr: []int{4, 1}},
	{name: "accumulate permute", shape: []int{3, 5, 2, 7}, dstLen: 210, dStr: []int{1, 3, 105, 15}, srcLen: 210, sStr: []int{70, 14, 7, 1}, accumulate: true},
	{name: "accumulate broadcast", shape: []int{6, 5}, dstLen: 33, dOff: 3, dStr: []int{5, 1}, srcLen: 5, sStr: []int{0, 1}, accumulate: true},
	{name: "int32 permute", shape: []int{5, 9}, dstLen: 45, dStr: []int{1, 5}, srcLen: 45, sStr: []int{9, 1}, int32Elements: true},
	// Large enough to run in parallel: a (300, 70) transpose, plain and accumulating.
	{name: "large transpose", shape: []int{300, 70}, dstLen: 21000, dStr: []int{1, 300}, srcLen: 21000, sStr: []int{70, 1}},
	{name: "large accumulate", shape: []int{300, 70}, dstLen: 21000, dStr: []int{1, 300}, srcLen: 21000, sStr: []int{70, 1}, accumulate: true},
}

// checkCopy runs every copy case onto a dst pre-filled with random values.
func checkCopy(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("Copy")
	for _, c := range copyCases {
		d := dt
		if c.int32Elements {
			d = backend.Int32
		}
		gen := func(n int) []float64 {
			v := Rounded(d, Randn(r, n, 1))
			if d == backend.Int32 {
				for i := range v {
					v[i] = math.Round(v[i] * 1000)
				}
			}
			return v
		}
		dst0, src := gen(c.dstLen), gen(c.srcLen)
		db, sb := Upload(b, d, dst0), Upload(b, d, src)
		b.Copy(backend.Strided{Buf: db, Off: c.dOff, Strides: c.dStr}, backend.Strided{Buf: sb, Off: c.sOff, Strides: c.sStr}, c.shape, c.accumulate)
		want := memRefCopy(dst0, c.dOff, c.dStr, src, c.sOff, c.sStr, c.shape, c.accumulate)
		tol := 0.0 // copies are exact
		if c.accumulate && d != backend.Int32 {
			tol = Tol(d)
		}
		Close(t, fmt.Sprintf("Copy %s shape %v", c.name, c.shape), Download(b, db), want, tol)
		memExact(t, fmt.Sprintf("Copy %s leaves src alone", c.name), Download(b, sb), src)
		b.Free(db)
		b.Free(sb)
	}
}
