package engine

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
)

// dcnTestCase is a set of options with the geometry they must resolve to,
// written out by hand (so the defaults are pinned here, not recomputed).
type dcnTestCase struct {
	name     string
	opts     DCNv3Options
	n, h, w  int
	c        int
	kh, kw   int
	s, d     int
	ph, pw   int
	oh, ow   int
	groups   int
	scale    float64
	offStd   float64
	gradSize bool // small enough for gradCheck
}

var dcnTestCases = []dcnTestCase{
	{name: "defaults", opts: DCNv3Options{}, n: 2, h: 4, w: 5, c: 3,
		kh: 3, kw: 3, s: 1, d: 1, ph: 1, pw: 1, oh: 4, ow: 5, groups: 1, scale: 1, offStd: 1.5, gradSize: true},
	{name: "s2d2nopad", opts: DCNv3Options{Stride: 2, Dilation: 2, Pad: -1, Groups: 3, OffsetScale: 0.7}, n: 2, h: 8, w: 9, c: 6,
		kh: 3, kw: 3, s: 2, d: 2, ph: 0, pw: 0, oh: 2, ow: 3, groups: 3, scale: 0.7, offStd: 3, gradSize: true},
	{name: "2x3default_pad", opts: DCNv3Options{KernelH: 2, KernelW: 3, Groups: 2, OffsetScale: 1.3}, n: 2, h: 5, w: 4, c: 4,
		kh: 2, kw: 3, s: 1, d: 1, ph: 0, pw: 1, oh: 4, ow: 4, groups: 2, scale: 1.3, offStd: 1.5, gradSize: true},
	{name: "3x1pad2s2", opts: DCNv3Options{KernelH: 3, KernelW: 1, Pad: 2, Stride: 2, Groups: 2}, n: 1, h: 7, w: 6, c: 10,
		kh: 3, kw: 1, s: 2, d: 1, ph: 2, pw: 2, oh: 5, ow: 5, groups: 2, scale: 1, offStd: 1.5},
}

func (c dcnTestCase) geom() backend.DCNv3Geom {
	return backend.DCNv3Geom{N: c.n, H: c.h, W: c.w, OH: c.oh, OW: c.ow, G: c.groups, D: c.c / c.groups,
		KH: c.kh, KW: c.kw, SH: c.s, SW: c.s, PH: c.ph, PW: c.pw, DH: c.d, DW: c.d, OffsetScale: c.scale}
}

// inputs draws value, offset and mask (random normal: the core does not
// need a normalised mask) as float64 CPU tensors requiring grad. Normal
// offsets essentially never put a sampling location exactly on an integer,
// where bilinear interpolation has kinks.
func (c dcnTestCase) inputs(r *rand.Rand) (value, offset, mask *Tensor) {
	p := c.kh * c.kw
	value = randT(r, c.n, c.h, c.w, c.c)
	offset = FromFloat64(CPU(), backendtest.Randn(r, c.n*c.oh*c.ow*c.groups*p*2, c.offStd), c.n, c.oh, c.ow, c.groups*p*2).SetRequiresGrad(true)
	mask = randT(r, c.n, c.oh, c.ow, c.groups*p)
	return value, offset, mask
}

func TestDCNv3CoreForwardMatchesNaive(t *testing.T) {
	r := testRNG(t)
	for _, c := range dcnTestCases {
		v, o, m := c.inputs(r)
		g := c.geom()
		full, partial, outside := backendtest.DCNv3Coverage(g, o.Float64s())
		require.True(t, full > 0 && partial > 0 && outside > 0, "%s: coverage %d/%d/%d", c.name, full, partial, outside)
		want := backendtest.DCNv3Ref(g, v.Float64s(), o.Float64s(), m.Float64s())
		for _, dt := range []DType{Float64, Float32} {
			out := DCNv3Core(v.Cast(dt), o.Cast(dt), m.Cast(dt), c.opts)
			require.Equal(t, []int{c.n, c.oh, c.ow, c.c}, out.Shape(), c.name)
			require.Equal(t, dt, out.DType())
			tol := 1e-12
			if dt == Float32 {
				tol = 1e-5
			}
			closeTo(t, fmt.Sprintf("DCNv3Core %s %v", c.name, dt), out, want, tol)
		}
	}
}

func TestDCNv3CoreGradients(t *testing.T) {
	r := testRNG(t)
	for _, c := range dcnTestCases {
		if !c.gradSize {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			v, o, m := c.inputs(r)
			gradCheck(t, func(xs []*Tensor) *Tensor { return DCNv3Core(xs[0], xs[1], xs[2], c.opts) }, v, o, m)
		})
	}
}

