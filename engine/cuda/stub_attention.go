package cuda

// Placeholder methods that the attention helper replaces with kernels (this file is deleted then).

import "allnet/engine/backend"

// Attention is not implemented yet.
func (b *Backend) Attention(out, lse, q, k, v, bias backend.Buffer, g backend.AttnGeom) {
	panic("cuda: Attention is not implemented yet")
}

// AttentionBackward is not implemented yet.
func (b *Backend) AttentionBackward(dq, dk, dv, dBias, dOut, q, k, v, bias, out, lse backend.Buffer, g backend.AttnGeom) {
	panic("cuda: AttentionBackward is not implemented yet")
}
