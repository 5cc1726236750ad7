package engine

import (
	"fmt"
	"slices"
	"sync/atomic"
)

// node records how a tensor was computed: its inputs and the function that
// maps the gradient of the output to gradients of the inputs (nil entries for
// inputs that need none).
type node struct {
	op       string
	inputs   []*Tensor
	backward func(g *Tensor) []*Tensor
}

// noGradDepth counts active NoGrad scopes. Grad mode is process-wide (Go has
// no thread-local storage): code that builds graphs concurrently with a NoGrad
// scope elsewhere must not rely on it.
var noGradDepth atomic.Int32

// NoGrad runs fn with gradient recording disabled: ops inside build no graph.
func NoGrad(fn func()) {
	noGradDepth.Add(1)
	defer noGradDepth.Add(-1)
	fn()
}

// GradEnabled reports whether ops currently record graphs.
func GradEnabled() bool { return noGradDepth.Load() == 0 }

// RequiresGrad reports whether gradients flow to t.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// SetRequiresGrad marks a leaf tensor as one whose gradient Backward
// accumulates into Grad. It returns t.
func (t *Tensor) SetRequiresGrad(on bool) *Tensor {
	if t.node != nil {
		panic(fmt.Sprintf("engine: SetRequiresGrad on non-leaf %v (computed by %s)", t, t.node.op))
	}
	t.mustFloat("SetRequiresGrad")
	t.requiresGrad = on
	return t
}

// Grad returns the accumulated gradient of a leaf, or nil.
func (t *Tensor) Grad() *Tensor { return t.grad }

// SetGrad replaces the accumulated gradient (nil clears it).
func (t *Tensor) SetGrad(g *Tensor) {
	if g != nil && (!slices.Equal(g.shape, t.shape) || g.dtype != t.dtype) {
		panic(fmt.Sprintf("engine: SetGrad: gradient %v%v for tensor %v%v", g.dtype, g.shape, t.dtype, t.shape))
	}
	t.grad = g
}

// ZeroGrad clears the accumulated gradient.
func (t *Tensor) ZeroGrad() { t.grad = nil }

// Detach returns a tensor sharing t's data with no gradient history.
func (t *Tensor) Detach() *Tensor {
	return &Tensor{shape: t.shape, dtype: t.dtype, dev: t.dev, buf: t.buf}
}

// IsLeaf reports whether t was created directly rather than computed by a
// recorded op.
func (t *Tensor) IsLeaf() bool { return t.node == nil }

// record attaches a backward function to out when grad mode is on and any
// input requires gradients.
func record(out *Tensor, op string, inputs []*Tensor, backward func(g *Tensor) []*Tensor) {
	if !GradEnabled() {
		return
	}
	needs := false
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			needs = true
			break
		}
	}
	if !needs {
		return
	}
	out.requiresGrad = true
	out.node = &node{op: op, inputs: inputs, backward: backward}
}

// Backward computes the gradient of the one-element tensor t with respect to
// every leaf that requires gradients, adding it to their Grad. The graph is
// released afterwards (a second Backward through it is an error).
func (t *Tensor) Backward() {
	if t.Len() != 1 {
		panic(fmt.Sprintf("engine: Backward on tensor of shape %v; use BackwardWith for non-scalar outputs", t.shape))
	}
	t.BackwardWith(Full(t.dev, t.dtype, 1, t.shape...))
}

// BackwardWith back-propagates the gradient g (shaped like t) through the
// graph that produced t.
func (t *Tensor) BackwardWith(g *Tensor) {
	if !t.requiresGrad {
		panic(fmt.Sprintf("engine: Backward on %v, which does not require grad", t))
	}
	if !slices.Equal(g.shape, t.shape) || g.dtype != t.dtype {
		panic(fmt.Sprintf("engine: BackwardWith: gradient %v%v for tensor %v%v", g.dtype, g.shape, t.dtype, t.shape))
	}
	order := topoOrder(t)
	if w := parallelBackward(t); w > 1 {
		NoGrad(func() { backwardParallel(order, t, g, w) })
		return
	}
	grads := map[*Tensor]*Tensor{t: g}
	NoGrad(func() {
		for i := len(order) - 1; i >= 0; i-- {
			u := order[i]
			gu := grads[u]
			delete(grads, u)
			if gu == nil {
				continue
			}
			if u.node == nil {
				accumulateLeaf(u, gu)
				continue
			}
			gins := u.node.runBackward(gu)
			for k, in := range u.node.inputs {
				gi := gins[k]
				if in == nil || gi == nil || !in.requiresGrad {
					continue
				}
				if prev := grads[in]; prev != nil {
					grads[in] = Add(prev, gi)
				} else {
					grads[in] = gi
				}
			}
			u.node = releasedNode // release the graph as it is consumed
		}
	})
}

// runBackward calls the node's backward function on the gradient g of its
// output and checks that it returns one gradient per input, each shaped
// like its input (nil where none is needed).
func (n *node) runBackward(g *Tensor) []*Tensor {
	gins := n.backward(g)
	if len(gins) != len(n.inputs) {
		panic(fmt.Sprintf("engine: backward of %s returned %d gradients for %d inputs", n.op, len(gins), len(n.inputs)))
	}
	for k, in := range n.inputs {
		if gi := gins[k]; in != nil && gi != nil && in.requiresGrad && !slices.Equal(gi.shape, in.shape) {
			panic(fmt.Sprintf("engine: backward of %s gave gradient %v for input %d of shape %v", n.op, gi.shape, k, in.shape))
		}
	}
	return gins
}

// releasedNode replaces the node of a tensor whose graph Backward consumed.
var releasedNode = &node{op: "released", backward: func(*Tensor) []*Tensor {
	panic("engine: Backward through a graph that an earlier Backward already released")
}}

func accumulateLeaf(u, g *Tensor) {
	if u.grad == nil {
		u.grad = g.Detach()
		return
	}
	u.grad = Add(u.grad, g).Detach()
}

// topoOrder returns the tensors reachable from t through recorded nodes, each
// after all of its inputs.
func topoOrder(t *Tensor) []*Tensor {
	var order []*Tensor
	seen := map[*Tensor]bool{}
	type frame struct {
		t    *Tensor
		next int
	}
	stack := []frame{{t: t}}
	seen[t] = true
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.t.node != nil && top.next < len(top.t.node.inputs) {
			in := top.t.node.inputs[top.next]
			top.next++
			if in != nil && in.requiresGrad && !seen[in] {
				seen[in] = true
				stack = append(stack, frame{t: in})
			}
			continue
		}
		order = append(order, top.t)
		stack = stack[:len(stack)-1]
	}
	return order
}

// Param turns t into a named trainable parameter (a leaf that requires
// gradients) and returns it. name is its PyTorch state_dict name.
func Param(name string, t *Tensor) *Tensor {
	t.Name = name
	return t.SetRequiresGrad(true)
}
