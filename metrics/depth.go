package metrics

import (
	"fmt"
	"math"
)

// DepthEps is the value a prediction <= 0 is clamped to before scoring, as
// the MTL depth meters do (pred = max(pred, 1e-9)) so that log is defined.
const DepthEps = 1e-9

// Depth accumulates depth errors over valid pixels, pixel-global over the
// whole dataset [MTL: DepthMeter / eval_depth in Multi-Task-Learning-PyTorch,
// ATRC's RMSE]. A pixel is valid when its ground truth g is finite and
// g > 0 (NYUD stores 0 for missing depth). With p = max(pred, DepthEps) and N
// the number of valid pixels of all images:
//
//	rmse     = sqrt( sum (g - p)^2 / N )
//	abs_rel  = sum |g - p| / g / N
//	log_rmse = sqrt( sum (ln g - ln p)^2 / N )
//
// The clamp applies to all three, as in the MTL code. A non-finite
// prediction at a valid pixel is an error. With N = 0 every metric is NaN
// (null in JSON) and pixels is 0.
type Depth struct {
	n                    int64
	sse, sumRel, sumLog2 float64
	images               int
}

// NewDepth returns an empty accumulator.
func NewDepth() *Depth { return &Depth{} }

// Add scores one image: pred and gt are (H, W) depths in metres.
func (d *Depth) Add(pred, gt []float32, h, w int) error {
	if err := checkImage("depth", 1, h, w, len(pred), len(gt)); err != nil {
		return err
	}
	var n int64
	var sse, sumRel, sumLog2 float64
	for i, gv := range gt {
		g := float64(gv)
		if !(g > 0) || math.IsInf(g, 1) {
			continue
		}
		p := float64(pred[i])
		if math.IsNaN(p) || math.IsInf(p, 0) {
			return fmt.Errorf("metrics: depth: prediction %v at pixel (%d, %d)", p, i%w, i/w)
		}
		p = max(p, DepthEps)
		e := g - p
		l := math.Log(g) - math.Log(p)
		n++
		sse += e * e
		sumRel += math.Abs(e) / g
		sumLog2 += l * l
	}
	d.Merge(&Depth{n: n, sse: sse, sumRel: sumRel, sumLog2: sumLog2, images: 1})
	return nil
}

// Merge adds the sums of o.
func (d *Depth) Merge(o *Depth) {
	d.n += o.n
	d.sse += o.sse
	d.sumRel += o.sumRel
	d.sumLog2 += o.sumLog2
	d.images += o.images
}

// DepthResult is the result of Depth, in the eval --json shape.
type DepthResult struct {
	RMSE    Float `json:"rmse"`
	AbsRel  Float `json:"abs_rel"`
	LogRMSE Float `json:"log_rmse"`
	Pixels  int64 `json:"pixels"` // valid pixels scored
	Images  int   `json:"images"`
}

// Result returns the dataset-level errors.
func (d *Depth) Result() DepthResult {
	n := float64(d.n)
	r := DepthResult{Pixels: d.n, Images: d.images, RMSE: NaN(), AbsRel: NaN(), LogRMSE: NaN()}
	if d.n > 0 {
		r.RMSE = Float(math.Sqrt(d.sse / n))
		r.AbsRel = Float(d.sumRel / n)
		r.LogRMSE = Float(math.Sqrt(d.sumLog2 / n))
	}
	return r
}
