package metrics

import (
	"fmt"
	"math"
	"sort"
	"sync"
)

// Match tolerances of the multi-task edge benchmarks, as fractions of the
// image diagonal [SEISM eval_method.m as used by ATRC, InvPT and
// Boundary-Detection-Evaluation-Tools].
const (
	EdgeMaxDistNYUD   = 0.011
	EdgeMaxDistPASCAL = 0.0075
)

// EdgeOptions configures the edge benchmark. The zero value of every field
// but MaxDist is the standard pipeline.
type EdgeOptions struct {
	// MaxDist is the match tolerance as a fraction of the image diagonal:
	// a predicted and a ground-truth pixel may match when their Euclidean
	// distance is at most MaxDist*sqrt(H^2+W^2) (correspondPixels).
	MaxDist float64
	// Thresholds, ascending; nil means the 99 values 0.01, 0.02, ..., 0.99
	// (SEISM's parameter file and edgesEvalImg's default).
	Thresholds []float64
	// NoNMS skips the non-maximum suppression of the prediction.
	NoNMS bool
	// NoQuantize skips rounding the suppressed map to 1/255 steps (the
	// reference pipeline saves it as an 8-bit PNG before thresholding).
	NoQuantize bool
}

// DefaultEdgeThresholds returns 0.01, 0.02, ..., 0.99.
func DefaultEdgeThresholds() []float64 {
	t := make([]float64, 99)
	for i := range t {
		t[i] = float64(i+1) / 100
	}
	return t
}

// EdgeCounts are one image's boundary counts per threshold: CntP of SumP
// predicted pixels matched, CntR of SumR ground-truth pixels matched (the
// columns of edgesEvalImg's output).
type EdgeCounts struct {
	CntP, SumP, CntR, SumR []int64
}

// Edge accumulates the boundary benchmark behind odsF, oisF and AP [SEISM].
// Per image, as the reference pipeline (HED/RCF nms_process, then SEISM's
// read_one_cont_png and edgesEvalImg):
//
//  1. the prediction E in [0, 1] is smoothed by convTri(E, 1) and thinned by
//     edge non-maximum suppression (edgesNmsMex with r = 1, s = 5,
//     m = 1.01; orientation O = mod(atan(Oyy*sign(-Oxy)/(Oxx+1e-5)), pi)
//     from the second derivatives of convTri(E, 4)), then rounded to 1/255
//     steps as the saved PNG;
//  2. at each threshold t the map is binarised (E > t, strict, as
//     read_one_cont_png) and thinned to 1-pixel lines (bwmorph 'thin', Inf);
//  3. the ground truth is binarised (> 0.5) and thinned the same way (the
//     reference benchmarks read boundaries that are already thin; thinning
//     makes thick or resized ground truth comparable);
//  4. predicted and ground-truth pixels within MaxDist*diagonal are matched
//     one-to-one, maximum cardinality (see edge_match.go), giving CntP = CntR
//     = matches, SumP = predicted pixels, SumR = ground-truth pixels.
//
// Over the dataset, per threshold (SEISM's gather_measure and eval_cont):
// R = sum CntR / sum SumR and P = sum CntP / sum SumP, except R = 1, P = 0
// when sum SumR = 0, and R = 0, P = 1 when sum SumP = 0; F = 2PR/(P+R), 0 when
// P+R = 0. Then
//
//	odsF: max over thresholds of the dataset F (first maximum; no
//	      interpolation between thresholds, as SEISM's general_ods);
//	oisF: each image takes its own best threshold (its F by the same rules,
//	      first maximum); the counts at those thresholds are summed and give
//	      P, R, F (general_ois);
//	AP:   the dataset (R, P) points, one per distinct recall (the lowest
//	      threshold's, as MATLAB's unique), precision linearly interpolated
//	      over recall at 0, 0.01, ..., 1 where defined, summed and divided by
//	      100 (general_ap, Dollar's edgesEvalDir).
//
// Add is the expensive step (tens of milliseconds per 288x384 image); run
// images in parallel with EvaluateEdges, or per-worker accumulators and
// Merge.
type Edge struct {
	opts                   EdgeOptions
	thr                    []float64
	cntP, sumP, cntR, sumR []int64
	ois                    [4]int64
	images                 int
	work                   *edgeWork
}

