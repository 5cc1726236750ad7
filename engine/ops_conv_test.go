package engine

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// convCase is one Conv2d configuration for the reference tests.
type convCase struct {
	name   string
	x, w   []int
	bias   bool
	opts   ConvOptions
	outHW  [2]int
	chunks int // convColBudget in images (0: default)
}

var convCases = []convCase{
	{name: "plain", x: []int{2, 3, 6, 5}, w: []int{4, 3, 3, 3}, bias: true, outHW: [2]int{4, 3}},
	{name: "stride2_pad1", x: []int{2, 3, 7, 6}, w: []int{4, 3, 3, 3}, bias: true,
		opts: ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, outHW: [2]int{4, 3}},
	{name: "dilation2", x: []int{2, 2, 9, 8}, w: []int{3, 2, 3, 3}, bias: true,
		opts: ConvOptions{Padding: [2]int{2, 1}, Dilation: [2]int{2, 2}}, outHW: [2]int{9, 6}},
	{name: "groups2", x: []int{3, 4, 5, 6}, w: []int{6, 2, 3, 3}, bias: true,
		opts: ConvOptions{Padding: [2]int{1, 1}, Groups: 2}, outHW: [2]int{5, 6}},
	{name: "depthwise", x: []int{2, 5, 6, 5}, w: []int{5, 1, 3, 3}, bias: true,
		opts: ConvOptions{Padding: [2]int{1, 1}, Groups: 5}, outHW: [2]int{6, 5}},
	{name: "depthwise_stride2x1_dilation2_nobias", x: []int{2, 4, 9, 8}, w: []int{4, 1, 3, 3},
		opts: ConvOptions{Stride: [2]int{2, 1}, Padding: [2]int{2, 1}, Dilation: [2]int{2, 2}, Groups: 4}, outHW: [2]int{5, 6}},
	{name: "depthwise_5x3_stride2", x: []int{3, 3, 7, 9}, w: []int{3, 1, 5, 3}, bias: true,
		opts: ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{2, 1}, Groups: 3}, outHW: [2]int{4, 5}},
	{name: "depthwise_multiplier2_stride2", x: []int{2, 3, 7, 7}, w: []int{6, 1, 3, 3},
		opts: ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 3}, outHW: [2]int{4, 4}},
	{name: "nonsquare_nobias", x: []int{2, 3, 8, 7}, w: []int{2, 3, 2, 3},
		opts: ConvOptions{Stride: [2]int{2, 1}, Padding: [2]int{1, 0}}, outHW: [2]int{5, 5}},
	{name: "pointwise", x: []int{3, 4, 3, 5}, w: []int{5, 4, 1, 1}, bias: true, outHW: [2]int{3, 5}},
	{name: "pointwise_groups2_stride2", x: []int{2, 4, 5, 5}, w: []int{2, 2, 1, 1},
		opts: ConvOptions{Stride: [2]int{2, 2}, Groups: 2}, outHW: [2]int{3, 3}},
	{name: "chunked_1", x: []int{3, 4, 5, 6}, w: []int{6, 2, 3, 3}, bias: true,
		opts: ConvOptions{Padding: [2]int{1, 1}, Groups: 2}, outHW: [2]int{5, 6}, chunks: 1},
	{name: "chunked_2_of_3", x: []int{3, 3, 6, 5}, w: []int{2, 3, 3, 2}, bias: true,
		opts: ConvOptions{Stride: [2]int{1, 2}, Padding: [2]int{1, 1}}, outHW: [2]int{6, 3}, chunks: 2},
}

// withConvChunks runs fn with convColBudget set to hold images images of c.
func withConvChunks(c convCase, fn func()) {
	if c.chunks == 0 {
		fn()
		return
	}
	old := convColBudget
	defer func() { convColBudget = old }()
	convColBudget = c.chunks * c.x[1] * c.w[2] * c.w[3] * c.outHW[0] * c.outHW[1]
	fn()
}

