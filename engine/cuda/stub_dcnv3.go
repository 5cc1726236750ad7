package cuda

// Placeholder methods that the DCNv3 helper replaces with kernels (this file is deleted then).

import "allnet/engine/backend"

// DCNv3 is not implemented yet.
func (b *Backend) DCNv3(out, value, offset, mask backend.Buffer, g backend.DCNv3Geom) {
	panic("cuda: DCNv3 is not implemented yet")
}

// DCNv3Backward is not implemented yet.
func (b *Backend) DCNv3Backward(dValue, dOffset, dMask, dOut, value, offset, mask backend.Buffer, g backend.DCNv3Geom) {
	panic("cuda: DCNv3Backward is not implemented yet")
}
