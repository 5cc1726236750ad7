package cpu

import (
	"testing"

	"allnet/engine/backend"
)

// gemmBenchCases are a square product, the linear layers of InternImage-S's
// MLPs at a 288x384 input, batch 1: y = x W^T with x (M, K) and W (N, K) as
// PyTorch stores it (TransB), and the two batched products of attention with
// small K: scores Q K^T and the weighted sum P V over 108 heads x images.
var gemmBenchCases = []struct {
	name           string
	m, n, k, batch int
	transB         bool
}{
	{"square_1024", 1024, 1024, 1024, 1, false},
	{"stage1_fc1_6912x80x320", 72 * 96, 320, 80, 1, true},
	{"stage1_fc2_6912x320x80", 72 * 96, 80, 320, 1, true},
	{"stage3_fc1_432x320x1280", 18 * 24, 1280, 320, 1, true},
	{"stage3_fc2_432x1280x320", 18 * 24, 320, 1280, 1, true},
	{"attn_qk_64x64x32_b108", 64, 64, 32, 108, true},
	{"attn_pv_64x32x64_b108", 64, 32, 64, 108, false},
}

// BenchmarkGemm times float32 Gemm on random operands (zeros would let
// implementations skip work) and reports GFLOP/s, counting 2*M*N*K per
// batch matrix.
func BenchmarkGemm(b *testing.B) {
	c := New()
	for _, bc := range gemmBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			a := c.Alloc(backend.Float32, bc.batch*bc.m*bc.k)
			w := c.Alloc(backend.Float32, bc.batch*bc.k*bc.n)
			y := c.Alloc(backend.Float32, bc.batch*bc.m*bc.n)
			c.RandNormal(a, 1, 0)
			c.RandNormal(w, 2, 0)
			ldb := bc.n
			if bc.transB {
				ldb = bc.k
			}
			g := backend.GemmArgs{TransB: bc.transB, M: bc.m, N: bc.n, K: bc.k, Batch: bc.batch, Alpha: 1,
				A: a, LDA: bc.k, StrideA: bc.m * bc.k, B: w, LDB: ldb, StrideB: bc.k * bc.n,
				C: y, LDC: bc.n, StrideC: bc.m * bc.n}
			for b.Loop() {
				c.Gemm(g)
			}
			flops := 2 * float64(bc.batch) * float64(bc.m) * float64(bc.n) * float64(bc.k)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
