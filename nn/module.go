// Package nn holds the layers ALLNet is built from, on engine ops: each layer
// owns named parameters whose names are PyTorch state_dict names, so that
// checkpoints move both ways, and has a train/eval mode. Nothing here is
// device-specific.
package nn

import (
	"fmt"
	"sort"

	"allnet/engine"
)

// Module is a layer or a network.
type Module interface {
	// Parameters returns the trainable tensors; each one's Name is its full
	// state_dict name (e.g. "levels.0.blocks.1.dcn.offset.weight").
	Parameters() []*engine.Tensor
	// Buffers returns non-trainable state that belongs in the state_dict
	// (e.g. batch norm running statistics), named the same way.
	Buffers() []*engine.Tensor
	// SetTraining switches between training and evaluation behaviour
	// (dropout, drop-path, batch-norm statistics).
	SetTraining(train bool)
}

// StateDict returns every parameter and buffer of m by name. It panics when
// two tensors share a name or one has none.
func StateDict(m Module) map[string]*engine.Tensor {
	out := map[string]*engine.Tensor{}
	add := func(ts []*engine.Tensor) {
		for _, t := range ts {
			if t.Name == "" {
				panic(fmt.Sprintf("nn: StateDict: unnamed tensor %v", t))
			}
			if _, dup := out[t.Name]; dup {
				panic(fmt.Sprintf("nn: StateDict: two tensors named %q", t.Name))
			}
			out[t.Name] = t
		}
	}
	add(m.Parameters())
	add(m.Buffers())
	return out
}

// CountParameters returns the number of trainable scalars of m.
func CountParameters(m Module) int {
	n := 0
	for _, p := range m.Parameters() {
		n += p.Len()
	}
	return n
}

// Names returns the sorted state_dict names of m.
func Names(m Module) []string {
	sd := StateDict(m)
	names := make([]string, 0, len(sd))
	for k := range sd {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Join builds a state_dict name from a prefix and a local name ("a.b" +
// "weight" -> "a.b.weight"; an empty prefix gives the local name).
func Join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// Group is a Module made of sub-modules; it is embedded by composite layers
// to collect parameters, buffers and the training flag.
type Group struct {
	Children []Module
	Training bool
}

// Add registers sub-modules and returns the last one, for chaining.
func (g *Group) Add(ms ...Module) {
	g.Children = append(g.Children, ms...)
}

// Parameters returns the children's parameters in registration order.
func (g *Group) Parameters() []*engine.Tensor {
	var out []*engine.Tensor
	for _, c := range g.Children {
		out = append(out, c.Parameters()...)
	}
	return out
}

// Buffers returns the children's buffers in registration order.
func (g *Group) Buffers() []*engine.Tensor {
	var out []*engine.Tensor
	for _, c := range g.Children {
		out = append(out, c.Buffers()...)
	}
	return out
}

// SetTraining sets the flag on the group and every child.
func (g *Group) SetTraining(train bool) {
	g.Training = train
	for _, c := range g.Children {
		c.SetTraining(train)
	}
}
