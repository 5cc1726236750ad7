package cuda

import (
	"fmt"

	"allnet/engine/backend"
)

// Resize resizes x (N, C, H, W) bilinearly to y (N, C, OH, OW) with
// PyTorch's align_corners=False rule (kernels/resize.cu, one thread per
// output element).
func (b *Backend) Resize(y, x backend.Buffer, n, c, h, w, oh, ow int) {
	resizeShape("Resize", n, c, h, w, oh, ow)
	normF32("Resize", "x", x, n*c*h*w)
	normF32("Resize", "y", y, n*c*oh*ow)
	total := n * c * oh * ow
	b.launch("resize_fwd_f32", dim1(blocksFor(total, 256)), dim1(256), 0, y, x, n*c, h, w, oh, ow,
		float64(h)/float64(oh), float64(w)/float64(ow))
}

// ResizeBackward accumulates the adjoint of Resize into dx, one thread per
// input element gathering from the outputs that read it (no atomics).
func (b *Backend) ResizeBackward(dx, dy backend.Buffer, n, c, h, w, oh, ow int) {
	resizeShape("ResizeBackward", n, c, h, w, oh, ow)
	normF32("ResizeBackward", "dx", dx, n*c*h*w)
	normF32("ResizeBackward", "dy", dy, n*c*oh*ow)
	total := n * c * h * w
	b.launch("resize_bwd_f32", dim1(blocksFor(total, 256)), dim1(256), 0, dx, dy, n*c, h, w, oh, ow,
		float64(h)/float64(oh), float64(w)/float64(ow), float64(oh)/float64(h), float64(ow)/float64(w))
}

func resizeShape(op string, n, c, h, w, oh, ow int) {
	if n <= 0 || c <= 0 || h <= 0 || w <= 0 || oh <= 0 || ow <= 0 {
		panic(fmt.Sprintf("cuda: %s: bad shape (%d, %d, %d, %d) -> (%d, %d)", op, n, c, h, w, oh, ow))
	}
}
