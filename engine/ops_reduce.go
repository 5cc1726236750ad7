package engine

import (
	"fmt"
	"sort"

	"allnet/engine/backend"
)

// reducedShape resolves axes (negative allowed, none = all) against shape and
// returns the shape with 1 in the reduced dimensions and the sorted axes.
func reducedShape(op string, x *Tensor, axes []int) ([]int, []int) {
	keep := append([]int(nil), x.shape...)
	var ax []int
	if len(axes) == 0 {
		for i := range keep {
			ax = append(ax, i)
		}
	} else {
		seen := map[int]bool{}
		for _, a := range axes {
			a = x.axis(op, a)
			if seen[a] {
				panic(fmt.Sprintf("engine: %s: axis %d repeated in %v for shape %v", op, a, axes, x.shape))
			}
			seen[a] = true
			ax = append(ax, a)
		}
		sort.Ints(ax)
	}
	for _, a := range ax {
		keep[a] = 1
	}
	return keep, ax
}

// squeezed drops the reduced axes from a keep-dims shape.
func squeezed(keep, axes []int) []int {
	out := []int{}
	j := 0
	for i, d := range keep {
		if j < len(axes) && axes[j] == i {
			j++
			continue
		}
		out = append(out, d)
	}
	return out
}

// Sum sums x over axes (all axes when none are given). With keepDim the
// reduced axes stay as size 1.
func Sum(x *Tensor, keepDim bool, axes ...int) *Tensor {
	x.mustFloat("Sum")
	keep, ax := reducedShape("Sum", x, axes)
	out := x.like(keep...)
	x.dev.Reduce(backend.ReduceSum, out.buf, keep, x.buf, x.shape)
	if !keepDim {
		out.shape = squeezed(keep, ax)
	}
	record(out, "sum", []*Tensor{x}, func(g *Tensor) []*Tensor {
		return []*Tensor{Expand(Reshape(g, keep...), x.shape...)}
	})
	return out
}

// Mean averages x over axes (all when none are given).
func Mean(x *Tensor, keepDim bool, axes ...int) *Tensor {
	keep, _ := reducedShape("Mean", x, axes)
	n := x.Len() / max(backend.NumElements(keep), 1)
	if n == 0 {
		panic(fmt.Sprintf("engine: Mean over empty axes of shape %v", x.shape))
	}
	return Scale(Sum(x, keepDim, axes...), 1/float64(n))
}

// Max takes the maximum over axes (all when none are given). The gradient
// is shared equally between tied maxima (PyTorch's amax).
func Max(x *Tensor, keepDim bool, axes ...int) *Tensor {
	x.mustFloat("Max")
	keep, ax := reducedShape("Max", x, axes)
	out := x.like(keep...)
	x.dev.Reduce(backend.ReduceMax, out.buf, keep, x.buf, x.shape)
	full := out.Detach()
	if !keepDim {
		out.shape = squeezed(keep, ax)
	}
	record(out, "max", []*Tensor{x}, func(g *Tensor) []*Tensor {
		hit := binaryOp(backend.Eq, x, full)
		count := x.like(keep...)
		x.dev.Reduce(backend.ReduceSum, count.buf, keep, hit.buf, x.shape)
		share := binaryOp(backend.Div, Reshape(g, keep...), count)
		return []*Tensor{binaryOp(backend.Mul, hit, share)}
	})
	return out
}

// SumAll returns the sum of all elements as a one-element tensor of shape ().
func SumAll(x *Tensor) *Tensor { return Sum(x, false) }

// MeanAll returns the mean of all elements as a tensor of shape ().
func MeanAll(x *Tensor) *Tensor { return Mean(x, false) }
