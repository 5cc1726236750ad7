package cpu

import (
	"fmt"

	"allnet/engine/backend"
)

// Resize resizes x (N, C, H, W) bilinearly to y (N, C, OH, OW) with
// PyTorch's align_corners=False rule (see backend.Backend.Resize), parallel
// over the rows of y. Input rows are interpolated along W once and reused by
// the output rows that read them; the arithmetic is PyTorch's,
// lh0*(lw0*a + lw1*b) + lh1*(lw0*c + lw1*d).
func (*CPU) Resize(y, x backend.Buffer, n, c, h, w, oh, ow int) {
	checkResize("Resize", n, c, h, w, oh, ow)
	checkLen("Resize", "x", x, n*c*h*w)
	checkLen("Resize", "y", y, n*c*oh*ow)
	if isF64(x) {
		resize(floats[float64](y), floats[float64](x), n*c, h, w, oh, ow)
	} else {
		resize(floats[float32](y), floats[float32](x), n*c, h, w, oh, ow)
	}
}

// ResizeBackward accumulates the adjoint of Resize: every dy element is
// spread over its four source pixels with the forward weights (separably:
// along H, then along W), parallel over the (n, c) planes.
func (*CPU) ResizeBackward(dx, dy backend.Buffer, n, c, h, w, oh, ow int) {
	checkResize("ResizeBackward", n, c, h, w, oh, ow)
	checkLen("ResizeBackward", "dx", dx, n*c*h*w)
	checkLen("ResizeBackward", "dy", dy, n*c*oh*ow)
	if isF64(dy) {
		resizeBackward(floats[float64](dx), floats[float64](dy), n*c, h, w, oh, ow)
	} else {
		resizeBackward(floats[float32](dx), floats[float32](dy), n*c, h, w, oh, ow)
	}
}

func checkResize(op string, n, c, h, w, oh, ow int) {
	if n <= 0 || c <= 0 || h <= 0 || w <= 0 || oh <= 0 || ow <= 0 {
		panic(fmt.Sprintf("cpu: %s: bad shape (%d, %d, %d, %d) -> (%d, %d)", op, n, c, h, w, oh, ow))
	}
}

// lerpAxis holds, for each output position along one axis, the two source
// indices and their weights.
type lerpAxis[T Float] struct {
	i0, i1 []int
	l0, l1 []T
}

// newLerpAxis computes the source positions of out outputs over in inputs:
// src = (dst + 0.5)*in/out - 0.5, clamped below at 0; i1 = i0 + 1 clamped to
// in-1.
func newLerpAxis[T Float](in, out int) lerpAxis[T] {
	a := lerpAxis[T]{i0: make([]int, out), i1: make([]int, out), l0: make([]T, out), l1: make([]T, out)}
	scale := float64(in) / float64(out)
	for d := range out {
		src := max((float64(d)+0.5)*scale-0.5, 0)
		i := min(int(src), in-1)
		a.i0[d] = i
		a.i1[d] = min(i+1, in-1)
		l := src - float64(i)
		a.l1[d] = T(l)
		a.l0[d] = T(1 - l)
	}
	return a
}

func resize[T Float](y, x []T, planes, h, w, oh, ow int) {
	ah := newLerpAxis[T](h, oh)
	aw := newLerpAxis[T](w, ow)
	parallelFor(planes*oh, max(1, 8192/ow), func(lo, hi int) {
		// Rows interpolated along W, cached: consecutive output rows of an
		// upsampling read the same two input rows.
		t0, t1 := make([]T, ow), make([]T, ow)
		k0, k1 := -1, -1 // the global input rows t0 and t1 hold
		for r := lo; r < hi; r++ {
			oy := r % oh
			base := r / oh * h
			if g0, g1 := base+ah.i0[oy], base+ah.i1[oy]; g0 != k0 || g1 != k1 {
				switch {
				case g0 == k1:
					t0, t1 = t1, t0
				case g0 != k0:
					lerpRow(t0, x[g0*w:g0*w+w], aw)
				}
				if g1 != g0 {
					lerpRow(t1, x[g1*w:g1*w+w], aw)
				} else {
					copy(t1, t0)
				}
				k0, k1 = g0, g1
			}
			lh0, lh1 := ah.l0[oy], ah.l1[oy]
			out := y[r*ow : (r+1)*ow]
			a, b := t0[:len(out)], t1[:len(out)]
			for ox := range out {
				out[ox] = lh0*a[ox] + lh1*b[ox]
			}
		}
	})
}

// lerpRow interpolates one input row along the axis a into dst.
func lerpRow[T Float](dst, src []T, a lerpAxis[T]) {
	i0, i1, l0, l1 := a.i0[:len(dst)], a.i1[:len(dst)], a.l0[:len(dst)], a.l1[:len(dst)]
	for j := range dst {
		dst[j] = l0[j]*src[i0[j]] + l1[j]*src[i1[j]]
	}
}

func resizeBackward[T Float](dx, dy []T, planes, h, w, oh, ow int) {
	ah := newLerpAxis[T](h, oh)
	aw := newLerpAxis[T](w, ow)
	parallelFor(planes, max(1, 16384/(oh*ow)), func(lo, hi int) {
		// Separable: first the adjoint along H into tmp (H, OW), then the
		// adjoint along W from each tmp row into dx.
		tmp := make([]T, h*ow)
		for p := lo; p < hi; p++ {
			clear(tmp)
			for oy := range oh {
				g := dy[(p*oh+oy)*ow : (p*oh+oy+1)*ow]
				r0 := tmp[ah.i0[oy]*ow : ah.i0[oy]*ow+len(g)]
				r1 := tmp[ah.i1[oy]*ow : ah.i1[oy]*ow+len(g)]
				lh0, lh1 := ah.l0[oy], ah.l1[oy]
				for ox, v := range g {
					r0[ox] += lh0 * v
					r1[ox] += lh1 * v
				}
			}
			i0, i1, l0, l1 := aw.i0[:ow], aw.i1[:ow], aw.l0[:ow], aw.l1[:ow]
			for ih := range h {
				src := tmp[ih*ow : ih*ow+ow]
				dst := dx[(p*h+ih)*w : (p*h+ih+1)*w]
				for ox, v := range src {
					dst[i0[ox]] += l0[ox] * v
					dst[i1[ox]] += l1[ox] * v
				}
			}
		}
	})
}
