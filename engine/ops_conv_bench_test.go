package engine

import (
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
)

// convBench is one Conv2d shape of InternImage-S at a 288x384 input, batch 1.
type convBench struct {
	name      string
	x, w      []int
	opts      ConvOptions
	inputGrad bool // whether dx is computed in the backward (not for the stem)
}

var convBenches = []convBench{
	{"stem_3to40_s2_288x384", []int{1, 3, 288, 384}, []int{40, 3, 3, 3},
		ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, false},
	{"40to80_s2_144x192", []int{1, 40, 144, 192}, []int{80, 40, 3, 3},
		ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, true},
	{"dense_80to80_72x96", []int{1, 80, 72, 96}, []int{80, 80, 3, 3},
		ConvOptions{Padding: [2]int{1, 1}}, true},
	{"depthwise_80_72x96", []int{1, 80, 72, 96}, []int{80, 1, 3, 3},
		ConvOptions{Padding: [2]int{1, 1}, Groups: 80}, true},
	{"down_80to160_s2_72x96", []int{1, 80, 72, 96}, []int{160, 80, 3, 3},
		ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, true},
}

// BenchmarkConv2d times float32 Conv2d (with bias) on the CPU, forward only
// and forward plus backward (dW, db and, except for the stem, dx), and
// reports GFLOP/s counting 2 flops per multiply-add of each product.
func BenchmarkConv2d(b *testing.B) {
	for _, bc := range convBenches {
		rng := backendtest.RNG(bc.name)
		newT := func(shape ...int) *Tensor {
			return FromValues(CPU(), Float32, backendtest.Randn(rng, backend.NumElements(shape), 0.1), shape...)
		}
		x, w, bias := newT(bc.x...), newT(bc.w...), newT(bc.w[0])
		var out *Tensor
		NoGrad(func() { out = Conv2d(x, w, bias, bc.opts) })
		// One product: 2 * N * Cout * Cin/G * KH*KW * OH*OW.
		flops := 2 * float64(out.Len()) * float64(bc.w[1]*bc.w[2]*bc.w[3])
		dy := newT(out.Shape()...)

		b.Run(bc.name+"/forward", func(b *testing.B) {
			for b.Loop() {
				NoGrad(func() { Conv2d(x, w, bias, bc.opts) })
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(bc.name+"/forward_backward", func(b *testing.B) {
			x.SetRequiresGrad(bc.inputGrad)
			w.SetRequiresGrad(true)
			bias.SetRequiresGrad(true)
			total := 2 * flops // forward and dW
			if bc.inputGrad {
				total += flops
			}
			for b.Loop() {
				Conv2d(x, w, bias, bc.opts).BackwardWith(dy)
				x.ZeroGrad()
				w.ZeroGrad()
				bias.ZeroGrad()
			}
			b.ReportMetric(total*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		x.SetRequiresGrad(false)
		w.SetRequiresGrad(false)
		bias.SetRequiresGrad(false)
	}
}