// refConv2d is the direct convolution loop of the Conv2d doc comment in
// float64.
func refConv2d(x []float64, xs []int, w []float64, ws []int, b []float64, o ConvOptions) []float64 {
	one := func(v int) int { return max(v, 1) }
	sh, sw, dh, dw := one(o.Stride[0]), one(o.Stride[1]), one(o.Dilation[0]), one(o.Dilation[1])
	ph, pw, g := o.Padding[0], o.Padding[1], one(o.Groups)
	n, cin, h, wd := xs[0], xs[1], xs[2], xs[3]
	cout, cg, kh, kw := ws[0], ws[1], ws[2], ws[3]
	og := cout / g
	oh := (h+2*ph-dh*(kh-1)-1)/sh + 1
	ow := (wd+2*pw-dw*(kw-1)-1)/sw + 1
	out := make([]float64, n*cout*oh*ow)
	for ni := range n {
		for oc := range cout {
			grp := oc / og
			for i := range oh {
				for j := range ow {
					s := 0.0
					if b != nil {
						s = b[oc]
					}
					for c := range cg {
						ic := grp*cg + c
						for ki := range kh {
							for kj := range kw {
								y, xx := i*sh-ph+ki*dh, j*sw-pw+kj*dw
								if y < 0 || y >= h || xx < 0 || xx >= wd {
									continue
								}
								s += w[((oc*cg+c)*kh+ki)*kw+kj] * x[((ni*cin+ic)*h+y)*wd+xx]
							}
						}
					}
					out[((ni*cout+oc)*oh+i)*ow+j] = s
				}
			}
		}
	}
	return out
}

func TestConv2dMatchesDirectLoops(t *testing.T) {
	for _, c := range convCases {
		t.Run(c.name, func(t *testing.T) {
			rng := testRNG(t)
			x, w := randT(rng, c.x...), randT(rng, c.w...)
			var b *Tensor
			var bv []float64
			if c.bias {
				b = randT(rng, c.w[0])
				bv = b.Float64s()
			}
			want := refConv2d(x.Float64s(), c.x, w.Float64s(), c.w, bv, c.opts)
			withConvChunks(c, func() {
				if c.chunks > 0 {
					require.Equal(t, c.chunks, newConvPlan(x, w, b, c.opts).chunk)
				}
				out := Conv2d(x, w, b, c.opts)
				require.Equal(t, []int{c.x[0], c.w[0], c.outHW[0], c.outHW[1]}, out.Shape())
				closeTo(t, "float64 output", out, want, 1e-12)
				var b32 *Tensor
				if b != nil {
					b32 = b.Cast(Float32)
				}
				out32 := Conv2d(x.Cast(Float32), w.Cast(Float32), b32, c.opts)
				closeTo(t, "float32 output", out32, want, 1e-5)
			})
		})
	}
}

// TestConv2dDepthwisePath checks which convolutions the CPU runs through
// its direct depthwise kernel (the reference tests above then cover it):
// groups = Cin = Cout only, not a channel multiplier or plain groups.
func TestConv2dDepthwisePath(t *testing.T) {
	want := map[string]bool{"depthwise": true, "depthwise_stride2x1_dilation2_nobias": true, "depthwise_5x3_stride2": true}
	for _, c := range convCases {
		x, w := Zeros(c.x...), Zeros(c.w...)
		got := newConvPlan(x, w, nil, c.opts).depthwise() != nil
		require.Equal(t, want[c.name], got, c.name)
		if !got {
			continue
		}
		// The Im2col + Gemm path (a device without the primitive) gives the
		// same output and gradients.
		rng := testRNG(t)
		x, w = randT(rng, c.x...), randT(rng, c.w...)
		dev := &unfusedCPU{CPU()}
		xu, wu := FromFloat64(dev, x.Float64s(), c.x...), FromFloat64(dev, w.Float64s(), c.w...)
		require.Nil(t, newConvPlan(xu, wu, nil, c.opts).depthwise())
		for _, in := range []*Tensor{x, w, xu, wu} {
			in.SetRequiresGrad(true)
		}
		out, outU := Conv2d(x, w, nil, c.opts), Conv2d(xu, wu, nil, c.opts)
		closeTo(t, c.name+" output", outU, out.Float64s(), 1e-12)
		SumAll(Square(out)).Backward()
		SumAll(Square(outU)).Backward()
		closeTo(t, c.name+" dx", xu.Grad(), x.Grad().Float64s(), 1e-12)
		closeTo(t, c.name+" dw", wu.Grad(), w.Grad().Float64s(), 1e-12)
	}
}

