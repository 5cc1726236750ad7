package cpu

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"allnet/engine/backend"
)

// threadInvariant runs fn (which returns its outputs) with GOMAXPROCS 1 and
// 5 and fails unless the results are bitwise identical. The shapes used
// are large enough to be split across goroutines, so that under -race this
// also checks that parallel work units do not share outputs.
func threadInvariant(t *testing.T, what string, fn func() [][]float32) {
	t.Helper()
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	want := fn()
	runtime.GOMAXPROCS(5)
	got := fn()
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("%s: output %d differs between 1 and 5 threads", what, i)
		}
	}
}

func TestAttentionThreadInvariant(t *testing.T) {
	c := New()
	r := rand.New(rand.NewPCG(3, 4))
	// Six problems share two bias matrices (with some -Inf entries), so the
	// bias gradient sums across problems.
	g := backend.AttnGeom{Batch: 6, Lq: 37, Lk: 45, D: 16, DV: 12, Scale: 0.3, BiasBatch: 2}
	q, k, v := benchRandBuffer(r, g.Batch*g.Lq*g.D), benchRandBuffer(r, g.Batch*g.Lk*g.D), benchRandBuffer(r, g.Batch*g.Lk*g.DV)
	bias, dOut := benchRandBuffer(r, g.BiasBatch*g.Lq*g.Lk), benchRandBuffer(r, g.Batch*g.Lq*g.DV)
	for i := range bias.F32 {
		if i%7 == 0 {
			bias.F32[i] = float32(math.Inf(-1))
		}
	}
	threadInvariant(t, "Attention", func() [][]float32 {
		out, lse := NewBuffer(backend.Float32, g.Batch*g.Lq*g.DV), NewBuffer(backend.Float32, g.Batch*g.Lq)
		c.Attention(out, lse, q, k, v, bias, g)
		dq, dk, dv := NewBuffer(backend.Float32, q.Len()), NewBuffer(backend.Float32, k.Len()), NewBuffer(backend.Float32, v.Len())
		dBias := NewBuffer(backend.Float32, bias.Len())
		c.AttentionBackward(dq, dk, dv, dBias, dOut, q, k, v, bias, out, lse, g)
		return [][]float32{out.F32, lse.F32, dq.F32, dk.F32, dv.F32, dBias.F32}
	})
}

func TestSoftmaxThreadInvariant(t *testing.T) {
	c := New()
	r := rand.New(rand.NewPCG(5, 6))
	const outer, dim, inner = 40, 300, 3
	x, dy := benchRandBuffer(r, outer*dim*inner), benchRandBuffer(r, outer*dim*inner)
	threadInvariant(t, "Softmax", func() [][]float32 {
		var res [][]float32
		for _, log := range []bool{false, true} {
			y, dx := NewBuffer(backend.Float32, x.Len()), NewBuffer(backend.Float32, x.Len())
			c.Softmax(y, x, outer, dim, inner, log)
			c.SoftmaxBackward(dx, y, dy, outer, dim, inner, log)
			res = append(res, y.F32, dx.F32)
		}
		return res
	})
}

func TestLayerNormThreadInvariant(t *testing.T) {
	c := New()
	r := rand.New(rand.NewPCG(7, 8))
	const rows, cols = 3000, 37
	x, dy, gamma, beta := benchRandBuffer(r, rows*cols), benchRandBuffer(r, rows*cols), benchRandBuffer(r, cols), benchRandBuffer(r, cols)
	threadInvariant(t, "LayerNorm", func() [][]float32 {
		y, mean, rstd := NewBuffer(backend.Float32, rows*cols), NewBuffer(backend.Float32, rows), NewBuffer(backend.Float32, rows)
		c.LayerNorm(y, mean, rstd, x, gamma, beta, rows, cols, 1e-5)
		dx, dgamma, dbeta := NewBuffer(backend.Float32, rows*cols), NewBuffer(backend.Float32, cols), NewBuffer(backend.Float32, cols)
		c.LayerNormBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, rows, cols)
		return [][]float32{y.F32, mean.F32, rstd.F32, dx.F32, dgamma.F32, dbeta.F32}
	})
}

// TestAttentionDegenerate covers no keys (every row fully masked: zero
// output, lse -Inf, zero gradients) and D = 0 (scores equal the bias).
func TestAttentionDegenerate(t *testing.T) {
	c := New()
	g := backend.AttnGeom{Batch: 2, Lq: 3, Lk: 0, D: 2, DV: 2, Scale: 1}
	q := NewBuffer(backend.Float64, 12)
	out, lse := NewBuffer(backend.Float64, 12), NewBuffer(backend.Float64, 6)
	empty := NewBuffer(backend.Float64, 0)
	c.Fill(out, 7)
	c.Attention(out, lse, q, empty, empty, nil, g)
	dq := NewBuffer(backend.Float64, 12)
	c.Fill(dq, 7)
	c.AttentionBackward(dq, empty, empty, nil, out, q, empty, empty, nil, out, lse, g)
	for i := range out.F64 {
		if out.F64[i] != 0 || dq.F64[i] != 0 || !math.IsInf(lse.F64[i/2], -1) {
			t.Fatalf("no keys: out %v dq %v lse %v, want zeros, zeros, -Inf", out.F64, dq.F64, lse.F64)
		}
	}
	// D = 0 and no bias: uniform weights, out is the mean of v.
	g = backend.AttnGeom{Batch: 1, Lq: 1, Lk: 2, D: 0, DV: 1, Scale: 1}
	v := NewBuffer(backend.Float64, 2)
	c.Upload(v, []float64{1, 4})
	out, lse = NewBuffer(backend.Float64, 1), NewBuffer(backend.Float64, 1)
	c.Attention(out, lse, empty, empty, v, nil, g)
	if out.F64[0] != 2.5 || lse.F64[0] != math.Log(2) {
		t.Fatalf("D = 0: out %v lse %v, want 2.5 and log 2", out.F64[0], lse.F64[0])
	}
}
