package engine

import "allnet/engine/backend"

// Softmax returns exp(x - max) / sum(exp(x - max)) along axis (negative
// counts from the end), as torch.softmax; the output has x's shape.
func Softmax(x *Tensor, axis int) *Tensor { return softmaxOp("Softmax", x, axis, false) }

// LogSoftmax returns x - logsumexp(x) along axis (negative counts from the
// end), as torch.log_softmax; the output has x's shape.
func LogSoftmax(x *Tensor, axis int) *Tensor { return softmaxOp("LogSoftmax", x, axis, true) }

// softmaxOp views x as (outer, dim, inner) around axis and runs the backend
// primitive; the backward uses the output only:
// softmax dx = y*(dy - sum(dy*y)), log-softmax dx = dy - exp(y)*sum(dy).
func softmaxOp(op string, x *Tensor, axis int, log bool) *Tensor {
	x.mustFloat(op)
	a := x.axis(op, axis)
	outer := backend.NumElements(x.shape[:a])
	dim := x.shape[a]
	inner := backend.NumElements(x.shape[a+1:])
	out := x.like(x.shape...)
	x.dev.Softmax(out.buf, x.buf, outer, dim, inner, log)
	name := "softmax"
	if log {
		name = "log_softmax"
	}
	record(out, name, []*Tensor{x}, func(g *Tensor) []*Tensor {
		dx := x.like(x.shape...)
		x.dev.SoftmaxBackward(dx.buf, out.buf, g.buf, outer, dim, inner, log)
		return []*Tensor{dx}
	})
	return out
}
