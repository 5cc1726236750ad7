package engine

import "fmt"

// Resize resizes x (N, C, H, W) bilinearly to (N, C, oh, ow), as
// torch.nn.functional.interpolate(x, size=(oh, ow), mode="bilinear",
// align_corners=False). Along each axis, output position d samples the
// input at
//
//	src = max((d + 0.5) * in/out - 0.5, 0)
//
// interpolating linearly between floor(src) and the next position (clamped
// to the last row/column). The backward spreads each output gradient over
// its four source pixels with the same weights (ResizeBackward).
func Resize(x *Tensor, oh, ow int) *Tensor {
	x.mustFloat("Resize")
	if len(x.shape) != 4 || x.Len() == 0 || oh <= 0 || ow <= 0 {
		panic(fmt.Sprintf("engine: Resize: input %v to %dx%d (want (N, C, H, W) and a positive size)", x.shape, oh, ow))
	}
	n, c, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	out := x.like(n, c, oh, ow)
	x.dev.Resize(out.buf, x.buf, n, c, h, w, oh, ow)
	addFLOPs(flopResize, n, c, oh, ow, 4)
	record(out, "resize", []*Tensor{x}, func(g *Tensor) []*Tensor {
		dx := x.like(x.shape...) // zeroed: the primitive accumulates
		x.dev.ResizeBackward(dx.buf, g.buf, n, c, h, w, oh, ow)
		return []*Tensor{dx}
	})
	return out
}