func TestConv2dGradients(t *testing.T) {
	for _, c := range convCases {
		t.Run(c.name, func(t *testing.T) {
			rng := testRNG(t)
			xs := []*Tensor{randT(rng, c.x...), randT(rng, c.w...)}
			if c.bias {
				xs = append(xs, randT(rng, c.w[0]))
			}
			f := func(in []*Tensor) *Tensor {
				var b *Tensor
				if len(in) > 2 {
					b = in[2]
				}
				return Conv2d(in[0], in[1], b, c.opts)
			}
			withConvChunks(c, func() {
				gradCheck(t, f, xs...)
				// Only the weight (dx skipped), then only the input (dW skipped).
				xs[0].SetRequiresGrad(false)
				gradCheck(t, f, xs...)
				xs[0].SetRequiresGrad(true)
				xs[1].SetRequiresGrad(false)
				gradCheck(t, f, xs...)
			})
		})
	}
}

func TestConv2dGolden(t *testing.T) {
	for _, gc := range loadGolden(t, "conv2d") {
		t.Run(gc.Name, func(t *testing.T) {
			opts := ConvOptions{
				Stride:   [2]int{gc.AttrInt(t, "sh"), gc.AttrInt(t, "sw")},
				Padding:  [2]int{gc.AttrInt(t, "ph"), gc.AttrInt(t, "pw")},
				Dilation: [2]int{gc.AttrInt(t, "dh"), gc.AttrInt(t, "dw")},
				Groups:   gc.AttrInt(t, "groups"),
			}
			for _, dt := range []DType{Float64, Float32} {
				tol := 1e-10
				if dt == Float32 {
					tol = 1e-5
				}
				x := gc.tensor(t, "x", dt).SetRequiresGrad(true)
				w := gc.tensor(t, "w", dt).SetRequiresGrad(true)
				var b *Tensor
				if gc.Has("b") {
					b = gc.tensor(t, "b", dt).SetRequiresGrad(true)
				}
				out := Conv2d(x, w, b, opts)
				closeTo(t, fmt.Sprintf("%v out", dt), out, gc.Values(t, "out"), tol)
				SumAll(Mul(out, gc.tensor(t, "r", dt))).Backward()
				closeTo(t, fmt.Sprintf("%v grad_x", dt), x.Grad(), gc.Values(t, "grad_x"), tol)
				closeTo(t, fmt.Sprintf("%v grad_w", dt), w.Grad(), gc.Values(t, "grad_w"), tol)
				if b != nil {
					closeTo(t, fmt.Sprintf("%v grad_b", dt), b.Grad(), gc.Values(t, "grad_b"), tol)
				}
			}
		})
	}
}

func TestConv2dMisusePanicsNamingShapes(t *testing.T) {
	x := Zeros(1, 4, 5, 5)
	cases := []struct {
		name    string
		w, b    *Tensor
		opts    ConvOptions
		contain string
	}{
		{"channels", Zeros(2, 3, 3, 3), nil, ConvOptions{}, "[2 3 3 3]"},
		{"groups do not divide", Zeros(3, 2, 3, 3), nil, ConvOptions{Groups: 2}, "2 groups"},
		{"groups weight", Zeros(4, 4, 3, 3), nil, ConvOptions{Groups: 2}, "[4 4 3 3]"},
		{"bias", Zeros(2, 4, 3, 3), Zeros(3), ConvOptions{}, "bias [3]"},
		{"kernel too big", Zeros(2, 4, 7, 3), nil, ConvOptions{}, "[2 4 7 3]"},
		{"dilated kernel too big", Zeros(2, 4, 3, 3), nil, ConvOptions{Dilation: [2]int{3, 1}}, "dilation 3x1"},
		{"negative padding", Zeros(2, 4, 3, 3), nil, ConvOptions{Padding: [2]int{-1, 0}}, "bad options"},
		{"rank", Zeros(2, 4, 3), nil, ConvOptions{}, "[2 4 3]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := opPanicText(func() { Conv2d(x, c.w, c.b, c.opts) })
			require.NotEmpty(t, msg)
			require.Contains(t, msg, "Conv2d")
			require.Contains(t, msg, c.contain)
		})
	}
	require.Panics(t, func() { Conv2d(x, Zeros(2, 4, 3, 3).Cast(Float64), nil, ConvOptions{}) })
}
