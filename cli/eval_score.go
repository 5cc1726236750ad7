package cli

import (
	"fmt"
	"slices"
	"sync"

	"allnet/data"
	"allnet/data/degrade"
	"allnet/data/pascal"
	"allnet/metrics"
)

// evalJob is one scoring of a prediction folder against a dataset split.
type evalJob struct {
	ds      data.Dataset
	dir     string                  // the prediction folder
	tasks   []string                // tasks to score, in metrics.Tasks order
	specs   map[string]degrade.Spec // from degradations.json; nil when absent
	workers int
	// progress, when set, is called from one goroutine with the number of
	// images merged so far, after each image.
	progress func(done int)
}

// partsClasses is the number of human-part labels (background and six
// parts).
var partsClasses = len(pascal.PartNames)

// imageScore is one image's scores, in accumulators of its own.
type imageScore struct {
	i           int
	degradation string // the image's degradation type; "" without degradations.json
	acc         *metrics.TaskSet
	err         error
}

// evaluatePred scores every image of the split and returns the report
// (without Delta_MTL).
//
// Images are scored in parallel, each into accumulators of its own, and
// merged into the totals in image order, so the floating-point sums, and
// with them every number of the report, are the same for any number of
// workers. At most 2*workers images are in flight, which bounds the memory
// held by images waiting for their turn to merge.
func evaluatePred(j evalJob) (*metrics.Report, error) {
	info := j.ds.Info()
	spec := metrics.TaskSetSpec{Tasks: j.tasks, Classes: info.Classes, PartsClasses: partsClasses,
		Edge: metrics.EdgeOptions{MaxDist: metrics.EdgeMaxDistFor(info.Dataset, info.Tasks)}}
	if info.Classes <= 0 && slices.Contains(j.tasks, metrics.TaskSemseg) {
		return nil, Errorf("%s: the dataset reports %d semantic classes", info.Dataset, info.Classes)
	}
	total := spec.New()
	byType := map[string]*metrics.TaskSet{}
	merge := func(s *imageScore) error {
		if err := total.Merge(s.acc); err != nil {
			return err
		}
		if j.specs == nil {
			return nil
		}
		a := byType[s.degradation]
		if a == nil {
			a = spec.New()
			byType[s.degradation] = a
		}
		return a.Merge(s.acc)
	}
	n := j.ds.Len()
	err := inOrder(n, j.workers, func(i int) *imageScore {
		s := &imageScore{i: i, acc: spec.New()}
		s.degradation, s.err = j.scoreImage(i, s.acc)
		return s
	}, func(s *imageScore) error {
		if err := merge(s); err != nil {
			return Errorf("merging the scores of image %s: %v", j.ds.Name(s.i), err)
		}
		if j.progress != nil {
			j.progress(s.i + 1)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep := &metrics.Report{Dataset: info.Dataset, Split: info.Split, Count: n, Tasks: total.Results()}
	if j.specs != nil {
		rep.ByDegradation = map[string]metrics.TaskResults{}
		for t, a := range byType {
			rep.ByDegradation[t] = a.Results()
		}
	}
	return rep, nil
}

// inOrder runs score(i) for i in [0, n) on up to workers goroutines and
// calls merge on the results in index order from the calling goroutine. At
// most 2*workers results are scored but not yet merged. It stops at the
// first error, of score (imageScore.err) or of merge, and returns it.
func inOrder(n, workers int, score func(i int) *imageScore, merge func(*imageScore) error) error {
	workers = max(1, min(workers, n))
	window := 2 * workers
	tokens := make(chan struct{}, window)
	jobs := make(chan int)
	results := make(chan *imageScore, window)
	stop := make(chan struct{})
	go func() { // dispatch in order, never more than window ahead of merge
		defer close(jobs)
		for i := 0; i < n; i++ {
			select {
			case tokens <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case jobs <- i:
			case <-stop:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results <- score(i)
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
			close(stop)
		}
	}
	pending := map[int]*imageScore{}
	next := 0
	for s := range results {
		if firstErr != nil {
			continue // drain, so that the workers can finish
		}
		if s.err != nil {
			fail(s.err)
			continue
		}
		pending[s.i] = s
		for p := pending[next]; p != nil; p = pending[next] {
			delete(pending, next)
			next++
			if err := merge(p); err != nil {
				fail(err)
				break
			}
			<-tokens
		}
	}
	return firstErr
}

// scoreImage loads image i and scores its predictions into acc. It returns
// the image's degradation type (empty without degradations.json).
func (j *evalJob) scoreImage(i int, acc *metrics.TaskSet) (string, error) {
	s, err := j.ds.Load(i)
	if err != nil {
		return "", Errorf("%v", err)
	}
	name := j.ds.Name(i)
	if err := s.Image.Check(); err != nil {
		return "", Errorf("image %s: %v", name, err)
	}
	h, w := s.H(), s.W()
	var typ string
	for _, t := range j.tasks {
		path := predPath(j.dir, t, name)
		var err error
		switch t {
		case metrics.TaskSemseg, metrics.TaskParts:
			gt, seg := s.Semseg, acc.Semseg
			if t == metrics.TaskParts {
				gt, seg = s.Parts, acc.Parts
			}
			if gt == nil {
				continue
			}
			var p []int32
			if p, err = readLabelPred(path, h, w); err == nil {
				err = seg.Add(p, gt, h, w)
			}
		case metrics.TaskDepth:
			if s.Depth == nil {
				continue
			}
			var p []float32
			if p, err = readDepthPred(path, h, w); err == nil {
				err = acc.Depth.Add(p, s.Depth, h, w)
			}
		case metrics.TaskNormals:
			if s.Normals == nil {
				continue
			}
			var p []float32
			if p, err = readNormalsPred(path, h, w); err == nil {
				err = acc.Normals.Add(p, s.Normals, h, w)
			}
		case metrics.TaskSal:
			if s.Sal == nil {
				continue
			}
			var p []uint8
			if p, err = readByteMapPred(path, h, w); err == nil {
				err = acc.Sal.Add(p, s.Sal, h, w)
			}
		case metrics.TaskEdge:
			if s.Edge == nil {
				continue
			}
			var p []uint8
			if p, err = readByteMapPred(path, h, w); err == nil {
				err = scoreEdge(acc.Edge, p, s.Edge, h, w)
			}
		case metrics.TaskRestored:
			typ, err = j.scoreRestored(acc.Restored, path, name, s, h, w)
		}
		if err != nil {
			return "", Errorf("%v", wrapPath(path, err))
		}
	}
	if j.specs != nil && typ == "" {
		typ = string(j.specs[name].Type)
	}
	return typ, nil
}

// wrapPath prefixes err with path unless the message already starts with it
// (the readers name their file).
func wrapPath(path string, err error) error {
	if msg := err.Error(); len(msg) >= len(path) && msg[:len(path)] == path {
		return err
	}
	return fmt.Errorf("%s: %w", path, err)
}

// scoreEdge scores one 0-255 edge map.
func scoreEdge(acc *metrics.Edge, pred []uint8, gt []float32, h, w int) error {
	p := make([]float32, len(pred))
	for i, v := range pred {
		p[i] = float32(v) / 255
	}
	c, err := metrics.ComputeEdgeCounts(p, gt, h, w, acc.Options())
	if err != nil {
		return err
	}
	return acc.AddCounts(c)
}

// scoreRestored scores a restored image against the clean one and, with
// degradations.json, the degraded input synthesised again from the clean
// image by the recorded spec (haze uses the ground-truth depth, or the depth
// proxy where the dataset has none). It returns the degradation type.
func (j *evalJob) scoreRestored(acc *metrics.Restoration, path, name string, s *data.Sample, h, w int) (string, error) {
	im, err := readRestoredPred(path, h, w)
	if err != nil {
		return "", err
	}
	var degraded []float32
	var typ string
	if j.specs != nil {
		spec := j.specs[name]
		d, err := degrade.ApplySpec(s.Image, s.Depth, spec)
		if err != nil {
			return "", fmt.Errorf("synthesising the degraded input from %s: %w", specsFile, err)
		}
		degraded, typ = d.Pix, string(spec.Type)
	}
	return typ, acc.Add(im.Pix, degraded, s.Image.Pix, s.Image.C, h, w)
}
