package allnet

import (
	"fmt"
	"math"
	"strconv"
	"sync"

	"allnet/engine"
)

// Data-parallel training on the CPU (TrainConfig.Replicas > 1): the
// batch is split into Replicas parts, each replica (a copy of the model
// with the trainer's weights) runs its part's forward, loss and backward
// on its own goroutines, and the gradients are combined, in replica order,
// into the trainer's model, which takes the optimizer step alone.
//
// One process uses a CPU better this way than with one model: a training
// step's many small ops leave cores idle between parallel loops that two
// steps side by side fill. It is DistributedDataParallel's arithmetic,
// batch norms included: each replica normalises over its own images, and
// the trainer's model keeps the running statistics of the first part.
//
// Grad mode is process-wide (engine.NoGrad), so the replicas' forwards
// (which record graphs) all end before any backward (which runs under
// NoGrad) starts.

// replicaDraws is the block of the trainer's random stream each part of a
// replicated step draws from (far more than one step's draws).
const replicaDraws = 1 << 32

// newReplicas returns n-1 models of m's structure (n <= 1: none); their
// weights are copied from m at every step.
func newReplicas(m *Model, n int) []*Model {
	var reps []*Model
	for i := 1; i < n; i++ {
		reps = append(reps, NewModel(m.Config, 0))
	}
	return reps
}

// batchPart is one replica's share of a batch.
type batchPart struct {
	x, d01 *engine.Tensor
	tg     *Targets
	frac   float64 // its images over the batch's
}

// splitBatch cuts a batch into n parts along N, the first ones one image
// larger when n does not divide the batch.
func splitBatch(x, d01 *engine.Tensor, tg *Targets, n int) []batchPart {
	b := x.Dim(0)
	parts := make([]batchPart, n)
	start := 0
	for i := range parts {
		size := b / n
		if i < b%n {
			size++
		}
		cut := func(t *engine.Tensor) *engine.Tensor {
			if t == nil {
				return nil
			}
			return engine.Slice(t, 0, start, start+size)
		}
		parts[i] = batchPart{x: cut(x), d01: cut(d01), frac: float64(size) / float64(b), tg: &Targets{
			Semseg: cut(tg.Semseg), Parts: cut(tg.Parts), Depth: cut(tg.Depth), Normals: cut(tg.Normals),
			Edge: cut(tg.Edge), Sal: cut(tg.Sal), Clean: cut(tg.Clean), DegradeType: cut(tg.DegradeType)}}
		start += size
	}
	return parts
}

// replicatedStep runs the forward, loss and backward of a batch on the
// trainer's model and its replicas, leaving the combined gradient in the
// trainer's model. It returns the loss terms averaged over the parts
// (weighted by their images) under their names and lossKey.
func (t *trainer) replicatedStep(step int, x, d01 *engine.Tensor, tg *Targets) (map[string]float64, error) {
	n := min(len(t.reps)+1, x.Dim(0)) // a short batch may leave replicas idle
	parts := splitBatch(x, d01, tg, n)
	models := []*Model{t.m}
	main := t.m.Parameters()
	for _, r := range t.reps[:n-1] {
		for i, p := range r.Parameters() {
			p.CopyFrom(main[i])
		}
		models = append(models, r)
	}
	// The parts' noise (the MaE gates') comes from disjoint blocks of the
	// trainer's stream, which then moves past them all, so that a resumed
	// run draws the same.
	gens := make([]*engine.Generator, n)
	for i := range gens {
		gens[i] = &engine.Generator{Seed: t.g.Seed, Counter: t.g.Counter + uint64(i)*replicaDraws}
	}
	t.g.Counter += uint64(n) * replicaDraws
	losses := make([]LossTerms, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		out := models[i].Forward(parts[i].x, parts[i].d01, true, gens[i])
		losses[i], errs[i] = models[i].Loss(out, parts[i].tg)
	})
	vals := map[string]float64{}
	for i, lt := range losses {
		if errs[i] != nil {
			return nil, fmt.Errorf("train: step %d: %v", step, errs[i])
		}
		vals[lossKey] += parts[i].frac * lt.Total.Item()
		for k, v := range lt.Terms {
			vals[k] += parts[i].frac * v.Item()
		}
	}
	if err := t.checkFinite(step, vals); err != nil {
		return nil, err
	}
	for _, m := range models {
		zeroGrads(m)
	}
	// Scaled here, before any backward's NoGrad scope begins.
	scaled := make([]*engine.Tensor, n)
	for i, lt := range losses {
		scaled[i] = engine.Scale(lt.Total, parts[i].frac)
	}
	parallel(n, func(i int) { scaled[i].Backward() })
	engine.NoGrad(func() {
		for _, r := range t.reps[:n-1] {
			for i, p := range r.Parameters() {
				switch g, own := p.Grad(), main[i].Grad(); {
				case g == nil:
				case own == nil:
					main[i].SetGrad(g)
				default:
					main[i].SetGrad(engine.Add(own, g))
				}
				p.ZeroGrad()
			}
		}
	})
	return vals, nil
}

// zeroGrads clears every parameter gradient of m.
func zeroGrads(m *Model) {
	for _, p := range m.Parameters() {
		p.ZeroGrad()
	}
}

// parallel runs fn(0) .. fn(n-1) on n goroutines and waits for them; a
// panic in one is re-raised here once all have ended.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	panics := make([]any, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			fn(i)
		}()
	}
	wg.Wait()
	for _, p := range panics {
		if p != nil {
			panic(p)
		}
	}
}

// checkFinite returns the non-finite error for the first non-finite loss
// term (by name) or the total.
func (t *trainer) checkFinite(step int, vals map[string]float64) error {
	for _, k := range sortedKeys(vals) {
		if v := vals[k]; k != lossKey && (math.IsNaN(v) || math.IsInf(v, 0)) {
			return t.nonFinite(step, "loss term "+strconv.Quote(k), v)
		}
	}
	if v := vals[lossKey]; math.IsNaN(v) || math.IsInf(v, 0) {
		return t.nonFinite(step, "total loss", v)
	}
	return nil
}