// NewEdge returns an empty accumulator. It panics unless opts.MaxDist > 0
// and the thresholds ascend.
func NewEdge(opts EdgeOptions) *Edge {
	opts, err := opts.normalized()
	if err != nil {
		panic("metrics.NewEdge: " + err.Error())
	}
	k := len(opts.Thresholds)
	return &Edge{opts: opts, thr: opts.Thresholds,
		cntP: make([]int64, k), sumP: make([]int64, k), cntR: make([]int64, k), sumR: make([]int64, k)}
}

// normalized checks the options and fills in the default thresholds (on a
// copy).
func (o EdgeOptions) normalized() (EdgeOptions, error) {
	if !(o.MaxDist > 0) {
		return o, fmt.Errorf("MaxDist %v, want > 0 (EdgeMaxDistNYUD or EdgeMaxDistPASCAL)", o.MaxDist)
	}
	if o.Thresholds == nil {
		o.Thresholds = DefaultEdgeThresholds()
	} else {
		o.Thresholds = append([]float64(nil), o.Thresholds...)
	}
	thr := o.Thresholds
	if len(thr) == 0 {
		return o, fmt.Errorf("no thresholds")
	}
	for i := 1; i < len(thr); i++ {
		if !(thr[i] > thr[i-1]) {
			return o, fmt.Errorf("thresholds not ascending at %d: %v, %v", i, thr[i-1], thr[i])
		}
	}
	return o, nil
}

// Options returns the options in use (with the thresholds filled in).
func (e *Edge) Options() EdgeOptions { return e.opts }

// Add scores one image: pred is the (H, W) edge probability in [0, 1], gt the
// (H, W) ground-truth boundary map (> 0.5 on boundaries).
func (e *Edge) Add(pred, gt []float32, h, w int) error {
	if e.work == nil {
		e.work = &edgeWork{}
	}
	c, err := edgeCounts(pred, gt, h, w, e.opts, e.work)
	if err != nil {
		return err
	}
	return e.AddCounts(c)
}

// AddUint8 is Add for a 0-255 prediction (the saved PNG), read as pred/255.
func (e *Edge) AddUint8(pred []uint8, gt []float32, h, w int) error {
	return e.Add(uint8ToUnit(pred), gt, h, w)
}

func uint8ToUnit(b []uint8) []float32 {
	f := make([]float32, len(b))
	for i, v := range b {
		f[i] = float32(v) / 255
	}
	return f
}

// AddCounts adds one image's counts, as computed by ComputeEdgeCounts with
// the same options.
func (e *Edge) AddCounts(c EdgeCounts) error {
	k := len(e.thr)
	if len(c.CntP) != k || len(c.SumP) != k || len(c.CntR) != k || len(c.SumR) != k {
		return fmt.Errorf("metrics: edge: counts for %d/%d/%d/%d thresholds, want %d",
			len(c.CntP), len(c.SumP), len(c.CntR), len(c.SumR), k)
	}
	best, bestF := 0, -1.0
	for t := 0; t < k; t++ {
		e.cntP[t] += c.CntP[t]
		e.sumP[t] += c.SumP[t]
		e.cntR[t] += c.CntR[t]
		e.sumR[t] += c.SumR[t]
		if _, _, f := seismPRF(c.CntP[t], c.SumP[t], c.CntR[t], c.SumR[t]); f > bestF {
			best, bestF = t, f
		}
	}
	e.ois[0] += c.CntP[best]
	e.ois[1] += c.SumP[best]
	e.ois[2] += c.CntR[best]
	e.ois[3] += c.SumR[best]
	e.images++
	return nil
}

