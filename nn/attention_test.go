package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine"
	"allnet/engine/backend/backendtest"
	"allnet/engine/cpu"
)

// attnGradCheck compares autograd's gradients of sum(f() * R), R fixed and
// random, with central finite differences for each tensor of xs (float64,
// CPU, perturbed in place; at most 40 random elements each).
func attnGradCheck(t *testing.T, f func() *engine.Tensor, xs ...*engine.Tensor) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 5))
	for _, x := range xs {
		x.ZeroGrad()
	}
	out := f()
	r := engine.FromFloat64(engine.CPU(), backendtest.Randn(rng, out.Len(), 1), out.Shape()...)
	engine.SumAll(engine.Mul(out, r)).Backward()
	eval := func() float64 {
		var v float64
		engine.NoGrad(func() { v = engine.SumAll(engine.Mul(f(), r)).Item() })
		return v
	}
	for k, x := range xs {
		require.NotNil(t, x.Grad(), "input %d %v (%s): no gradient", k, x.Shape(), x.Name)
		data := x.Buffer().(*cpu.Buffer).F64
		idx := rng.Perm(len(data))
		if len(idx) > 40 {
			idx = idx[:40]
		}
		want := backendtest.CentralDiff(eval, data, idx, 1e-6)
		analytic := x.Grad().Float64s()
		got := make([]float64, len(idx))
		for j, i := range idx {
			got[j] = analytic[i]
		}
		backendtest.Close(t, fmt.Sprintf("gradient of %d %v %s", k, x.Shape(), x.Name), got, want, 1e-6)
	}
}

// f64 converts m's parameters and buffers to float64 (ConvertState) and
// returns it.
func f64[M Module](m M) M {
	ConvertState(m, engine.Float64)
	return m
}

// attnRand returns a float64 CPU tensor of N(0, 1) values requiring grad.
func attnRand(rng *rand.Rand, shape ...int) *engine.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return engine.FromFloat64(engine.CPU(), backendtest.Randn(rng, n, 1), shape...).SetRequiresGrad(true)
}

// attnRandomize overwrites every parameter of m with N(0, s^2) values.
func attnRandomize(rng *rand.Rand, m Module, s float64) {
	for _, p := range m.Parameters() {
		p.CopyFrom(engine.FromFloat64(engine.CPU(), backendtest.Randn(rng, p.Len(), s), p.Shape()...))
	}
}

// refLinear returns w x + b for w (out, in) row-major.
func refLinear(w, b, x []float64) []float64 {
	in := len(x)
	out := make([]float64, len(w)/in)
	for o := range out {
		s := 0.0
		if b != nil {
			s = b[o]
		}
		for i := range in {
			s += w[o*in+i] * x[i]
		}
		out[o] = s
	}
	return out
}

// refAttend returns sum_j softmax_j(scale*q.k_j + bias_j) v_j (bias nil
// for none; -Inf masks).
func refAttend(q []float64, ks, vs [][]float64, bias []float64, scale float64) []float64 {
	s := make([]float64, len(ks))
	mx := math.Inf(-1)
	for j, k := range ks {
		for i := range q {
			s[j] += q[i] * k[i]
		}
		s[j] *= scale
		if bias != nil {
			s[j] += bias[j]
		}
		mx = max(mx, s[j])
	}
	out := make([]float64, len(vs[0]))
	z := 0.0
	for j, v := range vs {
		e := math.Exp(s[j] - mx)
		z += e
		for i := range out {
			out[i] += e * v[i]
		}
	}
	for i := range out {
		out[i] /= z
	}
	return out
}

// refHeads runs refAttend per head on vectors split into heads blocks.
func refHeads(q []float64, ks, vs [][]float64, bias []float64, heads int, scale float64) []float64 {
	d := len(q) / heads
	var out []float64
	for h := range heads {
		kh := make([][]float64, len(ks))
		vh := make([][]float64, len(vs))
		for j := range ks {
			kh[j], vh[j] = ks[j][h*d:(h+1)*d], vs[j][h*d:(h+1)*d]
		}
		out = append(out, refAttend(q[h*d:(h+1)*d], kh, vh, bias, scale)...)
	}
	return out
}

