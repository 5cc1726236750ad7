package engine

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"allnet/engine/cpu"
)

// backwardWorkers is how many goroutines Backward runs the backward
// functions of a CPU graph on (at most GOMAXPROCS; 0 or 1: one at a time,
// in reverse topological order). Two by default: on allnet-tiny's training
// step (2 cores) that is 12-17 % more images/s than one, and more workers
// than cores lose it again.
var backwardWorkers = func() *atomic.Int32 {
	var w atomic.Int32
	w.Store(2)
	return &w
}()

// SetBackwardWorkers sets how many goroutines Backward runs independent
// nodes' backward functions on, for graphs on the CPU backend (capped at
// GOMAXPROCS): n <= 1 runs them one at a time, n > 1 (2 by default) lets
// branches of the graph (the heads of a multi-task model, the experts of a
// mixture) run side by side, on top of each op's own parallel loops.
// Gradients are bit-identical either way: contributions to a tensor's
// gradient are summed in the order the sequential pass sums them. It
// returns the previous value.
func SetBackwardWorkers(n int) int { return int(backwardWorkers.Swap(int32(max(n, 0)))) }

// contribution is one consumer's gradient for an input: from the tensor at
// position pos of the topological order, input slot k.
type contribution struct {
	pos, k int
	g      *Tensor
}

// backwardState is the shared state of one parallel backward pass.
type backwardState struct {
	order   []*Tensor
	pos     map[*Tensor]int
	pending []atomic.Int32   // consumer edges still to run, per position
	mu      []sync.Mutex     // guards contrib, per position
	contrib [][]contribution // gradients received, per position
	ready   chan int
	left    atomic.Int32 // positions not yet processed
	errOnce sync.Once
	err     any         // the first panic's value, read after the workers end
	failed  atomic.Bool // a backward function panicked: skip the rest
}

// backwardParallel is BackwardWith's pass over order (topological, t last)
// on workers goroutines: a tensor runs once every consumer of it has, so
// independent branches overlap.
func backwardParallel(order []*Tensor, t, g *Tensor, workers int) {
	n := len(order)
	s := &backwardState{order: order, pos: make(map[*Tensor]int, n), pending: make([]atomic.Int32, n),
		mu: make([]sync.Mutex, n), contrib: make([][]contribution, n), ready: make(chan int, n)}
	for i, u := range order {
		s.pos[u] = i
	}
	for _, u := range order {
		if u.node == nil {
			continue
		}
		for _, in := range u.node.inputs {
			if in != nil && in.requiresGrad {
				s.pending[s.pos[in]].Add(1)
			}
		}
	}
	root := s.pos[t]
	s.contrib[root] = []contribution{{pos: n, g: g}}
	s.left.Store(int32(n))
	for i := range order {
		if s.pending[i].Load() == 0 {
			s.ready <- i
		}
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range s.ready {
				s.run(i)
				if s.left.Add(-1) == 0 {
					close(s.ready)
				}
			}
		}()
	}
	wg.Wait()
	if s.err != nil {
		panic(s.err)
	}
}

// run processes the tensor at position i: sums its gradient, calls its
// backward function (or accumulates a leaf) and hands the results to its
// inputs, queuing those whose consumers are all done.
func (s *backwardState) run(i int) {
	defer func() {
		if r := recover(); r != nil {
			s.errOnce.Do(func() { s.err = r })
			s.failed.Store(true)
			s.finish(i, nil)
		}
	}()
	u := s.order[i]
	gu := s.sum(i)
	if gu == nil || s.failed.Load() {
		s.finish(i, nil)
		return
	}
	if u.node == nil {
		accumulateLeaf(u, gu)
		s.finish(i, nil)
		return
	}
	gins := u.node.runBackward(gu)
	s.finish(i, gins)
}

// finish gives the inputs of the tensor at position i their gradients gins
// (nil: none), queues the inputs that are now ready and releases its node.
func (s *backwardState) finish(i int, gins []*Tensor) {
	u := s.order[i]
	if u.node == nil {
		return
	}
	for k, in := range u.node.inputs {
		if in == nil || !in.requiresGrad {
			continue
		}
		j := s.pos[in]
		if gins != nil && gins[k] != nil {
			s.mu[j].Lock()
			s.contrib[j] = append(s.contrib[j], contribution{pos: i, k: k, g: gins[k]})
			s.mu[j].Unlock()
		}
		if s.pending[j].Add(-1) == 0 {
			s.ready <- j
		}
	}
	u.node = releasedNode
}

// sum adds the gradients the tensor at position i received, in the order
// the sequential pass adds them: consumers from the last in the order
// back, each one's inputs in order.
func (s *backwardState) sum(i int) *Tensor {
	cs := s.contrib[i]
	s.contrib[i] = nil
	if len(cs) == 0 {
		return nil
	}
	slices.SortFunc(cs, func(a, b contribution) int {
		if a.pos != b.pos {
			return b.pos - a.pos
		}
		return a.k - b.k
	})
	g := cs[0].g
	for _, c := range cs[1:] {
		g = Add(g, c.g)
	}
	return g
}

// parallelBackward returns how many goroutines Backward runs t's graph
// on (1: the sequential pass).
func parallelBackward(t *Tensor) int {
	w := int(backwardWorkers.Load())
	if _, onCPU := t.dev.(*cpu.CPU); w <= 1 || !onCPU {
		return 1
	}
	return min(w, runtime.GOMAXPROCS(0))
}