// Merge adds the counts of o, which must use the same thresholds.
func (e *Edge) Merge(o *Edge) error {
	if len(o.thr) != len(e.thr) {
		return fmt.Errorf("metrics: edge: merging %d thresholds into %d", len(o.thr), len(e.thr))
	}
	for i, t := range o.thr {
		if t != e.thr[i] {
			return fmt.Errorf("metrics: edge: merging threshold %v into %v", t, e.thr[i])
		}
	}
	for t := range e.thr {
		e.cntP[t] += o.cntP[t]
		e.sumP[t] += o.sumP[t]
		e.cntR[t] += o.cntR[t]
		e.sumR[t] += o.sumR[t]
	}
	for i := range e.ois {
		e.ois[i] += o.ois[i]
	}
	e.images += o.images
	return nil
}

// seismPRF returns precision, recall and F of boundary counts with SEISM's
// rules for empty maps (eval_cont.m).
func seismPRF(cntP, sumP, cntR, sumR int64) (p, r, f float64) {
	switch {
	case sumR == 0:
		r, p = 1, 0
	case sumP == 0:
		r, p = 0, 1
	default:
		r, p = float64(cntR)/float64(sumR), float64(cntP)/float64(sumP)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return p, r, f
}

// EdgePoint is one threshold's dataset-level precision, recall and F.
type EdgePoint struct {
	Threshold, Precision, Recall, F float64
}

// Curve returns the dataset precision-recall curve, one point per
// threshold, ascending thresholds.
func (e *Edge) Curve() []EdgePoint {
	pts := make([]EdgePoint, len(e.thr))
	for t, th := range e.thr {
		p, r, f := seismPRF(e.cntP[t], e.sumP[t], e.cntR[t], e.sumR[t])
		pts[t] = EdgePoint{th, p, r, f}
	}
	return pts
}

// EdgeResult is the result of Edge, in the eval --json shape.
type EdgeResult struct {
	ODSF         Float `json:"odsF"`
	OISF         Float `json:"oisF"`
	AP           Float `json:"AP"`
	ODSThreshold Float `json:"ods_threshold"`
	ODSPrecision Float `json:"ods_precision"`
	ODSRecall    Float `json:"ods_recall"`
	Images       int   `json:"images"`
}

// Result returns odsF, oisF and AP. With no image, everything is NaN.
func (e *Edge) Result() EdgeResult {
	r := EdgeResult{ODSF: NaN(), OISF: NaN(), AP: NaN(), ODSThreshold: NaN(),
		ODSPrecision: NaN(), ODSRecall: NaN(), Images: e.images}
	if e.images == 0 {
		return r
	}
	curve := e.Curve()
	best := 0
	for t, pt := range curve {
		if pt.F > curve[best].F {
			best = t
		}
	}
	r.ODSF, r.ODSThreshold = Float(curve[best].F), Float(curve[best].Threshold)
	r.ODSPrecision, r.ODSRecall = Float(curve[best].Precision), Float(curve[best].Recall)
	_, _, f := seismPRF(e.ois[0], e.ois[1], e.ois[2], e.ois[3])
	r.OISF = Float(f)
	r.AP = Float(edgeAP(curve))
	return r
}

// edgeAP integrates precision over recall as SEISM's general_ap: distinct
// recalls (first occurrence in threshold order), linear interpolation at
// recall 0, 0.01, ..., 1 inside the recall range, sum / 100.
func edgeAP(curve []EdgePoint) float64 {
	type rp struct{ r, p float64 }
	seen := map[float64]bool{}
	var pts []rp
	for _, c := range curve {
		if !seen[c.Recall] {
			seen[c.Recall] = true
			pts = append(pts, rp{c.Recall, c.Precision})
		}
	}
	if len(pts) < 2 {
		return 0
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].r < pts[j].r })
	var sum float64
	j := 0
	for i := 0; i <= 100; i++ {
		q := float64(i) / 100
		if q < pts[0].r || q > pts[len(pts)-1].r {
			continue
		}
		for j+1 < len(pts)-1 && pts[j+1].r < q {
			j++
		}
		a, b := pts[j], pts[j+1]
		switch {
		case q == a.r:
			sum += a.p
		case q == b.r:
			sum += b.p
		default:
			sum += a.p + (b.p-a.p)*(q-a.r)/(b.r-a.r)
		}
	}
	return sum / 100
}

