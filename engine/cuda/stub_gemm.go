package cuda

// Placeholder methods that the GEMM helper replaces with kernels (this file is deleted then).

import "allnet/engine/backend"

// Gemm is not implemented yet.
func (b *Backend) Gemm(g backend.GemmArgs) { panic("cuda: Gemm is not implemented yet") }

// Im2col is not implemented yet.
func (b *Backend) Im2col(col, img backend.Buffer, g backend.ConvGeom) {
	panic("cuda: Im2col is not implemented yet")
}

// Col2im is not implemented yet.
func (b *Backend) Col2im(img, col backend.Buffer, g backend.ConvGeom) {
	panic("cuda: Col2im is not implemented yet")
}

// PSFConv is not implemented yet.
func (b *Backend) PSFConv(y, x, psf backend.Buffer, g backend.PSFGeom) {
	panic("cuda: PSFConv is not implemented yet")
}

// PSFConvBackward is not implemented yet.
func (b *Backend) PSFConvBackward(dx, dpsf, dy, x, psf backend.Buffer, g backend.PSFGeom) {
	panic("cuda: PSFConvBackward is not implemented yet")
}
