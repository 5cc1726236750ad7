package engine

import (
	"fmt"

	"allnet/engine/backend"
)

// TopK returns the k largest values along the last axis of x (shape
// (..., n)) in descending order, and their int32 positions: both of shape
// (..., k). Ties keep the lower index first; NaN ranks above every number.
// values is differentiable in x: its gradient is scattered back to the
// chosen positions (dx[..., indices[..., j]] += dvalues[..., j]); indices
// carries no gradient.
func TopK(x *Tensor, k int) (values, indices *Tensor) {
	x.mustFloat("TopK")
	if len(x.shape) == 0 || k < 0 || k > x.shape[len(x.shape)-1] {
		panic(fmt.Sprintf("engine: TopK: k=%d along the last axis of shape %v", k, x.shape))
	}
	cols := x.shape[len(x.shape)-1]
	rows := x.Len() / max(cols, 1)
	shape := append(append([]int(nil), x.shape[:len(x.shape)-1]...), k)
	values = x.like(shape...)
	indices = New(x.dev, Int32, shape...)
	x.dev.TopK(values.buf, indices.buf, x.buf, rows, cols, k)
	record(values, "topk", []*Tensor{x}, func(g *Tensor) []*Tensor {
		dx := x.like(x.shape...)
		x.dev.ScatterAdd(dx.buf, g.buf, indices.buf, rows, cols, k, 1)
		return []*Tensor{dx}
	})
	return values, indices
}

// Gather reads x along axis at the int32 positions idx, as torch.gather
// restricted to one case: idx has x's shape in every dimension except axis
// (where it may have any size m), and
//
//	out[a, i, b] = x[a, idx[a, i, b], b]
//
// with a the dimensions before axis and b those after; out has idx's shape
// and x's dtype. Positions outside [0, x.shape[axis]) panic. The gradient
// in x adds dout back to the read positions (repeated positions add up).
func Gather(x *Tensor, axis int, idx *Tensor) *Tensor {
	idx.mustDType("Gather", Int32)
	a := x.axis("Gather", axis)
	ok := idx.dev == x.dev && len(idx.shape) == len(x.shape)
	for i := 0; ok && i < len(x.shape); i++ {
		ok = i == a || idx.shape[i] == x.shape[i]
	}
	if !ok {
		panic(fmt.Sprintf("engine: Gather: index %v for x %v on axis %d (want x's shape except along axis, same device)", idx.shape, x.shape, axis))
	}
	outer := backend.NumElements(x.shape[:a])
	inner := backend.NumElements(x.shape[a+1:])
	srcDim, idxDim := x.shape[a], idx.shape[a]
	out := x.like(idx.shape...)
	x.dev.Gather(out.buf, x.buf, idx.buf, outer, srcDim, idxDim, inner)
	record(out, "gather", []*Tensor{x}, func(g *Tensor) []*Tensor {
		dx := x.like(x.shape...)
		x.dev.ScatterAdd(dx.buf, g.buf, idx.buf, outer, srcDim, idxDim, inner)
		return []*Tensor{dx}
	})
	return out
}

// ArgMax returns the int32 position of the largest value along axis, with
// that axis removed (torch.argmax with keepdim=False): the first position
// on ties, a NaN counting as the largest. It has no gradient.
func ArgMax(x *Tensor, axis int) *Tensor {
	x.mustFloat("ArgMax")
	a := x.axis("ArgMax", axis)
	if x.shape[a] == 0 {
		panic(fmt.Sprintf("engine: ArgMax: empty axis %d of shape %v", axis, x.shape))
	}
	v := x.Detach()
	if last := len(x.shape) - 1; a != last {
		perm := make([]int, 0, len(x.shape))
		for i := range x.shape {
			if i != a {
				perm = append(perm, i)
			}
		}
		v = Permute(v, append(perm, a)...)
	}
	_, idx := TopK(v, 1)
	out := append(append([]int(nil), x.shape[:a]...), x.shape[a+1:]...)
	return Reshape(idx, out...)
}