// ComputeEdgeCounts runs the per-image part of the benchmark (see Edge) and
// returns the counts, for callers that schedule images themselves. It is
// safe for concurrent use.
func ComputeEdgeCounts(pred, gt []float32, h, w int, opts EdgeOptions) (EdgeCounts, error) {
	opts, err := opts.normalized()
	if err != nil {
		return EdgeCounts{}, fmt.Errorf("metrics: edge: %w", err)
	}
	return edgeCounts(pred, gt, h, w, opts, &edgeWork{})
}

// EvaluateEdges scores n images on up to workers goroutines (at least one),
// each with its own accumulator, and merges them. load returns image i; it
// is called from the worker goroutines, so it must be safe for concurrent
// use. The first error stops the evaluation.
func EvaluateEdges(n int, load func(i int) (pred, gt []float32, h, w int, err error), opts EdgeOptions, workers int) (*Edge, error) {
	total := NewEdge(opts)
	workers = max(1, min(workers, n))
	jobs := make(chan int)
	var mu sync.Mutex
	var firstErr error
	accs := make([]*Edge, workers)
	var wg sync.WaitGroup
	for wi := range accs {
		accs[wi] = NewEdge(opts)
		wg.Add(1)
		go func(acc *Edge) {
			defer wg.Done()
			for i := range jobs {
				pred, gt, h, w, err := load(i)
				if err == nil {
					err = acc.Add(pred, gt, h, w)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("image %d: %w", i, err)
					}
					mu.Unlock()
				}
			}
		}(accs[wi])
	}
	for i := 0; i < n; i++ {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for _, a := range accs {
		if err := total.Merge(a); err != nil {
			return nil, err
		}
	}
	return total, nil
}

// edgeWork is the per-goroutine scratch space of edgeCounts.
type edgeWork struct {
	nms        nmsWork
	e          []float32
	th         thinner
	gtID       []int32 // pixel -> ground-truth node, or -1
	near       []bool
	pixRank    []int32 // pixel -> number of thresholds it passes
	rank       []int32 // candidate node -> its pixel's rank
	cand       []int32 // candidate node -> pixel, by rank descending
	gtPts      []int32
	act        []int32
	binImg     []uint8
	nodeP      []int32 // padded pixel -> candidate node, or -1
	visit      []int32
	state      []uint8
	livePos    []int32
	area, live []int32
	g          bigraph
	m          matcher
	offH, offW int
	offR       float64
	off        [][2]int
}

func growInt32(b []int32, n int, fill int32) []int32 {
	b = grow32(b, n)
	for i := range b {
		b[i] = fill
	}
	return b
}

// offsets returns the (dy, dx) within radius r, nearest first.
func (wk *edgeWork) offsets(h, w int, r float64) [][2]int {
	if wk.off != nil && wk.offH == h && wk.offW == w && wk.offR == r {
		return wk.off
	}
	ri := int(math.Ceil(r))
	var off [][2]int
	for dy := -ri; dy <= ri; dy++ {
		for dx := -ri; dx <= ri; dx++ {
			if float64(dx*dx+dy*dy) <= r*r {
				off = append(off, [2]int{dy, dx})
			}
		}
	}
	sort.SliceStable(off, func(i, j int) bool {
		a, b := off[i], off[j]
		return a[0]*a[0]+a[1]*a[1] < b[0]*b[0]+b[1]*b[1]
	})
	wk.off, wk.offH, wk.offW, wk.offR = off, h, w, r
	return off
}

// quantize8 is MATLAB's uint8(v*255): round half away from zero, saturate,
// NaN to 0.
func quantize8(v float32) int {
	x := v * 255
	if !(x > 0) {
		return 0
	}
	if x >= 255 {
		return 255
	}
	return int(x + 0.5)
}

