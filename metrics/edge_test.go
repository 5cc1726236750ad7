package metrics

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// lineImages draws vertical ground-truth segments at the given columns and
// the prediction at the same columns shifted by the given offsets, rows 20 to
// 69 of a 96x128 image (NYUD tolerance: 0.011 * 160 = 1.76 pixels).
func lineImages(cols, shifts []int) (pred, gt []float32, h, w int) {
	h, w = 96, 128
	pred, gt = make([]float32, h*w), make([]float32, h*w)
	for i, c := range cols {
		for y := 20; y < 70; y++ {
			gt[y*w+c] = 1
			pred[y*w+c+shifts[i]] = 1
		}
	}
	return pred, gt, h, w
}

func edgeResult(t *testing.T, opts EdgeOptions, pred, gt []float32, h, w int) EdgeResult {
	t.Helper()
	e := NewEdge(opts)
	require.NoError(t, e.Add(pred, gt, h, w))
	return e.Result()
}

func TestEdgeShiftedByOnePixelIsPerfect(t *testing.T) {
	opts := EdgeOptions{MaxDist: EdgeMaxDistNYUD}
	pred, gt, h, w := lineImages([]int{30, 60, 90}, []int{1, -1, 1})
	r := edgeResult(t, opts, pred, gt, h, w)
	// After convTri(1) and NMS the ridge is 0.5 (1/255-rounded: 128/255), the
	// end pixels 0.375 and one pixel past each end 0.125: for 0.13 <= t <=
	// 0.37 prediction and ground truth are the same 150 pixels, 1 apart.
	require.Equal(t, Float(1), r.ODSF)
	require.Equal(t, Float(1), r.OISF)
	require.Equal(t, Float(0.13), r.ODSThreshold)

	// Exact counts at a few thresholds.
	c, err := ComputeEdgeCounts(pred, gt, h, w, opts)
	require.NoError(t, err)
	require.Equal(t, []int64{150, 156, 150, 0}, []int64{c.SumR[20], c.SumP[5], c.SumP[30], c.SumP[60]})
	require.Equal(t, []int64{150, 150, 0}, []int64{c.CntP[5], c.CntP[30], c.CntP[60]})
}

func TestEdgeShiftedBeyondToleranceScoresLower(t *testing.T) {
	opts := EdgeOptions{MaxDist: EdgeMaxDistNYUD}
	pred, gt, h, w := lineImages([]int{30, 60, 90}, []int{2, 3, -2})
	r := edgeResult(t, opts, pred, gt, h, w)
	require.Equal(t, Float(0), r.ODSF) // 2 > 1.76: nothing matches
	require.Equal(t, Float(0), r.OISF)

	// Two of three lines within tolerance: P = R = 2/3 at the best threshold.
	pred, gt, h, w = lineImages([]int{30, 60, 90}, []int{1, 0, 3})
	r = edgeResult(t, opts, pred, gt, h, w)
	require.InDelta(t, 2.0/3, float64(r.ODSF), 1e-12)

	// With PASCAL's tolerance (0.0075 * 160 = 1.2 pixels) a 1-pixel shift
	// still matches and a 2-pixel one does not.
	pascal := EdgeOptions{MaxDist: EdgeMaxDistPASCAL}
	pred, gt, h, w = lineImages([]int{30}, []int{1})
	require.Equal(t, Float(1), edgeResult(t, pascal, pred, gt, h, w).ODSF)
	pred, gt, h, w = lineImages([]int{30}, []int{2})
	require.Equal(t, Float(0), edgeResult(t, pascal, pred, gt, h, w).ODSF)
}

func TestEdgeEmptyMaps(t *testing.T) {
	opts := EdgeOptions{MaxDist: EdgeMaxDistNYUD}
	_, gt, h, w := lineImages([]int{30}, []int{0})
	empty := make([]float32, h*w)
	// An empty prediction: every threshold has P = 1, R = 0 (SEISM), F = 0.
	r := edgeResult(t, opts, empty, gt, h, w)
	require.Equal(t, Float(0), r.ODSF)
	require.Equal(t, Float(0), r.OISF)
	require.Equal(t, Float(0), r.AP) // one distinct recall: no curve
	require.Equal(t, Float(0), r.ODSRecall)
	require.Equal(t, Float(1), r.ODSPrecision)
	// Both empty: R = 1, P = 0 (no ground truth), F = 0.
	r = edgeResult(t, opts, empty, empty, h, w)
	require.Equal(t, Float(0), r.ODSF)
	c, err := ComputeEdgeCounts(empty, empty, h, w, opts)
	require.NoError(t, err)
	for k := range c.SumP {
		require.Zero(t, c.SumP[k]+c.SumR[k]+c.CntP[k]+c.CntR[k])
	}
	// No image at all: undefined.
	require.False(t, NewEdge(opts).Result().ODSF.Valid())
}