func TestMultiHeadAttentionReference(t *testing.T) {
	rng := backendtest.RNG(t.Name())
	const b, lq, lk, c, heads = 2, 3, 5, 6, 3
	m := f64(NewMultiHeadAttention("cross", c, heads, engine.NewGenerator(2)))
	attnRandomize(rng, m, 0.5)
	q, k, v := attnRand(rng, b, lq, c), attnRand(rng, b, lk, c), attnRand(rng, b, lk, c)
	bias := attnRand(rng, b, 1, 1, lk) // key-padding-like, with one masked key
	bd := bias.Float64s()
	bd[lk+2] = math.Inf(-1)
	bias = engine.FromFloat64(engine.CPU(), bd, b, 1, 1, lk)
	got := m.Forward(q, k, v, bias).Float64s()
	w, bb := m.InProjWeight.Float64s(), m.InProjBias.Float64s()
	var want []float64
	for n := range b {
		rows := func(x *engine.Tensor, l, part int) [][]float64 {
			out := make([][]float64, l)
			for j := range l {
				out[j] = refLinear(w[part*c*c:(part+1)*c*c], bb[part*c:(part+1)*c], x.Float64s()[(n*l+j)*c:(n*l+j+1)*c])
			}
			return out
		}
		qs, ks, vs := rows(q, lq, 0), rows(k, lk, 1), rows(v, lk, 2)
		for i := range lq {
			o := refHeads(qs[i], ks, vs, bd[n*lk:(n+1)*lk], heads, 1/math.Sqrt(c/heads))
			want = append(want, refLinear(m.OutWeight.Float64s(), m.OutBias.Float64s(), o)...)
		}
	}
	backendtest.Close(t, "MultiHeadAttention", got, want, 1e-12)
}

func TestWindowAttentionReference(t *testing.T) {
	for _, tc := range []struct{ b, h, w, c, heads, ws int }{
		{2, 5, 7, 6, 2, 3}, // padded both ways
		{1, 4, 4, 4, 1, 2}, // exact
		{1, 3, 2, 4, 2, 8}, // one window, clamped
		{1, 3, 3, 4, 2, 1}, // one token per window
	} {
		t.Run(fmt.Sprint(tc), func(t *testing.T) {
			rng := backendtest.RNG(t.Name())
			m := f64(NewWindowAttention("", tc.c, tc.heads, tc.ws, engine.NewGenerator(3)))
			x := attnRand(rng, tc.b, tc.h, tc.w, tc.c)
			got := m.Forward(x)
			require.Equal(t, x.Shape(), got.Shape())
			backendtest.Close(t, "WindowAttention", got.Float64s(), refWindow(m, x), 1e-12)
		})
	}
}

// refWindow is window attention from its definition: each pixel attends to
// the real pixels of its window (padding never takes part).
func refWindow(m *WindowAttention, x *engine.Tensor) []float64 {
	b, h, w, c := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	wh, ww := min(m.Window, h), min(m.Window, w)
	xs := x.Float64s()
	qkv := make([][]float64, b*h*w)
	for p := range qkv {
		qkv[p] = refLinear(m.QKVWeight.Float64s(), m.QKVBias.Float64s(), xs[p*c:(p+1)*c])
	}
	var out []float64
	for n := range b {
		for i := range h {
			for j := range w {
				var ks, vs [][]float64
				for i2 := i / wh * wh; i2 < min(h, (i/wh+1)*wh); i2++ {
					for j2 := j / ww * ww; j2 < min(w, (j/ww+1)*ww); j2++ {
						p := (n*h+i2)*w + j2
						ks = append(ks, qkv[p][c:2*c])
						vs = append(vs, qkv[p][2*c:])
					}
				}
				o := refHeads(qkv[(n*h+i)*w+j][:c], ks, vs, nil, m.Heads, 1/math.Sqrt(float64(c/m.Heads)))
				out = append(out, refLinear(m.ProjWeight.Float64s(), m.ProjBias.Float64s(), o)...)
			}
		}
	}
	return out
}

