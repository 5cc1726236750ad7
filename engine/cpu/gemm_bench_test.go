package cpu

import (
	"testing"

	"allnet/engine/backend"
)

// gemmBenchCases are a square product and the linear layers of
// InternImage-S's MLPs at a 288x384 input, batch 1: y = x W^T with x (M, K)
// and W (N, K) as PyTorch stores it (TransB).
var gemmBenchCases = []struct {
	name    string
	m, n, k int
	transB  bool
}{
	{"square_1024", 1024, 1024, 1024, false},
	{"stage1_fc1_6912x80x320", 72 * 96, 320, 80, true},
	{"stage1_fc2_6912x320x80", 72 * 96, 80, 320, true},
	{"stage3_fc1_432x320x1280", 18 * 24, 1280, 320, true},
	{"stage3_fc2_432x1280x320", 18 * 24, 320, 1280, true},
}

// BenchmarkGemm times float32 Gemm on random operands (zeros would let
// implementations skip work) and reports GFLOP/s, counting 2*M*N*K.
func BenchmarkGemm(b *testing.B) {
	c := New()
	for _, bc := range gemmBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			a := c.Alloc(backend.Float32, bc.m*bc.k)
			w := c.Alloc(backend.Float32, bc.k*bc.n)
			y := c.Alloc(backend.Float32, bc.m*bc.n)
			c.RandNormal(a, 1, 0)
			c.RandNormal(w, 2, 0)
			ldb := bc.n
			if bc.transB {
				ldb = bc.k
			}
			g := backend.GemmArgs{TransB: bc.transB, M: bc.m, N: bc.n, K: bc.k, Batch: 1, Alpha: 1,
				A: a, LDA: bc.k, B: w, LDB: ldb, C: y, LDC: bc.n}
			for b.Loop() {
				c.Gemm(g)
			}
			flops := 2 * float64(bc.m) * float64(bc.n) * float64(bc.k)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