func TestEdgeAggregationHandComputed(t *testing.T) {
	e := NewEdge(EdgeOptions{MaxDist: 0.01, Thresholds: []float64{0.25, 0.5, 0.75}})
	// Image A: F = 0.8, 0.75, 1/3: best at 0.25. Image B: F = 1/3, 2/3, 0 (no
	// prediction at 0.75: P = 1, R = 0): best at 0.5.
	require.NoError(t, e.AddCounts(EdgeCounts{
		CntP: []int64{8, 6, 2}, SumP: []int64{10, 6, 2}, CntR: []int64{8, 6, 2}, SumR: []int64{10, 10, 10}}))
	require.NoError(t, e.AddCounts(EdgeCounts{
		CntP: []int64{1, 1, 0}, SumP: []int64{4, 1, 0}, CntR: []int64{1, 1, 0}, SumR: []int64{2, 2, 2}}))
	r := e.Result()
	// Dataset: t=0.25: P 9/14, R 9/12 -> F 9/13; t=0.5: P 1, R 7/12 -> F 14/19;
	// t=0.75: P 1, R 2/12 -> F 2/7. ODS = 14/19 at 0.5.
	require.InDelta(t, 14.0/19, float64(r.ODSF), 1e-15)
	require.Equal(t, Float(0.5), r.ODSThreshold)
	// OIS: A at 0.25 (8/10, 8/10) + B at 0.5 (1/1, 1/2): P 9/11, R 9/12 -> F 54/69.
	require.InDelta(t, 54.0/69, float64(r.OISF), 1e-15)
	// AP: points (1/6, 1), (7/12, 1), (3/4, 9/14). Recall 0.17..0.58 has
	// P = 1 (42 points); 0.59..0.75 interpolates P = 1 - (15/7)(q - 7/12).
	sum := 42.0
	for i := 59; i <= 75; i++ {
		sum += 1 - 15.0/7*(float64(i)/100-7.0/12)
	}
	require.InDelta(t, sum/100, float64(r.AP), 1e-12)

	require.Error(t, e.AddCounts(EdgeCounts{CntP: []int64{1}}))
	require.Error(t, e.Merge(NewEdge(EdgeOptions{MaxDist: 0.01})))
}

func TestEdgeOptionsValidation(t *testing.T) {
	require.Panics(t, func() { NewEdge(EdgeOptions{}) })
	require.Panics(t, func() { NewEdge(EdgeOptions{MaxDist: 0.01, Thresholds: []float64{0.5, 0.5}}) })
	require.Len(t, NewEdge(EdgeOptions{MaxDist: 0.01}).Options().Thresholds, 99)
	_, err := ComputeEdgeCounts(nil, nil, 1, 1, EdgeOptions{})
	require.ErrorContains(t, err, "MaxDist 0, want > 0")
	_, err = ComputeEdgeCounts(nil, nil, 1, 1, EdgeOptions{MaxDist: 0.1, Thresholds: []float64{}})
	require.ErrorContains(t, err, "no thresholds")
	pred := []float32{0, float32(math.Inf(1))}
	_, err = ComputeEdgeCounts(pred, make([]float32, 2), 1, 2, EdgeOptions{MaxDist: 0.01})
	require.ErrorContains(t, err, "prediction +Inf at pixel (1, 0)")
}

// naiveThin is bwmorph thin by whole-image subiterations (the definition),
// on an h x w boolean image.
func naiveThin(b []bool, h, w int) {
	at := func(y, x int) uint8 {
		if y < 0 || y >= h || x < 0 || x >= w || !b[y*w+x] {
			return 0
		}
		return 1
	}
	for {
		changed := false
		for pass := 0; pass < 2; pass++ {
			var del []int
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if !b[y*w+x] {
						continue
					}
					c := at(y, x+1) | at(y-1, x+1)<<1 | at(y-1, x)<<2 | at(y-1, x-1)<<3 |
						at(y, x-1)<<4 | at(y+1, x-1)<<5 | at(y+1, x)<<6 | at(y+1, x+1)<<7
					if thinLUT[pass][c] {
						del = append(del, y*w+x)
					}
				}
			}
			for _, i := range del {
				b[i] = false
			}
			changed = changed || len(del) > 0
		}
		if !changed {
			return
		}
	}
}

