package engine

import (
	"fmt"
	"slices"

	"allnet/engine/backend"
)

// BroadcastShapes returns the NumPy broadcast of shapes a and b, or panics
// naming op and both shapes.
func BroadcastShapes(op string, a, b []int) []int {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := 0; i < r; i++ {
		da, db := dimFromEnd(a, r-1-i), dimFromEnd(b, r-1-i)
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			panic(fmt.Sprintf("engine: %s: shapes %v and %v do not broadcast", op, a, b))
		}
	}
	return out
}

// dimFromEnd returns dimension len(s)-1-k of s counted from the end, or 1
// beyond its rank.
func dimFromEnd(s []int, k int) int {
	if k < len(s) {
		return s[len(s)-1-k]
	}
	return 1
}

// broadcastView returns a strided view of t that reads it as shape out
// (which t broadcasts to): zero strides on broadcast dimensions.
func broadcastView(t *Tensor, out []int) backend.Strided {
	r := len(out)
	own := backend.ContiguousStrides(t.shape)
	st := make([]int, r)
	for i := 0; i < r; i++ {
		k := r - 1 - i // dimension counted from the end
		if k < len(t.shape) {
			j := len(t.shape) - 1 - k
			if t.shape[j] != 1 || out[i] == 1 {
				st[i] = own[j]
			}
		}
	}
	return backend.Strided{Buf: t.buf, Strides: st}
}

// sumTo reduces gradient g (of a broadcast shape) back to shape, summing
// over broadcast dimensions.
func sumTo(g *Tensor, shape []int) *Tensor {
	if slices.Equal(g.shape, shape) {
		return g
	}
	r := len(g.shape)
	dst := make([]int, r)
	for i := 0; i < r; i++ {
		dst[i] = dimFromEnd(shape, r-1-i)
	}
	out := g.like(dst...)
	g.dev.Reduce(backend.ReduceSum, out.buf, dst, g.buf, g.shape)
	out.shape = append([]int(nil), shape...)
	return out
}
