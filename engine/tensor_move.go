package engine

import (
	"fmt"

	"allnet/engine/backend"
)

// MoveTo moves the leaf tensor t to backend dev in place: its data is
// copied into a new buffer on dev, which replaces t's, and its gradient is
// dropped. It moves a built model's parameters and buffers (the modules
// hold the same *Tensor) to another device, such as the meta backend for
// FLOP counting. It panics for a tensor produced by a recorded op.
func (t *Tensor) MoveTo(dev backend.Backend) {
	if t.node != nil {
		panic(fmt.Sprintf("engine: MoveTo: %v is not a leaf", t))
	}
	if dev == t.dev {
		return
	}
	moved := t.To(dev)
	t.dev.Free(t.buf)
	t.dev, t.buf, t.grad = dev, moved.buf, nil
}