// naiveMaxMatching is Kuhn's augmenting-path algorithm on the pairs of
// pixels within distance r, built by direct distance tests.
func naiveMaxMatching(pred, gt []int, w int, r float64) int {
	adj := make([][]int, len(pred))
	for i, p := range pred {
		for j, g := range gt {
			dy, dx := float64(p/w-g/w), float64(p%w-g%w)
			if dy*dy+dx*dx <= r*r {
				adj[i] = append(adj[i], j)
			}
		}
	}
	match := make([]int, len(gt))
	for j := range match {
		match[j] = -1
	}
	var seen []bool
	var try func(i int) bool
	try = func(i int) bool {
		for _, j := range adj[i] {
			if seen[j] {
				continue
			}
			seen[j] = true
			if match[j] < 0 || try(match[j]) {
				match[j] = i
				return true
			}
		}
		return false
	}
	n := 0
	for i := range pred {
		seen = make([]bool, len(gt))
		if try(i) {
			n++
		}
	}
	return n
}

// naiveEdgeCounts is the per-image benchmark written plainly: threshold the
// (suppressed, rounded) map, thin, thin the ground truth, match.
func naiveEdgeCounts(e, gt []float32, h, w int, thr []float64, r float64) EdgeCounts {
	k := len(thr)
	c := EdgeCounts{CntP: make([]int64, k), SumP: make([]int64, k), CntR: make([]int64, k), SumR: make([]int64, k)}
	thinned := func(b []bool) []int { // the pixels of b left by thinning
		naiveThin(b, h, w)
		var pts []int
		for i, v := range b {
			if v {
				pts = append(pts, i)
			}
		}
		return pts
	}
	gb := make([]bool, h*w)
	for i, v := range gt {
		gb[i] = v > 0.5
	}
	gpts := thinned(gb)
	for t, th := range thr {
		pb := make([]bool, h*w)
		for i, v := range e {
			pb[i] = float64(quantize8(v))/255 > th
		}
		ppts := thinned(pb)
		m := int64(naiveMaxMatching(ppts, gpts, w, r))
		c.CntP[t], c.SumP[t], c.CntR[t], c.SumR[t] = m, int64(len(ppts)), m, int64(len(gpts))
	}
	return c
}

func TestEdgeCountsMatchNaivePipeline(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for it := 0; it < 12; it++ {
		h, w := 30+rng.IntN(10), 40+rng.IntN(10)
		pred, gt := make([]float32, h*w), make([]float32, h*w)
		density := 0.15 + 0.6*rng.Float64() // sparse fragments to one big component
		for i := range pred {
			if rng.Float64() < density {
				pred[i] = rng.Float32()
			}
		}
		for s := 0; s < 4; s++ { // ground truth: random thick-ish strokes
			y0, x0, dy, dx := rng.IntN(h), rng.IntN(w), rng.IntN(3)-1, rng.IntN(3)-1
			for j := 0; j < 25; j++ {
				y, x := y0+j*dy, x0+j*dx
				if y >= 0 && y < h && x >= 0 && x < w {
					gt[y*w+x] = 1
					if x+1 < w && rng.IntN(3) == 0 {
						gt[y*w+x+1] = 1
					}
				}
			}
		}
		thr := []float64{0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95}
		opts := EdgeOptions{MaxDist: 0.05, Thresholds: thr}
		r := 0.05 * math.Sqrt(float64(h*h+w*w))
		for _, nms := range []bool{false, true} {
			opts.NoNMS = !nms
			got, err := ComputeEdgeCounts(pred, gt, h, w, opts)
			require.NoError(t, err)
			e := pred
			if nms {
				e = make([]float32, h*w)
				edgeNMS(e, pred, h, w, 0, &nmsWork{})
			}
			require.Equal(t, naiveEdgeCounts(e, gt, h, w, thr, r), got, "image %d, nms %v", it, nms)
		}
	}
}

func TestEvaluateEdgesParallelEqualsSequential(t *testing.T) {
	set := newSynthEdgeSet(6, 48, 64, 3)
	opts := EdgeOptions{MaxDist: EdgeMaxDistPASCAL}
	seq := NewEdge(opts)
	for i := range set.pred {
		p, g, h, w, err := set.load(i)
		require.NoError(t, err)
		require.NoError(t, seq.Add(p, g, h, w))
	}
	par, err := EvaluateEdges(len(set.pred), set.load, opts, 3)
	require.NoError(t, err)
	require.Equal(t, seq.Result(), par.Result())
	require.Equal(t, 6, par.Result().Images)
	require.Greater(t, float64(par.Result().ODSF), 0.5)

	// AddUint8 reads the PNG values as v/255.
	u := NewEdge(opts)
	for i := range set.pred {
		_, g, h, w, _ := set.load(i)
		require.NoError(t, u.AddUint8(set.pred[i], g, h, w))
	}
	require.Equal(t, seq.Result(), u.Result())

	boom := errors.New("unreadable")
	_, err = EvaluateEdges(4, func(i int) ([]float32, []float32, int, int, error) {
		if i == 2 {
			return nil, nil, 0, 0, boom
		}
		return set.load(i)
	}, opts, 2)
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, "image 2")
}