// TestDCNv3CoreGradientSubsets checks that only the inputs that require
// grad get one, and that each equals its value when all three are wanted.
func TestDCNv3CoreGradientSubsets(t *testing.T) {
	c := dcnTestCases[1]
	v, o, m := c.inputs(testRNG(t))
	dOut := FromFloat64(CPU(), backendtest.Randn(testRNG(t), c.n*c.oh*c.ow*c.c, 1), c.n, c.oh, c.ow, c.c)
	DCNv3Core(v, o, m, c.opts).BackwardWith(dOut)
	all := []*Tensor{v, o, m}
	want := [][]float64{v.Grad().Float64s(), o.Grad().Float64s(), m.Grad().Float64s()}
	for k := range all {
		ins := make([]*Tensor, 3)
		for q, x := range all {
			ins[q] = x.Detach()
		}
		ins[k].SetRequiresGrad(true)
		DCNv3Core(ins[0], ins[1], ins[2], c.opts).BackwardWith(dOut)
		for q, x := range ins {
			if q != k {
				require.Nil(t, x.Grad(), "input %d", q)
			}
		}
		closeTo(t, fmt.Sprintf("gradient of input %d alone", k), ins[k].Grad(), want[k], 1e-14)
	}
}

func TestDCNv3CoreGolden(t *testing.T) {
	for _, gc := range loadGolden(t, "dcnv3") {
		pad := gc.AttrInt(t, "pad")
		if pad == 0 {
			pad = -1 // explicit no padding
		}
		opts := DCNv3Options{
			KernelH: gc.AttrInt(t, "kernel_h"), KernelW: gc.AttrInt(t, "kernel_w"),
			Stride: gc.AttrInt(t, "stride"), Pad: pad, Dilation: gc.AttrInt(t, "dilation"),
			Groups: gc.AttrInt(t, "groups"), OffsetScale: gc.AttrFloat(t, "offset_scale"),
		}
		for _, dt := range []DType{Float64, Float32} {
			v := gc.tensor(t, "value", dt).SetRequiresGrad(true)
			o := gc.tensor(t, "offset", dt).SetRequiresGrad(true)
			m := gc.tensor(t, "mask", dt).SetRequiresGrad(true)
			if dt == Float64 {
				// Each case must pit grid_sample's zero padding against our
				// bounds rule: points inside, straddling the border, outside.
				full, partial, outside := backendtest.DCNv3Coverage(dcnv3Geom(v, o, m, opts), o.Float64s())
				require.True(t, full > 0 && partial > 0 && outside > 0, "%s: coverage %d/%d/%d", gc.Name, full, partial, outside)
			}
			out := DCNv3Core(v, o, m, opts)
			out.BackwardWith(gc.tensor(t, "r", dt))
			// The fixture holds 12 significant digits; float32 runs measure
			// about 1e-7.
			tol := 1e-10
			if dt == Float32 {
				tol = 1e-5
			}
			what := gc.Name + " " + dt.String()
			closeTo(t, what+" out", out, gc.Values(t, "out"), tol)
			closeTo(t, what+" grad_value", v.Grad(), gc.Values(t, "grad_value"), tol)
			closeTo(t, what+" grad_offset", o.Grad(), gc.Values(t, "grad_offset"), tol)
			closeTo(t, what+" grad_mask", m.Grad(), gc.Values(t, "grad_mask"), tol)
		}
	}
}

func TestDCNv3CoreShapeErrors(t *testing.T) {
	v := Zeros(2, 5, 6, 8)
	cases := []struct {
		name    string
		v, o, m *Tensor
		opts    DCNv3Options
		want    []string
	}{
		{"offset", v, Zeros(2, 5, 6, 35), Zeros(2, 5, 6, 18), DCNv3Options{Groups: 2},
			[]string{"offset [2 5 6 35]", "want offset [2 5 6 36] and mask [2 5 6 18]"}},
		{"mask", v, Zeros(2, 5, 6, 36), Zeros(2, 5, 5, 18), DCNv3Options{Groups: 2},
			[]string{"mask [2 5 5 18]", "want offset [2 5 6 36] and mask [2 5 6 18]"}},
		{"stride", v, Zeros(2, 5, 6, 36), Zeros(2, 5, 6, 18), DCNv3Options{Groups: 2, Stride: 2},
			[]string{"want offset [2 3 3 36] and mask [2 3 3 18]", "stride 2"}},
		{"groups", v, Zeros(2, 5, 6, 27), Zeros(2, 5, 6, 9), DCNv3Options{Groups: 3},
			[]string{"8 channels do not split into 3 groups"}},
		{"rank", Zeros(2, 5, 6), Zeros(2, 5, 6, 18), Zeros(2, 5, 6, 9), DCNv3Options{},
			[]string{"value [2 5 6]", "want value (N, H, W, G*D)"}},
		{"kernel", Zeros(1, 2, 6, 4), Zeros(1, 1, 4, 18), Zeros(1, 1, 4, 9), DCNv3Options{Pad: -1},
			[]string{"does not fit", "value [1 2 6 4]", "pad 0x0"}},
		{"options", v, Zeros(2, 5, 6, 18), Zeros(2, 5, 6, 9), DCNv3Options{Stride: -1},
			[]string{"bad options", "stride -1"}},
	}
	for _, c := range cases {
		msg := opPanicText(func() { DCNv3Core(c.v, c.o, c.m, c.opts) })
		require.True(t, strings.HasPrefix(msg, "engine: DCNv3Core: "), "%s: %q", c.name, msg)
		for _, w := range c.want {
			require.Contains(t, msg, w, c.name)
		}
	}
	msg := opPanicText(func() { DCNv3Core(v, Zeros(2, 5, 6, 18).Cast(Float64), Zeros(2, 5, 6, 9), DCNv3Options{}) })
	require.Contains(t, msg, "DCNv3Core")
}
