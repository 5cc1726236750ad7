package nn

import "allnet/engine"

// ConvertState replaces every parameter and buffer of m, in place, by a copy
// of dtype dt with the same name and values (parameters stay trainable
// leaves, their gradients are dropped); tensors already of dtype dt are left
// as they are. Layers are built in float32: this is a tool for tests and
// diagnostics, chiefly to run a module in float64 for finite-difference
// gradient checks or golden replays. The tensors are updated through their
// pointers, so the layers holding them see the new dtype.
func ConvertState(m Module, dt engine.DType) {
	for _, p := range m.Parameters() {
		if p.DType() != dt {
			*p = *engine.Param(p.Name, p.Detach().Cast(dt))
		}
	}
	for _, b := range m.Buffers() {
		if b.DType() != dt {
			c := b.Detach().Cast(dt)
			c.Name = b.Name
			*b = *c
		}
	}
}
