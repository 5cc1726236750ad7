package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// refResize is bilinear resizing (align_corners=False) from the Resize doc
// comment in float64.
func refResize(x []float64, n, c, h, w, oh, ow int) []float64 {
	src := func(d, in, out int) (int, int, float64) {
		s := max((float64(d)+0.5)*float64(in)/float64(out)-0.5, 0)
		i := int(math.Floor(s))
		return i, min(i+1, in-1), s - float64(i)
	}
	out := make([]float64, n*c*oh*ow)
	for p := range n * c {
		for i := range oh {
			y0, y1, ly := src(i, h, oh)
			for j := range ow {
				x0, x1, lx := src(j, w, ow)
				at := func(y, xx int) float64 { return x[(p*h+y)*w+xx] }
				out[(p*oh+i)*ow+j] = (1-ly)*((1-lx)*at(y0, x0)+lx*at(y0, x1)) + ly*((1-lx)*at(y1, x0)+lx*at(y1, x1))
			}
		}
	}
	return out
}

// refAvgPool averages windows from the AvgPool2d and AdaptiveAvgPool2d doc
// comments in float64: window(i) returns the rows (or columns) [lo, hi)
// summed and the divisor's factor for that axis.
func refAvgPool(x []float64, n, c, h, w, oh, ow int, rows, cols func(i int) (lo, hi, size int)) []float64 {
	out := make([]float64, n*c*oh*ow)
	for p := range n * c {
		for i := range oh {
			r0, r1, rs := rows(i)
			for j := range ow {
				c0, c1, cs := cols(j)
				s := 0.0
				for y := max(r0, 0); y < min(r1, h); y++ {
					for xx := max(c0, 0); xx < min(c1, w); xx++ {
						s += x[(p*h+y)*w+xx]
					}
				}
				out[(p*oh+i)*ow+j] = s / float64(rs*cs)
			}
		}
	}
	return out
}

func fixedWindow(k, s, pad int) func(int) (int, int, int) {
	return func(i int) (int, int, int) { return i*s - pad, i*s - pad + k, k }
}

func adaptiveWindow(in, out int) func(int) (int, int, int) {
	return func(i int) (int, int, int) {
		lo, hi := i*in/out, ((i+1)*in+out-1)/out
		return lo, hi, hi - lo
	}
}

// checkResample runs op, which maps (N, C, H, W) to (N, C, OH, OW), on
// random inputs for each case {N, C, H, W, OH, OW}: the shape, float64 and
// float32 values against ref, and gradients.
func checkResample(t *testing.T, cases [][6]int, op func(x *Tensor, oh, ow int) *Tensor, ref func(x []float64, s [6]int) []float64) {
	for _, s := range cases {
		t.Run(fmt.Sprint(s), func(t *testing.T) {
			x := randT(testRNG(t), s[0], s[1], s[2], s[3])
			want := ref(x.Float64s(), s)
			out := op(x, s[4], s[5])
			require.Equal(t, []int{s[0], s[1], s[4], s[5]}, out.Shape())
			closeTo(t, "float64", out, want, 1e-12)
			closeTo(t, "float32", op(x.Cast(Float32), s[4], s[5]), want, 1e-5)
			gradCheck(t, func(in []*Tensor) *Tensor { return op(in[0], s[4], s[5]) }, x)
		})
	}
}

func TestResizeMatchesFormula(t *testing.T) {
	checkResample(t, [][6]int{{2, 3, 4, 5, 8, 10}, {1, 2, 13, 11, 5, 7}, {2, 1, 5, 7, 12, 9}, {1, 2, 6, 6, 6, 6}, {1, 1, 1, 3, 4, 2}},
		Resize, func(x []float64, s [6]int) []float64 { return refResize(x, s[0], s[1], s[2], s[3], s[4], s[5]) })
}

func TestAvgPool2dMatchesFormula(t *testing.T) {
	cases := []struct{ shape, k, s, p []int }{
		{[]int{2, 3, 7, 6}, []int{3, 3}, []int{2, 2}, []int{1, 1}},
		{[]int{1, 2, 5, 8}, []int{2, 3}, []int{1, 2}, []int{0, 1}},
		{[]int{2, 2, 6, 6}, []int{2, 2}, []int{0, 0}, []int{0, 0}}, // stride defaults to the kernel
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.shape, c.k, c.s, c.p), func(t *testing.T) {
			x := randT(testRNG(t), c.shape...)
			k, s, p := [2]int{c.k[0], c.k[1]}, [2]int{c.s[0], c.s[1]}, [2]int{c.p[0], c.p[1]}
			sh, sw := s[0], s[1]
			if sh == 0 {
				sh = k[0]
			}
			if sw == 0 {
				sw = k[1]
			}
			n, ch, h, w := c.shape[0], c.shape[1], c.shape[2], c.shape[3]
			oh, ow := (h+2*p[0]-k[0])/sh+1, (w+2*p[1]-k[1])/sw+1
			want := refAvgPool(x.Float64s(), n, ch, h, w, oh, ow, fixedWindow(k[0], sh, p[0]), fixedWindow(k[1], sw, p[1]))
			out := AvgPool2d(x, k, s, p)
			require.Equal(t, []int{n, ch, oh, ow}, out.Shape())
			closeTo(t, "float64", out, want, 1e-12)
			closeTo(t, "float32", AvgPool2d(x.Cast(Float32), k, s, p), want, 1e-5)
			gradCheck(t, func(in []*Tensor) *Tensor { return AvgPool2d(in[0], k, s, p) }, x)
		})
	}
}