func edgeCounts(pred, gt []float32, h, w int, opts EdgeOptions, wk *edgeWork) (EdgeCounts, error) {
	if err := checkImage("edge", 1, h, w, len(pred), len(gt)); err != nil {
		return EdgeCounts{}, err
	}
	n := h * w
	for i, v := range pred {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return EdgeCounts{}, fmt.Errorf("metrics: edge: prediction %v at pixel (%d, %d)", v, i%w, i/w)
		}
	}
	thr := opts.Thresholds
	k := len(thr)

	// 1. Suppressed map and, per pixel, how many thresholds it passes.
	if cap(wk.e) < n {
		wk.e = make([]float32, n)
	}
	e := wk.e[:n]
	passes := func(v float64) int32 { // #{t : v > t}
		return int32(sort.Search(k, func(i int) bool { return !(v > thr[i]) }))
	}
	// floor: values at or below it pass no threshold, so NMS may skip them.
	floor := float32(thr[0])
	var levelRank [256]int32
	if !opts.NoQuantize {
		floor = -1
		for l := range levelRank {
			levelRank[l] = passes(float64(l) / 255)
			if levelRank[l] == 0 { // v*255 < l + 0.5 rounds to l or below
				floor = (float32(l)+0.5)/255 - 1e-6
			}
		}
	}
	if opts.NoNMS {
		copy(e, pred)
	} else {
		edgeNMS(e, pred, h, w, floor, &wk.nms)
	}
	pixRank := grow32(wk.pixRank, n)
	wk.pixRank = pixRank
	bucket := make([]int32, k+1) // pixels per rank
	for i, v := range e {
		var r int32
		if opts.NoQuantize {
			r = passes(float64(v))
		} else {
			r = levelRank[quantize8(v)]
		}
		pixRank[i] = r
		bucket[r]++
	}
	// Candidates (pixels passing the lowest threshold) sorted by rank,
	// descending, so that the binarised set at threshold t is a prefix.
	pos := make([]int32, k+1)
	var nc int32
	for r := k; r >= 1; r-- {
		pos[r] = nc
		nc += bucket[r]
	}
	cand, rank := grow32(wk.cand, int(nc)), grow32(wk.rank, int(nc))
	wk.cand, wk.rank = cand, rank
	for i, r := range pixRank {
		if r > 0 {
			u := pos[r]
			pos[r]++
			cand[u], rank[u] = int32(i), r
		}
	}

	// 2. Thinned ground truth.
	wk.th.reset(h, w)
	gtPts := wk.gtPts[:0]
	for i, v := range gt {
		if v > 0.5 {
			gtPts = append(gtPts, wk.th.pad(i, w))
		}
	}
	gtPts = wk.th.thin(gtPts)
	for j, p := range gtPts {
		gtPts[j] = wk.th.unpad(p, w)
	}
	wk.gtID = growInt32(wk.gtID, n, -1)
	sort.Slice(gtPts, func(a, b int) bool { return gtPts[a] < gtPts[b] })
	for j, q := range gtPts {
		wk.gtID[q] = int32(j)
	}
	wk.gtPts = gtPts

	// 3. Candidate-to-ground-truth links within the tolerance.
	radius := opts.MaxDist * math.Sqrt(float64(h*h+w*w))
	off := wk.offsets(h, w, radius)
	if cap(wk.near) < n {
		wk.near = make([]bool, n)
	}
	near := wk.near[:n] // within the tolerance of some ground-truth pixel
	clear(near)
	for _, q := range gtPts {
		y, x := int(q)/w, int(q)%w
		for _, o := range off {
			if yy, xx := y+o[0], x+o[1]; yy >= 0 && yy < h && xx >= 0 && xx < w {
				near[yy*w+xx] = true
			}
		}
	}
	g := &wk.g
	g.nR = len(gtPts)
	g.start = grow32(g.start, len(cand)+1)
	g.adj = g.adj[:0]
	for u, p := range cand {
		g.start[u] = int32(len(g.adj))
		if !near[p] {
			continue
		}
		y, x := int(p)/w, int(p)%w
		for _, o := range off {
			yy, xx := y+o[0], x+o[1]
			if yy < 0 || yy >= h || xx < 0 || xx >= w {
				continue
			}
			if id := wk.gtID[yy*w+xx]; id >= 0 {
				g.adj = append(g.adj, id)
			}
		}
	}
	g.start[len(cand)] = int32(len(g.adj))

	// 4. Sweep the thresholds from the highest down. The binarised set grows
	// by whole rank buckets. Thinning decides on 3x3 neighbourhoods, so it
	// acts on each 8-connected component alone: only the components that
	// gained pixels are thinned again (found by flooding from the new
	// pixels), the others keep their result. The matching is carried over,
	// less the pixels thinning now removes, and re-maximised.
	counts := EdgeCounts{CntP: make([]int64, k), SumP: make([]int64, k), CntR: make([]int64, k), SumR: make([]int64, k)}
	m := &wk.m
	m.reset(g)
	np := (h + 2) * (w + 2)
	if cap(wk.binImg) < np {
		wk.binImg = make([]uint8, np)
	}
	binImg := wk.binImg[:np]             // padded; 1 = binarised at the current threshold
	nodeP := growInt32(wk.nodeP, np, -1) // padded pixel -> candidate node
	for u, p := range cand {
		nodeP[wk.th.pad(int(p), w)] = int32(u)
	}
	visit := growInt32(wk.visit, len(cand), -1)
	livePos := growInt32(wk.livePos, len(cand), -1) // index in live, or -1
	if cap(wk.state) < len(cand) {
		wk.state = make([]uint8, len(cand))
	}
	state := wk.state[:len(cand)] // bit 0: survives thinning; bit 1: did before
	clear(state)
	stride := int32(w + 2)
	nb := [8]int32{1, -stride + 1, -stride, -stride - 1, -1, stride - 1, stride, stride + 1}
	area, live := wk.area[:0], wk.live[:0]
	next, nSurv := 0, 0
	for t := k - 1; t >= 0; t-- {
		area = area[:0]
		for ; next < len(cand) && rank[next] > int32(t); next++ {
			p := wk.th.pad(int(cand[next]), w)
			binImg[p] = 1
			visit[next] = int32(t)
			area = append(area, p)
		}
		if len(area) > 0 {
			for i := 0; i < len(area); i++ { // flood the touched components
				for _, d := range nb {
					if q := area[i] + d; binImg[q] == 1 {
						if u := nodeP[q]; visit[u] != int32(t) {
							visit[u] = int32(t)
							area = append(area, q)
						}
					}
				}
			}
			for _, p := range area {
				u := nodeP[p]
				state[u] = state[u] << 1 // survived -> did before
			}
			kept := wk.th.thin(append(wk.act[:0], area...))
			wk.act = kept
			for _, p := range kept {
				state[nodeP[p]] |= 1
			}
			for _, p := range area {
				u := nodeP[p]
				switch state[u] {
				case 2: // no longer survives
					nSurv--
					m.unmatch(u)
					if i := livePos[u]; i >= 0 {
						last := live[len(live)-1]
						live[i], livePos[last] = last, i
						live = live[:len(live)-1]
						livePos[u] = -1
					}
				case 1: // newly survives
					nSurv++
					if g.start[u+1] > g.start[u] {
						livePos[u] = int32(len(live))
						live = append(live, u)
					}
				}
				state[u] &= 1
			}
			m.maximize(live)
		}
		counts.CntP[t], counts.CntR[t] = int64(m.size), int64(m.size)
		counts.SumP[t], counts.SumR[t] = int64(nSurv), int64(len(gtPts))
	}
	for u := 0; u < next; u++ {
		binImg[wk.th.pad(int(cand[u]), w)] = 0
	}
	wk.nodeP, wk.visit, wk.livePos, wk.area, wk.live = nodeP, visit, livePos, area, live
	return counts, nil
}