func TestMDTAReference(t *testing.T) {
	rng := backendtest.RNG(t.Name())
	const b, c, heads, h, w = 2, 6, 2, 4, 3
	m := f64(NewMDTA("", c, heads, true, engine.NewGenerator(4)))
	m.Temperature.CopyFrom(engine.FromFloat64(engine.CPU(), []float64{0.7, 2.5}, heads, 1, 1))
	x := attnRand(rng, b, c, h, w)
	backendtest.Close(t, "MDTA", m.Forward(x).Float64s(), refMDTA(m, x), 1e-12)
}

// refMDTA is MDTA from its definition, with naive convolutions.
func refMDTA(m *MDTA, x *engine.Tensor) []float64 {
	b, c, h, w := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	hw, d := h*w, c/m.Heads
	xs, dw, dwb := x.Float64s(), m.DW.Float64s(), m.DWBias.Float64s()
	pix := func(t []float64, n, ch, p int) []float64 { // channel vector at pixel p
		out := make([]float64, ch)
		for k := range ch {
			out[k] = t[(n*ch+k)*hw+p]
		}
		return out
	}
	var out []float64
	for n := range b {
		pw := make([]float64, 3*c*hw) // 1x1 conv, (3C, HW)
		for p := range hw {
			v := refLinear(m.QKV.Float64s(), m.QKVBias.Float64s(), pix(xs, n, c, p))
			for k := range 3 * c {
				pw[k*hw+p] = v[k]
			}
		}
		dwo := make([]float64, 3*c*hw) // depthwise 3x3, zero padded
		for k := range 3 * c {
			for i := range h {
				for j := range w {
					s := dwb[k]
					for di := -1; di <= 1; di++ {
						for dj := -1; dj <= 1; dj++ {
							if i+di >= 0 && i+di < h && j+dj >= 0 && j+dj < w {
								s += dw[k*9+(di+1)*3+dj+1] * pw[k*hw+(i+di)*w+j+dj]
							}
						}
					}
					dwo[k*hw+i*w+j] = s
				}
			}
		}
		norm := func(r []float64) []float64 {
			s := 0.0
			for _, v := range r {
				s += v * v
			}
			o := make([]float64, len(r))
			for i, v := range r {
				o[i] = v / math.Sqrt(s)
			}
			return o
		}
		att := make([]float64, c*hw) // (C, HW)
		for hd := range m.Heads {
			var ks, vs [][]float64
			for r := range d {
				ch := hd*d + r
				ks = append(ks, norm(dwo[(c+ch)*hw:(c+ch+1)*hw]))
				vs = append(vs, dwo[(2*c+ch)*hw:(2*c+ch+1)*hw])
			}
			for r := range d {
				ch := hd*d + r
				o := refAttend(norm(dwo[ch*hw:(ch+1)*hw]), ks, vs, nil, m.Temperature.Float64s()[hd])
				copy(att[ch*hw:], o)
			}
		}
		res := make([]float64, c*hw)
		for p := range hw {
			v := refLinear(m.Out.Float64s(), m.OutBias.Float64s(), pix(att, 0, c, p))
			for k := range c {
				res[k*hw+p] = v[k]
			}
		}
		out = append(out, res...)
	}
	return out
}

