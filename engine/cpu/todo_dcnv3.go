package cpu

// Placeholders until the DCNv3/PSF primitives land; this file is deleted then.

import "allnet/engine/backend"

func (*CPU) DCNv3(out, value, offset, mask backend.Buffer, g backend.DCNv3Geom) { panic("todo") }
func (*CPU) DCNv3Backward(dValue, dOffset, dMask, dOut, value, offset, mask backend.Buffer, g backend.DCNv3Geom) {
	panic("todo")
}
func (*CPU) PSFConv(y, x, psf backend.Buffer, g backend.PSFGeom)                    { panic("todo") }
func (*CPU) PSFConvBackward(dx, dpsf, dy, x, psf backend.Buffer, g backend.PSFGeom) { panic("todo") }
