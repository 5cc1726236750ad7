package cuda

import (
	"fmt"

	"allnet/engine/backend"
)

// convThreads is the block size of the im2col/col2im kernels.
const convThreads = 256

// Im2col unfolds img (N, C, H, W) into col (N, C*KH*KW, OH*OW), see
// backend.ConvGeom, with kernels/conv.cu: one thread per element of col, all
// of which are written (zero over the padding).
func (b *Backend) Im2col(col, img backend.Buffer, g backend.ConvGeom) {
	oh, ow := convCheck("Im2col", g)
	convF32("Im2col", "img", img, g.N*g.C*g.H*g.W)
	convF32("Im2col", "col", col, g.N*g.C*g.KH*g.KW*oh*ow)
	rows := g.N * g.C * g.KH * g.KW
	grid := Dim3{X: (oh*ow + convThreads - 1) / convThreads, Y: min(rows, maxGridYZ), Z: 1}
	b.launch("conv_im2col_f32", grid, dim1(convThreads), 0, col, img,
		g.N, g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, oh, ow)
}

// Col2im accumulates col (N, C*KH*KW, OH*OW) into img (N, C, H, W), the
// adjoint of Im2col, with kernels/conv.cu: one thread per image element
// gathers the column elements copied from it (no atomics).
func (b *Backend) Col2im(img, col backend.Buffer, g backend.ConvGeom) {
	oh, ow := convCheck("Col2im", g)
	convF32("Col2im", "img", img, g.N*g.C*g.H*g.W)
	convF32("Col2im", "col", col, g.N*g.C*g.KH*g.KW*oh*ow)
	grid := Dim3{X: (g.H*g.W + convThreads - 1) / convThreads, Y: min(g.N*g.C, maxGridYZ), Z: 1}
	b.launch("conv_col2im_f32", grid, dim1(convThreads), 0, img, col,
		g.N, g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, oh, ow)
}

// convCheck panics unless g describes a convolution with a non-empty output
// whose planes the kernels can index in 32 bits, and returns the output size.
func convCheck(op string, g backend.ConvGeom) (oh, ow int) {
	if g.N <= 0 || g.C <= 0 || g.H <= 0 || g.W <= 0 || g.KH <= 0 || g.KW <= 0 ||
		g.SH <= 0 || g.SW <= 0 || g.PH < 0 || g.PW < 0 || g.DH <= 0 || g.DW <= 0 {
		panic(fmt.Sprintf("cuda: %s: bad geometry %+v", op, g))
	}
	if g.H+2*g.PH < g.DH*(g.KH-1)+1 || g.W+2*g.PW < g.DW*(g.KW-1)+1 {
		panic(fmt.Sprintf("cuda: %s: kernel %dx%d (dilation %dx%d) exceeds the padded image %dx%d",
			op, g.KH, g.KW, g.DH, g.DW, g.H+2*g.PH, g.W+2*g.PW))
	}
	oh, ow = g.OutH(), g.OutW()
	if g.H*g.W >= 1<<31 || oh*ow >= 1<<31 || g.H+2*g.PH >= 1<<30 || g.W+2*g.PW >= 1<<30 {
		panic(fmt.Sprintf("cuda: %s: planes of %dx%d (output %dx%d) exceed 2^31 elements", op, g.H, g.W, oh, ow))
	}
	return oh, ow
}

// convF32 panics unless buf is a float32 buffer of n elements.
func convF32(op, name string, buf backend.Buffer, n int) {
	if buf == nil {
		panic(fmt.Sprintf("cuda: %s: %s is nil", op, name))
	}
	if buf.DType() != backend.Float32 || buf.Len() != n {
		panic(fmt.Sprintf("cuda: %s: %s is %v[%d], want float32[%d]", op, name, buf.DType(), buf.Len(), n))
	}
}