func TestAttentionLayersGradients(t *testing.T) {
	rng := backendtest.RNG(t.Name())
	t.Run("MultiHeadAttention/self", func(t *testing.T) {
		m := f64(NewMultiHeadAttention("", 4, 2, engine.NewGenerator(5)))
		attnRandomize(rng, m, 0.5)
		x := attnRand(rng, 2, 3, 4)
		attnGradCheck(t, func() *engine.Tensor { return m.Forward(x, x, x, nil) }, append(m.Parameters(), x)...)
	})
	t.Run("MultiHeadAttention/cross", func(t *testing.T) {
		m := f64(NewMultiHeadAttention("", 4, 2, engine.NewGenerator(5)))
		attnRandomize(rng, m, 0.5)
		q, k, v := attnRand(rng, 2, 2, 4), attnRand(rng, 2, 3, 4), attnRand(rng, 2, 3, 4)
		bias := attnRand(rng, 2, 3)
		attnGradCheck(t, func() *engine.Tensor { return m.Forward(q, k, v, bias) }, append(m.Parameters(), q, k, v, bias)...)
	})
	t.Run("WindowAttention", func(t *testing.T) {
		m := f64(NewWindowAttention("", 4, 2, 2, engine.NewGenerator(6)))
		x := attnRand(rng, 2, 3, 5, 4)
		attnGradCheck(t, func() *engine.Tensor { return m.Forward(x) }, append(m.Parameters(), x)...)
	})
	t.Run("MDTA", func(t *testing.T) {
		m := f64(NewMDTA("", 4, 2, true, engine.NewGenerator(7)))
		x := attnRand(rng, 2, 4, 3, 3)
		attnGradCheck(t, func() *engine.Tensor { return m.Forward(x) }, append(m.Parameters(), x)...)
	})
	t.Run("BatchNorm2d", func(t *testing.T) {
		m := f64(NewBatchNorm2d("", 3))
		attnRandomize(rng, m, 1)
		x := attnRand(rng, 2, 3, 2, 3)
		for _, train := range []bool{false, true} {
			m.SetTraining(train)
			attnGradCheck(t, func() *engine.Tensor { return m.Forward(x) }, append(m.Parameters(), x)...)
		}
	})
}

func TestAttentionLayersConstruction(t *testing.T) {
	g := engine.NewGenerator(9)
	shapes := func(m Module) map[string][]int {
		out := map[string][]int{}
		for k, v := range StateDict(m) {
			out[k] = v.Shape()
		}
		return out
	}
	require.Equal(t, map[string][]int{
		"bn.weight": {5}, "bn.bias": {5}, "bn.running_mean": {5}, "bn.running_var": {5},
	}, shapes(NewBatchNorm2d("bn", 5)))
	require.Equal(t, map[string][]int{
		"a.in_proj_weight": {24, 8}, "a.in_proj_bias": {24}, "a.out_proj.weight": {8, 8}, "a.out_proj.bias": {8},
	}, shapes(NewMultiHeadAttention("a", 8, 2, g)))
	require.Equal(t, map[string][]int{
		"w.qkv.weight": {24, 8}, "w.qkv.bias": {24}, "w.proj.weight": {8, 8}, "w.proj.bias": {8},
	}, shapes(NewWindowAttention("w", 8, 4, 4, g)))
	require.Equal(t, map[string][]int{
		"temperature": {2, 1, 1}, "qkv.weight": {24, 8, 1, 1}, "qkv_dwconv.weight": {24, 1, 3, 3},
		"project_out.weight": {8, 8, 1, 1},
	}, shapes(NewMDTA("", 8, 2, false, g)))
	require.Len(t, NewMDTA("", 8, 2, true, g).Parameters(), 7)

	// Initialisation: within PyTorch's bounds and spread over them.
	w := NewWindowAttention("", 16, 4, 4, g).QKVWeight.Float64s()
	lo, hi := 0.0, 0.0
	for _, v := range w {
		lo, hi = min(lo, v), max(hi, v)
	}
	require.True(t, lo >= -0.25 && hi <= 0.25 && lo < -0.2 && hi > 0.2, "qkv init range [%g, %g], want about ±1/4", lo, hi)
	mha := NewMultiHeadAttention("", 16, 4, g)
	bound := math.Sqrt(6.0 / 64)
	for _, v := range mha.InProjWeight.Float64s() {
		require.LessOrEqual(t, math.Abs(v), bound)
	}
	require.Equal(t, make([]float64, 48), mha.InProjBias.Float64s())
	require.Equal(t, []float64{1, 1}, NewMDTA("", 4, 2, false, g).Temperature.Float64s())

	require.Panics(t, func() { NewMultiHeadAttention("", 6, 4, g) })
	require.Panics(t, func() { NewWindowAttention("", 6, 2, 0, g) })
	require.Panics(t, func() { NewMDTA("", 6, 4, false, g) })
	require.Panics(t, func() { NewWindowAttention("", 6, 2, 2, g).Forward(engine.Zeros(1, 6, 2, 2)) })
}