func TestAdaptiveAvgPool2dMatchesFormula(t *testing.T) {
	checkResample(t, [][6]int{{2, 3, 7, 7, 3, 3}, {2, 2, 5, 4, 3, 3}, {1, 2, 6, 9, 4, 2}, {2, 3, 5, 6, 1, 1}, {1, 1, 3, 2, 5, 4}},
		AdaptiveAvgPool2d, func(x []float64, s [6]int) []float64 {
			return refAvgPool(x, s[0], s[1], s[2], s[3], s[4], s[5], adaptiveWindow(s[2], s[4]), adaptiveWindow(s[3], s[5]))
		})
}

func TestGlobalAvgPoolIsChannelMean(t *testing.T) {
	x := randT(testRNG(t), 2, 3, 4, 5)
	out := GlobalAvgPool(x)
	require.Equal(t, []int{2, 3, 1, 1}, out.Shape())
	closeTo(t, "mean", out, Mean(x, true, 2, 3).Float64s(), 1e-12)
	gradCheck(t, func(in []*Tensor) *Tensor { return GlobalAvgPool(in[0]) }, x)
}

func TestResizePoolGolden(t *testing.T) {
	for _, gc := range loadGolden(t, "resize") {
		t.Run(gc.Name, func(t *testing.T) {
			op, _ := gc.Attrs["op"].(string)
			run := func(x *Tensor) *Tensor {
				switch op {
				case "resize":
					return Resize(x, gc.AttrInt(t, "oh"), gc.AttrInt(t, "ow"))
				case "adaptive_avg_pool":
					return AdaptiveAvgPool2d(x, gc.AttrInt(t, "oh"), gc.AttrInt(t, "ow"))
				case "avg_pool":
					return AvgPool2d(x, [2]int{gc.AttrInt(t, "kh"), gc.AttrInt(t, "kw")},
						[2]int{gc.AttrInt(t, "sh"), gc.AttrInt(t, "sw")}, [2]int{gc.AttrInt(t, "ph"), gc.AttrInt(t, "pw")})
				}
				t.Fatalf("unknown op %q", op)
				return nil
			}
			for _, dt := range []DType{Float64, Float32} {
				tol := 1e-10
				if dt == Float32 {
					tol = 1e-5
				}
				x := gc.tensor(t, "x", dt).SetRequiresGrad(true)
				out := run(x)
				closeTo(t, fmt.Sprintf("%v out", dt), out, gc.Values(t, "out"), tol)
				SumAll(Mul(out, gc.tensor(t, "r", dt))).Backward()
				closeTo(t, fmt.Sprintf("%v grad_x", dt), x.Grad(), gc.Values(t, "grad_x"), tol)
			}
		})
	}
}

func TestResizePoolMisusePanicsNamingShapes(t *testing.T) {
	panicsWith := func(want string, fn func()) {
		t.Helper()
		msg := opPanicText(fn)
		require.NotEmpty(t, msg, want)
		require.Contains(t, msg, want)
	}
	x := Zeros(1, 2, 5, 5)
	panicsWith("Resize: input [2 5 5]", func() { Resize(Zeros(2, 5, 5), 3, 3) })
	panicsWith("Resize: input [1 2 5 5] to 0x3", func() { Resize(x, 0, 3) })
	panicsWith("AdaptiveAvgPool2d: input [1 2 5 5] to 3x-1", func() { AdaptiveAvgPool2d(x, 3, -1) })
	panicsWith("AvgPool2d: kernel [6 6]", func() { AvgPool2d(x, [2]int{6, 6}, [2]int{}, [2]int{}) })
	panicsWith("AvgPool2d: kernel [3 3] stride [3 3] padding [2 0]", func() { AvgPool2d(x, [2]int{3, 3}, [2]int{}, [2]int{2, 0}) })
	panicsWith("AvgPool2d: input [5 5]", func() { AvgPool2d(Zeros(5, 5), [2]int{2, 2}, [2]int{}, [2]int{}) })
	panicsWith("want a float tensor", func() { Resize(x.Cast(Int32), 3, 3) })
}
