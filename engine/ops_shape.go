package engine

import (
	"fmt"
	"slices"

	"allnet/engine/backend"
)

// Reshape returns x with a new shape of the same size; one dimension may be
// -1 and is inferred. The result shares x's memory.
func Reshape(x *Tensor, shape ...int) *Tensor {
	s := append([]int(nil), shape...)
	infer := -1
	known := 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("engine: Reshape: bad shape %v for %v", shape, x.shape))
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || x.Len()%known != 0 {
			panic(fmt.Sprintf("engine: Reshape: cannot infer -1 in %v from %v", shape, x.shape))
		}
		s[infer] = x.Len() / known
	}
	if backend.NumElements(s) != x.Len() {
		panic(fmt.Sprintf("engine: Reshape: shape %v (%d elements) from %v (%d elements)", shape, backend.NumElements(s), x.shape, x.Len()))
	}
	out := &Tensor{shape: s, dtype: x.dtype, dev: x.dev, buf: x.buf}
	record(out, "reshape", []*Tensor{x}, func(g *Tensor) []*Tensor {
		return []*Tensor{Reshape(g, x.shape...)}
	})
	return out
}

// Flatten reshapes dimensions from..to (inclusive, negative allowed) into one.
func Flatten(x *Tensor, from, to int) *Tensor {
	from, to = x.axis("Flatten", from), x.axis("Flatten", to)
	if from > to {
		panic(fmt.Sprintf("engine: Flatten: from %d > to %d for shape %v", from, to, x.shape))
	}
	s := append([]int(nil), x.shape[:from]...)
	s = append(s, backend.NumElements(x.shape[from:to+1]))
	s = append(s, x.shape[to+1:]...)
	return Reshape(x, s...)
}

// Permute reorders dimensions: out dimension i is x's dimension perm[i].
func Permute(x *Tensor, perm ...int) *Tensor {
	r := len(x.shape)
	if len(perm) != r {
		panic(fmt.Sprintf("engine: Permute: permutation %v for shape %v", perm, x.shape))
	}
	seen := make([]bool, r)
	shape := make([]int, r)
	inv := make([]int, r)
	own := backend.ContiguousStrides(x.shape)
	src := make([]int, r)
	for i, p := range perm {
		if p < 0 {
			p += r
		}
		if p < 0 || p >= r || seen[p] {
			panic(fmt.Sprintf("engine: Permute: permutation %v for shape %v", perm, x.shape))
		}
		seen[p] = true
		shape[i] = x.shape[p]
		src[i] = own[p]
		inv[p] = i
	}
	out := x.like(shape...)
	x.dev.Copy(backend.Contiguous(out.buf, shape), backend.Strided{Buf: x.buf, Strides: src}, shape, false)
	record(out, "permute", []*Tensor{x}, func(g *Tensor) []*Tensor {
		return []*Tensor{Permute(g, inv...)}
	})
	return out
}

// Transpose swaps two dimensions.
func Transpose(x *Tensor, a, b int) *Tensor {
	a, b = x.axis("Transpose", a), x.axis("Transpose", b)
	perm := make([]int, len(x.shape))
	for i := range perm {
		perm[i] = i
	}
	perm[a], perm[b] = b, a
	return Permute(x, perm...)
}

// Expand broadcasts x to shape (NumPy rules) by copying.
func Expand(x *Tensor, shape ...int) *Tensor {
	s := BroadcastShapes("Expand", x.shape, shape)
	if !slices.Equal(s, shape) {
		panic(fmt.Sprintf("engine: Expand: shape %v does not broadcast to %v", x.shape, shape))
	}
	out := x.like(s...)
	x.dev.Copy(backend.Contiguous(out.buf, s), broadcastView(x, s), s, false)
	record(out, "expand", []*Tensor{x}, func(g *Tensor) []*Tensor {
		return []*Tensor{sumTo(g, x.shape)}
	})
	return out
}

// Slice returns x[..., start:end, ...] along axis.
func Slice(x *Tensor, axis, start, end int) *Tensor {
	axis = x.axis("Slice", axis)
	if start < 0 || end > x.shape[axis] || start > end {
		panic(fmt.Sprintf("engine: Slice: range [%d, %d) on axis %d of shape %v", start, end, axis, x.shape))
	}
	shape := append([]int(nil), x.shape...)
	shape[axis] = end - start
	out := x.like(shape...)
	src := backend.Contiguous(x.buf, x.shape)
	src.Off = start * src.Strides[axis]
	x.dev.Copy(backend.Contiguous(out.buf, shape), src, shape, false)
	record(out, "slice", []*Tensor{x}, func(g *Tensor) []*Tensor {
		gx := x.like(x.shape...)
		dst := backend.Contiguous(gx.buf, x.shape)
		dst.Off = start * dst.Strides[axis]
		x.dev.Copy(dst, backend.Contiguous(g.buf, shape), shape, false)
		return []*Tensor{gx}
	})
	return out
}

