package engine

import (
	"fmt"
	"slices"

	"allnet/engine/backend"
)

// gemmInto runs C = alpha*op(A)*op(B) + beta*C over a batch, with A, B and C
// contiguous matrices of their natural (untransposed-storage) shapes.
func gemmInto(c, a, b *Tensor, transA, transB bool, m, n, k, batch, strideA, strideB int, beta float64) {
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	a.dev.Gemm(backend.GemmArgs{
		TransA: transA, TransB: transB, M: m, N: n, K: k, Batch: batch, Alpha: 1, Beta: beta,
		A: a.buf, LDA: lda, StrideA: strideA,
		B: b.buf, LDB: ldb, StrideB: strideB,
		C: c.buf, LDC: n, StrideC: m * n,
	})
}

// MatMul returns the batched matrix product op(a) op(b), where op transposes
// the last two dimensions when the flag is set. a is (..., M, K) (or
// (..., K, M) with transA), b is (..., K, N) (or (..., N, K) with transB);
// batch dimensions broadcast.
func MatMul(a, b *Tensor, transA, transB bool) *Tensor {
	sameDevice("MatMul", a, b)
	a.mustFloat("MatMul")
	if len(a.shape) < 2 || len(b.shape) < 2 {
		panic(fmt.Sprintf("engine: MatMul: shapes %v and %v need at least 2 dimensions", a.shape, b.shape))
	}
	ra, rb := len(a.shape), len(b.shape)
	m, ka := a.shape[ra-2], a.shape[ra-1]
	if transA {
		m, ka = ka, m
	}
	kb, n := b.shape[rb-2], b.shape[rb-1]
	if transB {
		kb, n = n, kb
	}
	if ka != kb {
		panic(fmt.Sprintf("engine: MatMul: inner dimensions differ: %v (transA=%v) and %v (transB=%v)", a.shape, transA, b.shape, transB))
	}
	batchShape := BroadcastShapes("MatMul", a.shape[:ra-2], b.shape[:rb-2])
	batch := backend.NumElements(batchShape)
	aa, strideA := batchOperand(a, batchShape)
	bb, strideB := batchOperand(b, batchShape)
	out := a.like(append(append([]int(nil), batchShape...), m, n)...)
	gemmInto(out, aa, bb, transA, transB, m, n, ka, batch, strideA, strideB, 0)
	addFLOPs(flopGemm, batch, m, n, ka)
	record(out, "matmul", []*Tensor{a, b}, func(g *Tensor) []*Tensor {
		var ga, gb *Tensor
		if a.requiresGrad {
			// d op(a) = g op(b)^T; if transA, da = (g op(b)^T)^T = op(b) g^T.
			if transA {
				ga = MatMul(b, g, transB, true)
			} else {
				ga = MatMul(g, b, false, !transB)
			}
			ga = sumTo(ga, a.shape)
		}
		if b.requiresGrad {
			if transB {
				gb = MatMul(g, a, true, transA)
			} else {
				gb = MatMul(a, g, !transA, false)
			}
			gb = sumTo(gb, b.shape)
		}
		return []*Tensor{ga, gb}
	})
	return out
}

// batchOperand returns x arranged for a batch of batchShape: shared (stride
// 0) when x has no batch extent, as is when its batch dims equal batchShape,
// else expanded (copied) to the full batch.
func batchOperand(x *Tensor, batchShape []int) (*Tensor, int) {
	r := len(x.shape)
	mat := x.shape[r-2] * x.shape[r-1]
	own := x.shape[:r-2]
	if backend.NumElements(own) == 1 {
		return x, 0
	}
	if slices.Equal(own, batchShape) {
		return x, mat
	}
	full := append(append([]int(nil), batchShape...), x.shape[r-2:]...)
	// Detached: the caller's op records the gradient of x itself (and a
	// NoGrad scope would stop other goroutines' recording too).
	return Expand(x.Detach(), full...), mat
}

// Linear returns x w^T + b for x (..., in), w (out, in) and optional b (out),
// as torch.nn.functional.linear.
func Linear(x, w, b *Tensor) *Tensor {
	sameDevice("Linear", x, w)
	if len(w.shape) != 2 || len(x.shape) < 1 || x.shape[len(x.shape)-1] != w.shape[1] {
		panic(fmt.Sprintf("engine: Linear: input %v with weight %v (want (..., in) and (out, in))", x.shape, w.shape))
	}
	if b != nil && (len(b.shape) != 1 || b.shape[0] != w.shape[0]) {
		panic(fmt.Sprintf("engine: Linear: bias %v for weight %v", b.shape, w.shape))
	}
	in, outF := w.shape[1], w.shape[0]
	rows := x.Len() / max(in, 1)
	shape := append(append([]int(nil), x.shape[:len(x.shape)-1]...), outF)
	out := x.like(shape...)
	if b != nil {
		// Start from the broadcast bias and accumulate the product into it.
		x.dev.Copy(backend.Contiguous(out.buf, []int{rows, outF}), backend.Strided{Buf: b.buf, Strides: []int{0, 1}}, []int{rows, outF}, false)
	}
	beta := 0.0
	if b != nil {
		beta = 1
	}
	gemmInto(out, x, w, false, true, rows, outF, in, 1, 0, 0, beta)
	addFLOPs(flopGemm, rows, outF, in)
	record(out, "linear", []*Tensor{x, w, b}, func(g *Tensor) []*Tensor {
		var gx, gw, gb *Tensor
		if x.requiresGrad {
			gx = x.like(x.shape...)
			gemmInto(gx, g, w, false, false, rows, in, outF, 1, 0, 0, 0)
		}
		if w.requiresGrad {
			gw = w.like(w.shape...)
			gemmInto(gw, g, x, true, false, outF, in, rows, 1, 0, 0, 0)
		}
		if b != nil && b.requiresGrad {
			gb = sumTo(Reshape(g, rows, outF), b.shape)
		}
		return []*Tensor{gx, gw, gb}
	})
	return out
}
