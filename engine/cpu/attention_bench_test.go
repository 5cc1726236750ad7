package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"allnet/engine/backend"
)

// attnBenchGeoms are ALLNet's window attention shapes, per head of 32
// channels: windows of 4, 8 and 16 (16, 64 and 256 tokens) over a 72x96
// feature map give 432, 108 and 27 problems.
var attnBenchGeoms = []backend.AttnGeom{
	{Batch: 432, Lq: 16, Lk: 16, D: 32, DV: 32},
	{Batch: 108, Lq: 64, Lk: 64, D: 32, DV: 32},
	{Batch: 27, Lq: 256, Lk: 256, D: 32, DV: 32},
}

// benchRandBuffer returns a float32 buffer of n standard normal values.
func benchRandBuffer(r *rand.Rand, n int) *Buffer {
	b := NewBuffer(backend.Float32, n)
	for i := range b.F32 {
		b.F32[i] = float32(r.NormFloat64())
	}
	return b
}

// attnBenchFlops counts the multiply-adds of the forward (q k^T and P v)
// as 2 flops each.
func attnBenchFlops(g backend.AttnGeom) float64 {
	return 2 * float64(g.Batch*g.Lq*g.Lk*(g.D+g.DV))
}

// attnBenchInputs returns random float32 q, k, v for g and the buffers of
// the forward's out and lse.
func attnBenchInputs(r *rand.Rand, g backend.AttnGeom) (q, k, v, out, lse *Buffer) {
	q, k, v = benchRandBuffer(r, g.Batch*g.Lq*g.D), benchRandBuffer(r, g.Batch*g.Lk*g.D), benchRandBuffer(r, g.Batch*g.Lk*g.DV)
	out, lse = NewBuffer(backend.Float32, g.Batch*g.Lq*g.DV), NewBuffer(backend.Float32, g.Batch*g.Lq)
	return q, k, v, out, lse
}

func BenchmarkAttentionForward(b *testing.B) {
	c := New()
	for _, g := range attnBenchGeoms {
		g.Scale = 1 / math.Sqrt(float64(g.D))
		b.Run(fmt.Sprintf("B%d_L%d_D%d", g.Batch, g.Lq, g.D), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			q, k, v, out, lse := attnBenchInputs(r, g)
			for b.Loop() {
				c.Attention(out, lse, q, k, v, nil, g)
			}
			b.ReportMetric(attnBenchFlops(g)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkAttentionBackward(b *testing.B) {
	c := New()
	for _, g := range attnBenchGeoms {
		g.Scale = 1 / math.Sqrt(float64(g.D))
		b.Run(fmt.Sprintf("B%d_L%d_D%d", g.Batch, g.Lq, g.D), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			q, k, v, out, lse := attnBenchInputs(r, g)
			c.Attention(out, lse, q, k, v, nil, g)
			dOut := benchRandBuffer(r, g.Batch*g.Lq*g.DV)
			dq, dk, dv := NewBuffer(backend.Float32, g.Batch*g.Lq*g.D), NewBuffer(backend.Float32, g.Batch*g.Lk*g.D),
				NewBuffer(backend.Float32, g.Batch*g.Lk*g.DV)
			for b.Loop() {
				c.AttentionBackward(dq, dk, dv, nil, dOut, q, k, v, nil, out, lse, g)
			}
			// The backward does the forward's two products plus dq, dk, dv.
			b.ReportMetric(2.5*attnBenchFlops(g)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkLayerNorm(b *testing.B) {
	const rows, cols = 72 * 96, 80
	c := New()
	r := rand.New(rand.NewPCG(1, 2))
	x, gamma, beta := benchRandBuffer(r, rows*cols), benchRandBuffer(r, cols), benchRandBuffer(r, cols)
	y := NewBuffer(backend.Float32, rows*cols)
	mean, rstd := NewBuffer(backend.Float32, rows), NewBuffer(backend.Float32, rows)
	b.Run("Forward", func(b *testing.B) {
		for b.Loop() {
			c.LayerNorm(y, mean, rstd, x, gamma, beta, rows, cols, 1e-6)
		}
		b.SetBytes(2 * 4 * rows * cols)
	})
	b.Run("Backward", func(b *testing.B) {
		dy, dx := benchRandBuffer(r, rows*cols), NewBuffer(backend.Float32, rows*cols)
		dgamma, dbeta := NewBuffer(backend.Float32, cols), NewBuffer(backend.Float32, cols)
		for b.Loop() {
			c.LayerNormBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, rows, cols)
		}
		b.SetBytes(3 * 4 * rows * cols)
	})
}