// Concat joins tensors along axis; all other dimensions must agree.
func Concat(axis int, ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		panic("engine: Concat of no tensors")
	}
	sameDevice("Concat", ts...)
	axis = ts[0].axis("Concat", axis)
	shape := append([]int(nil), ts[0].shape...)
	shape[axis] = 0
	for _, t := range ts {
		if len(t.shape) != len(shape) {
			panic(fmt.Sprintf("engine: Concat: shapes %v and %v differ in rank", ts[0].shape, t.shape))
		}
		for i := range shape {
			if i != axis && t.shape[i] != ts[0].shape[i] {
				panic(fmt.Sprintf("engine: Concat on axis %d: shapes %v and %v", axis, ts[0].shape, t.shape))
			}
		}
		shape[axis] += t.shape[axis]
	}
	out := ts[0].like(shape...)
	dst := backend.Contiguous(out.buf, shape)
	start := 0
	starts := make([]int, len(ts))
	for i, t := range ts {
		starts[i] = start
		d := dst
		d.Off = start * dst.Strides[axis]
		t.dev.Copy(d, backend.Contiguous(t.buf, t.shape), t.shape, false)
		start += t.shape[axis]
	}
	record(out, "concat", ts, func(g *Tensor) []*Tensor {
		gs := make([]*Tensor, len(ts))
		for i, t := range ts {
			if t.requiresGrad {
				gs[i] = Slice(g, axis, starts[i], starts[i]+t.shape[axis])
			}
		}
		return gs
	})
	return out
}

// Split cuts x along axis into pieces of the given sizes (which must add up
// to the dimension).
func Split(x *Tensor, axis int, sizes ...int) []*Tensor {
	axis = x.axis("Split", axis)
	total := 0
	for _, s := range sizes {
		if s < 0 {
			panic(fmt.Sprintf("engine: Split: negative size in %v", sizes))
		}
		total += s
	}
	if total != x.shape[axis] {
		panic(fmt.Sprintf("engine: Split: sizes %v add up to %d, axis %d of shape %v is %d", sizes, total, axis, x.shape, x.shape[axis]))
	}
	out := make([]*Tensor, len(sizes))
	start := 0
	for i, s := range sizes {
		out[i] = Slice(x, axis, start, start+s)
		start += s
	}
	return out
}

// Pad pads x with a constant: pads holds (before, after) pairs for the
// leading dimensions in order, like numpy.pad (missing trailing dimensions
// are not padded). Negative pads are not allowed.
func Pad(x *Tensor, value float64, pads ...[2]int) *Tensor {
	if len(pads) > len(x.shape) {
		panic(fmt.Sprintf("engine: Pad: %d pad pairs for shape %v", len(pads), x.shape))
	}
	shape := append([]int(nil), x.shape...)
	off := 0
	outStrides := make([]int, len(shape))
	for i, p := range pads {
		if p[0] < 0 || p[1] < 0 {
			panic(fmt.Sprintf("engine: Pad: negative padding %v", pads))
		}
		shape[i] += p[0] + p[1]
	}
	copy(outStrides, backend.ContiguousStrides(shape))
	for i, p := range pads {
		off += p[0] * outStrides[i]
	}
	out := Full(x.dev, x.dtype, value, shape...)
	x.dev.Copy(backend.Strided{Buf: out.buf, Off: off, Strides: outStrides}, backend.Contiguous(x.buf, x.shape), x.shape, false)
	record(out, "pad", []*Tensor{x}, func(g *Tensor) []*Tensor {
		gx := x.like(x.shape...)
		x.dev.Copy(backend.Contiguous(gx.buf, x.shape), backend.Strided{Buf: g.buf, Off: off, Strides: outStrides}, x.shape, false)
		return []*Tensor{gx}
	})
	return out
}

// PixelShuffle rearranges (N, C*r*r, H, W) into (N, C, H*r, W*r) as
// torch.nn.functional.pixel_shuffle.
func PixelShuffle(x *Tensor, r int) *Tensor {
	if len(x.shape) != 4 || r < 1 || x.shape[1]%(r*r) != 0 {
		panic(fmt.Sprintf("engine: PixelShuffle: factor %d for shape %v (want (N, C*r*r, H, W))", r, x.shape))
	}
	n, c, h, w := x.shape[0], x.shape[1]/(r*r), x.shape[2], x.shape[3]
	y := Reshape(x, n, c, r, r, h, w)
	y = Permute(y, 0, 1, 4, 2, 5, 3)
	return Reshape(y, n, c, h*r, w*r)
}

// Squeeze removes dimension axis, which must have size 1.
func Squeeze(x *Tensor, axis int) *Tensor {
	axis = x.axis("Squeeze", axis)
	if x.shape[axis] != 1 {
		panic(fmt.Sprintf("engine: Squeeze: axis %d of shape %v is not 1", axis, x.shape))
	}
	s := append(append([]int(nil), x.shape[:axis]...), x.shape[axis+1:]...)
	return Reshape(x, s...)
}

// Unsqueeze inserts a dimension of size 1 at position axis (0..rank).
func Unsqueeze(x *Tensor, axis int) *Tensor {
	r := len(x.shape)
	if axis < 0 {
		axis += r + 1
	}
	if axis < 0 || axis > r {
		panic(fmt.Sprintf("engine: Unsqueeze: axis %d for shape %v", axis, x.shape))
	}
	s := append(append(append([]int(nil), x.shape[:axis]...), 1), x.shape[axis:]...)
	return Reshape(x, s...)
}
