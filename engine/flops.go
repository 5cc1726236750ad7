package engine

import "sync/atomic"

// FLOPCount is the analytic cost of the ops issued while CountFLOPs ran, in
// multiply-accumulates (MACs) per op family. One MAC is one fused
// multiply-add; FLOPs = 2*MACs (the convention of papers that count a
// multiply and an add separately; fvcore and the InternImage tables count
// MACs and call them FLOPs). Counted, forward only:
//
//   - Gemm: MatMul, Linear and Conv2d, M*N*K per product (Conv2d:
//     N*Cout*(Cin/G)*KH*KW*OH*OW, groups included); biases are not counted.
//   - Attention: ScaledDotProductAttention, B*Lq*Lk*(D+DV) (scores and the
//     weighted sum of values; the softmax is not counted).
//   - DCNv3: DCNv3Core, 5 MACs per output pixel, group, sampling point and
//     channel (4 bilinear corners and the mask weight: N*OH*OW*G*P*D*5, the
//     dcnv3_flops rule of InternImage's get_flops.py).
//   - PSF: PSFConv, N*C*H*W*KH*KW.
//   - Resize: bilinear Resize, 4 MACs per output element.
//
// Elementwise ops, normalisations, softmax, pooling, reductions and copies
// are not counted (a few percent of a convolutional network). Backward
// passes are not counted either (they cost about twice the forward), except
// that a Backward run inside the counted function adds the products of
// MatMul's backward, which is built from MatMul.
type FLOPCount struct {
	Gemm, Attention, DCNv3, PSF, Resize int64
}

// MACs returns the total multiply-accumulates.
func (c FLOPCount) MACs() int64 { return c.Gemm + c.Attention + c.DCNv3 + c.PSF + c.Resize }

// FLOPs returns 2*MACs.
func (c FLOPCount) FLOPs() int64 { return 2 * c.MACs() }

// Add returns the sum of c and d.
func (c FLOPCount) Add(d FLOPCount) FLOPCount {
	return FLOPCount{c.Gemm + d.Gemm, c.Attention + d.Attention, c.DCNv3 + d.DCNv3, c.PSF + d.PSF, c.Resize + d.Resize}
}

// flopKind indexes flopTotals.
type flopKind int

const (
	flopGemm flopKind = iota
	flopAttention
	flopDCNv3
	flopPSF
	flopResize
	flopKinds
)

var (
	// flopCounting is the number of CountFLOPs calls running; ops add
	// to flopTotals only while it is positive.
	flopCounting atomic.Int32
	flopTotals   [flopKinds]atomic.Int64
)

// CountFLOPs runs fn and returns the MACs of the counted ops (see
// FLOPCount) issued while it ran. Counting costs an atomic load per op when
// off and an atomic add per op when on; it is safe for ops issued from any
// goroutine, and counts every op issued by any goroutine while fn runs (so
// concurrent or nested CountFLOPs calls include each other's ops). Pair it
// with the meta backend (engine/meta) to count a large model without
// computing it.
func CountFLOPs(fn func()) FLOPCount {
	flopCounting.Add(1)
	before := flopSnapshot()
	defer flopCounting.Add(-1)
	fn()
	after := flopSnapshot()
	return FLOPCount{
		Gemm:      after[flopGemm] - before[flopGemm],
		Attention: after[flopAttention] - before[flopAttention],
		DCNv3:     after[flopDCNv3] - before[flopDCNv3],
		PSF:       after[flopPSF] - before[flopPSF],
		Resize:    after[flopResize] - before[flopResize],
	}
}

func flopSnapshot() (s [flopKinds]int64) {
	for i := range s {
		s[i] = flopTotals[i].Load()
	}
	return s
}

// addFLOPs adds the product of dims (MACs) to kind's total when counting.
func addFLOPs(kind flopKind, dims ...int) {
	if flopCounting.Load() == 0 {
		return
	}
	n := int64(1)
	for _, d := range dims {
		n *= int64(d)
	}
	flopTotals[kind].Add(n)
}
