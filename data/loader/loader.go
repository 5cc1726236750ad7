// Package loader turns a data.Dataset into batches for training and
// evaluation: worker goroutines build whole batches (load, augment, degrade,
// collate) ahead of the consumer, with at most Options.Prefetch batches in
// flight.
//
// Results depend on the seed only, never on the number of workers or their
// scheduling: each epoch's order is a permutation drawn from (seed, epoch),
// and each image's augmentation and degradation draw from generators seeded
// by a hash of (seed, epoch, dataset index); batches come out in sequence.
//
// Training (Options.Train) shuffles every epoch, augments (scale 0.5-2, crop
// to the working size, flip, jitter; see package transform), draws a
// degradation type and fresh parameters per image, and runs forever over
// epochs. Evaluation keeps the dataset's order, does not augment, degrades
// with the seeded validation split of CONVENTIONS.md (degrade.ValSpec) and
// ends after one pass with io.EOF. PASCAL images keep their own sizes, which
// cannot be stacked, so evaluating such a dataset takes batch 1; datasets of
// one working size (NYUD, synthetic) may use any batch.
//
// The clean augmented image is kept as the restoration target (Batch.Clean);
// the degradation is applied after augmentation, to a copy.
package loader

import (
	"errors"
	"io"
	"sync"

	"allnet/data"
)

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("loader: closed")

// Loader yields batches in a deterministic sequence. Next, Epoch and Close
// are meant for one consuming goroutine.
type Loader struct {
	ds       data.Dataset
	o        Options
	h, w     int // training crop
	perEpoch int

	jobs  chan job
	order chan chan result // result slots in sequence
	sem   chan struct{}    // one token per batch issued and not yet returned by Next
	done  chan struct{}
	wg    sync.WaitGroup

	epoch int
	err   error
}

type job struct {
	epoch, step int
	indices     []int
	out         chan result
}

type result struct {
	b   *Batch
	err error
}

// New starts a loader over ds. Options are checked against the dataset
// (see Options); the workers start at once and build the first Prefetch
// batches. Close it when done.
func New(ds data.Dataset, o Options) (*Loader, error) {
	h, w, err := o.resolve(ds)
	if err != nil {
		return nil, err
	}
	n := ds.Len()
	per := (n + o.Batch - 1) / o.Batch
	if o.DropLast {
		per = n / o.Batch
	}
	l := &Loader{ds: ds, o: o, h: h, w: w, perEpoch: per,
		jobs: make(chan job), order: make(chan chan result, o.Prefetch),
		sem: make(chan struct{}, o.Prefetch), done: make(chan struct{})}
	l.wg.Add(1 + o.Workers)
	go l.dispatch()
	for range o.Workers {
		go l.work()
	}
	return l, nil
}

// BatchesPerEpoch returns the number of batches in one epoch.
func (l *Loader) BatchesPerEpoch() int { return l.perEpoch }

// Options returns the options with defaults filled in.
func (l *Loader) Options() Options { return l.o }

// Epoch returns the epoch of the last batch Next returned (0 before the
// first).
func (l *Loader) Epoch() int { return l.epoch }

// Next returns the next batch. Training never runs out; evaluation returns
// io.EOF after its one pass. An error (a sample that fails to load, names
// it) is returned again by every later call.
func (l *Loader) Next() (*Batch, error) {
	if l.err != nil {
		return nil, l.err
	}
	slot, ok := <-l.order
	if !ok {
		l.err = io.EOF
		return nil, l.err
	}
	r := <-slot
	<-l.sem
	if r.err != nil {
		l.err = r.err
		return nil, r.err
	}
	l.epoch = r.b.Epoch
	return r.b, nil
}

// Close stops the workers and waits for them (a Load in progress finishes
// first). Next then returns ErrClosed. Close is idempotent.
func (l *Loader) Close() error {
	if l.err == ErrClosed {
		return nil
	}
	close(l.done)
	l.wg.Wait()
	l.err = ErrClosed
	return nil
}

// dispatch issues the batches in sequence, each once a prefetch token is
// free, and queues its result slot for Next.
func (l *Loader) dispatch() {
	defer l.wg.Done()
	defer close(l.jobs)
	n, b := l.ds.Len(), l.o.Batch
	step := 0
	for epoch := 0; l.o.Train || epoch == 0; epoch++ {
		idx := order(n, l.o.Seed, epoch, l.o.Train)
		for k := range l.perEpoch {
			select {
			case l.sem <- struct{}{}:
			case <-l.done:
				return
			}
			j := job{epoch: epoch, step: step, indices: idx[k*b : min((k+1)*b, n)], out: make(chan result, 1)}
			l.order <- j.out // never blocks: at most Prefetch slots are queued
			select {
			case l.jobs <- j:
			case <-l.done:
				return
			}
			step++
		}
	}
	close(l.order)
}

// work builds batches until the jobs run out or the loader closes.
func (l *Loader) work() {
	defer l.wg.Done()
	for j := range l.jobs {
		j.out <- l.build(j)
	}
}

// build prepares and collates one batch.
func (l *Loader) build(j job) result {
	items := make([]item, len(j.indices))
	for i, index := range j.indices {
		select {
		case <-l.done:
			return result{err: ErrClosed}
		default:
		}
		it, err := l.prepare(j.epoch, index)
		if err != nil {
			return result{err: err}
		}
		items[i] = it
	}
	b, err := collate(items, j.epoch, j.step)
	return result{b: b, err: err}
}
