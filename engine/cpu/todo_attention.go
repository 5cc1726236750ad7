package cpu

// Placeholders until the attention/softmax/layernorm primitives land; this file is deleted then.

import "allnet/engine/backend"

func (*CPU) Attention(out, lse, q, k, v, bias backend.Buffer, g backend.AttnGeom) { panic("todo") }
func (*CPU) AttentionBackward(dq, dk, dv, dBias, dOut, q, k, v, bias, out, lse backend.Buffer, g backend.AttnGeom) {
	panic("todo")
}
func (*CPU) Softmax(y, x backend.Buffer, outer, dim, inner int, log bool) { panic("todo") }
func (*CPU) SoftmaxBackward(dx, y, dy backend.Buffer, outer, dim, inner int, log bool) {
	panic("todo")
}
func (*CPU) LayerNorm(y, mean, rstd, x, gamma, beta backend.Buffer, rows, cols int, eps float64) {
	panic("todo")
}
func (*CPU) LayerNormBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma backend.Buffer, rows, cols int) {
	panic("todo")
}
