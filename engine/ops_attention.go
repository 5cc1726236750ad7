package engine

import (
	"fmt"
	"math"
	"slices"

	"allnet/engine/backend"
)

// ScaledDotProductAttention returns
//
//	out = softmax(scale * q k^T + bias) v
//
// for q (..., Lq, D), k (..., Lk, D) and v (..., Lk, DV) with equal leading
// dimensions, giving out (..., Lq, DV); the softmax runs over the keys.
// scale <= 0 means 1/sqrt(D). bias (nil for none) is additive and
// broadcasts to (..., Lq, Lk) by NumPy rules: -Inf masks a key, and a query
// row whose keys are all masked yields zeros (where PyTorch gives NaN).
// Biases of shape (Lq, Lk), (..., Lq, Lk) or a trailing part of the leading
// dimensions such as (H, Lq, Lk) for q (B, H, Lq, D) are read in place; other
// broadcasts, such as a key-padding mask (B, 1, 1, Lk), are expanded first.
// Gradients flow to q, k, v and to bias when it requires them.
func ScaledDotProductAttention(q, k, v, bias *Tensor, scale float64) *Tensor {
	const op = "ScaledDotProductAttention"
	sameDevice(op, q, k, v)
	q.mustFloat(op)
	r := len(q.shape)
	if r < 2 || len(k.shape) != r || len(v.shape) != r ||
		!slices.Equal(q.shape[:r-2], k.shape[:r-2]) || !slices.Equal(q.shape[:r-2], v.shape[:r-2]) ||
		q.shape[r-1] != k.shape[r-1] || k.shape[r-2] != v.shape[r-2] {
		panic(fmt.Sprintf("engine: %s: q %v, k %v, v %v (want (..., Lq, D), (..., Lk, D), (..., Lk, DV))", op, q.shape, k.shape, v.shape))
	}
	lead := q.shape[:r-2]
	lq, d, lk, dv := q.shape[r-2], q.shape[r-1], k.shape[r-2], v.shape[r-1]
	if scale <= 0 {
		scale = 1
		if d > 0 {
			scale = 1 / math.Sqrt(float64(d))
		}
	}
	batch := backend.NumElements(lead)
	out := q.like(append(append([]int(nil), lead...), lq, dv)...)
	if batch == 0 {
		return out
	}
	b, biasBatch := attnBias(op, q, bias, lead, lq, lk)
	g := backend.AttnGeom{Batch: batch, Lq: lq, Lk: lk, D: d, DV: dv, Scale: scale, BiasBatch: biasBatch}
	lse := q.like(batch * lq)
	q.dev.Attention(out.buf, lse.buf, q.buf, k.buf, v.buf, bufOf(b), g)
	addFLOPs(flopAttention, batch, lq, lk, d+dv)
	record(out, "attention", []*Tensor{q, k, v, b}, func(gr *Tensor) []*Tensor {
		dq, dk, dvv := q.like(q.shape...), k.like(k.shape...), v.like(v.shape...)
		var db *Tensor
		if b != nil && b.requiresGrad {
			db = b.like(b.shape...) // zeroed: the primitive accumulates into it
		}
		q.dev.AttentionBackward(dq.buf, dk.buf, dvv.buf, bufOf(db), gr.buf, q.buf, k.buf, v.buf, bufOf(b), out.buf, lse.buf, g)
		return []*Tensor{dq, dk, dvv, db}
	})
	return out
}

// attnBias checks that bias broadcasts to (lead..., lq, lk) and returns the
// tensor the primitive reads with its BiasBatch: bias itself when its
// leading dimensions (less leading ones) are a trailing part of lead, else
// bias expanded to the full shape (a recorded op, so its gradient is summed
// back). A nil bias gives (nil, 1).
func attnBias(op string, q, bias *Tensor, lead []int, lq, lk int) (*Tensor, int) {
	if bias == nil {
		return nil, 1
	}
	sameDevice(op, q, bias)
	full := append(append([]int(nil), lead...), lq, lk)
	rb := len(bias.shape)
	ok := rb <= len(full)
	for i := 0; ok && i < rb; i++ {
		d := bias.shape[rb-1-i]
		ok = d == 1 || d == full[len(full)-1-i]
	}
	if !ok {
		panic(fmt.Sprintf("engine: %s: bias %v does not broadcast to scores %v", op, bias.shape, full))
	}
	if rb >= 2 && bias.shape[rb-2] == lq && bias.shape[rb-1] == lk {
		bl := bias.shape[:rb-2]
		for len(bl) > 0 && bl[0] == 1 {
			bl = bl[1:]
		}
		if slices.Equal(bl, lead[len(lead)-len(bl):]) {
			return bias, backend.NumElements(bl)
		}
	}
	return Expand(bias, full...), backend.NumElements(lead)
}
