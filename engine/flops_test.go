package engine

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCountFLOPs(t *testing.T) {
	dev := CPU()
	z := func(shape ...int) *Tensor { return New(dev, Float32, shape...) }
	cases := []struct {
		name string
		fn   func()
		want FLOPCount
	}{
		// 2*3 rows of 5 inputs to 7 outputs; the bias is not counted.
		{"linear", func() { Linear(z(2, 3, 5), z(7, 5), z(7)) }, FLOPCount{Gemm: 6 * 7 * 5}},
		// (2,1,4,3) x (3,6) broadcast: batch 2, M 4, N 6, K 3; transB.
		{"matmul", func() { MatMul(z(2, 1, 4, 3), z(6, 3), false, true) }, FLOPCount{Gemm: 2 * 4 * 6 * 3}},
		// N 2, Cin 6, groups 3, Cout 9, 3x3 kernel, stride 2, pad 1 on 7x5:
		// out 4x3, MACs = N*Cout*(Cin/G)*KH*KW*OH*OW.
		{"conv2d", func() {
			Conv2d(z(2, 6, 7, 5), z(9, 2, 3, 3), z(9), ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 3})
		}, FLOPCount{Gemm: 2 * 9 * 2 * 9 * 4 * 3}},
		// (2, 3) batch, Lq 4, Lk 5, D 6, DV 7.
		{"attention", func() { ScaledDotProductAttention(z(2, 3, 4, 6), z(2, 3, 5, 6), z(2, 3, 5, 7), nil, 0) },
			FLOPCount{Attention: 6 * 4 * 5 * (6 + 7)}},
		// N 2, 6x5 image, G 2, D 3, 3x3 kernel, stride 2 (pad 1): out 3x3.
		{"dcnv3", func() {
			DCNv3Core(z(2, 6, 5, 6), z(2, 3, 3, 2*9*2), z(2, 3, 3, 2*9), DCNv3Options{Stride: 2, Groups: 2})
		}, FLOPCount{DCNv3: 2 * 3 * 3 * 2 * 9 * 3 * 5}},
		{"psf", func() { PSFConv(z(2, 3, 4, 5), z(2, 3, 3)) }, FLOPCount{PSF: 2 * 3 * 4 * 5 * 9}},
		{"resize", func() { Resize(z(1, 2, 3, 3), 5, 4) }, FLOPCount{Resize: 2 * 5 * 4 * 4}},
		{"elementwise", func() { Add(z(3, 4), z(3, 4)) }, FLOPCount{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := CountFLOPs(c.fn)
			require.Equal(t, c.want, got)
			require.Equal(t, 2*got.MACs(), got.FLOPs())
		})
	}
}

func TestCountFLOPsOnlyWhileCounting(t *testing.T) {
	x, w := New(CPU(), Float32, 3, 4), New(CPU(), Float32, 5, 4)
	Linear(x, w, nil) // not counted: outside CountFLOPs
	var inner FLOPCount
	outer := CountFLOPs(func() {
		Linear(x, w, nil)
		inner = CountFLOPs(func() { Linear(x, w, nil) })
		done := make(chan struct{})
		go func() { Linear(x, w, nil); close(done) }() // other goroutines count
		<-done
	})
	require.Equal(t, int64(60), inner.Gemm)
	require.Equal(t, int64(180), outer.Gemm)
	require.Equal(t, FLOPCount{}, CountFLOPs(func() {}))
}

func TestCountFLOPsForwardOnly(t *testing.T) {
	x := New(CPU(), Float32, 3, 4).SetRequiresGrad(true)
	w := New(CPU(), Float32, 5, 4).SetRequiresGrad(true)
	y := Linear(x, w, nil)
	got := CountFLOPs(func() { SumAll(y).Backward() })
	require.Equal(t, FLOPCount{}, got)
}
