package metrics

import (
	"fmt"
	"math"
)

// NormalsBinWidth is the width, in degrees, of the histogram bins from which
// Normals computes the median angle.
const NormalsBinWidth = 0.001

const normalsBins = 180000 // 180 / NormalsBinWidth

// Normals accumulates surface-normal angle errors over valid pixels of the
// whole dataset [MTL: eval_normals in Multi-Task-Learning-PyTorch (mean,
// median, rmse, % under 11.25/22.5/30), ATRC's MeanErrorInAngle (the atan2
// form); ALLNet SUPP (rmse of the angle)].
//
// A pixel is valid when its ground-truth vector has non-zero length (the
// datasets store (0, 0, 0) for missing normals). Both vectors are
// L2-normalised, a zero-length prediction staying the zero vector (PyTorch
// style, as ATRC's normalize_tensor; MTL-PyTorch's v/(|v|+1e-12) gives the
// same), and the angle in degrees is
//
//	theta = 2 * atan2(|p - g|, |p + g|)
//
// which equals acos(p.g) but is accurate near 0 and 180 degrees. A
// zero-length prediction therefore scores atan2(1, 1)*2 = 90 degrees.
// Over the N valid pixels of all images:
//
//	mean = sum theta / N          (mErr, the main metric)
//	rmse = sqrt(sum theta^2 / N)
//	median: the middle order statistic (mean of the two middle ones for even
//	  N, as numpy.median); read from a histogram of 0.001-degree bins and
//	  reported at the bin centre, so it is within 0.0005 degrees of the exact
//	  median (storing every angle would take 290 MB on NYUD-v2)
//	within_T = #{theta < T} / N for T = 11.25, 22.5, 30 (fractions)
//
// A non-finite prediction at a valid pixel is an error. With N = 0 every
// metric is NaN (null in JSON).
type Normals struct {
	n                int64
	sum, sumSq       float64
	w1125, w225, w30 int64
	hist             []int64
	images           int
}

// NewNormals returns an empty accumulator (it holds a 1.4 MB histogram).
func NewNormals() *Normals { return &Normals{hist: make([]int64, normalsBins)} }

// NormalAngle returns the angle in degrees between p and g after
// L2-normalising both (a zero vector stays zero), as Normals scores it.
func NormalAngle(px, py, pz, gx, gy, gz float64) float64 {
	if n := math.Sqrt(px*px + py*py + pz*pz); n > 0 {
		px, py, pz = px/n, py/n, pz/n
	}
	if n := math.Sqrt(gx*gx + gy*gy + gz*gz); n > 0 {
		gx, gy, gz = gx/n, gy/n, gz/n
	}
	dx, dy, dz := px-gx, py-gy, pz-gz
	sx, sy, sz := px+gx, py+gy, pz+gz
	return 2 * math.Atan2(math.Sqrt(dx*dx+dy*dy+dz*dz), math.Sqrt(sx*sx+sy*sy+sz*sz)) * 180 / math.Pi
}

// Add scores one image: pred and gt are (3, H, W) channels-first vectors
// (x at [0:HW], y at [HW:2HW], z at [2HW:3HW]).
func (a *Normals) Add(pred, gt []float32, h, w int) error {
	if err := checkImage("normals", 3, h, w, len(pred), len(gt)); err != nil {
		return err
	}
	hw := h * w
	valid := func(i int) bool {
		gx, gy, gz := float64(gt[i]), float64(gt[hw+i]), float64(gt[2*hw+i])
		gn := gx*gx + gy*gy + gz*gz
		return gn > 0 && !math.IsInf(gn, 0)
	}
	// Check the whole prediction first, so that an error leaves the
	// accumulator (its histogram included) untouched.
	for i := 0; i < hw; i++ {
		if !valid(i) {
			continue
		}
		px, py, pz := float64(pred[i]), float64(pred[hw+i]), float64(pred[2*hw+i])
		if s := px + py + pz; math.IsNaN(s) || math.IsInf(s, 0) {
			return fmt.Errorf("metrics: normals: prediction (%v, %v, %v) at pixel (%d, %d)", px, py, pz, i%w, i/w)
		}
	}
	var n, w1125, w225, w30 int64
	var sum, sumSq float64
	for i := 0; i < hw; i++ {
		if !valid(i) {
			continue
		}
		gx, gy, gz := float64(gt[i]), float64(gt[hw+i]), float64(gt[2*hw+i])
		px, py, pz := float64(pred[i]), float64(pred[hw+i]), float64(pred[2*hw+i])
		t := NormalAngle(px, py, pz, gx, gy, gz)
		n++
		sum += t
		sumSq += t * t
		if t < 11.25 {
			w1125++
		}
		if t < 22.5 {
			w225++
		}
		if t < 30 {
			w30++
		}
		b := int(t / NormalsBinWidth)
		a.hist[min(max(b, 0), normalsBins-1)]++
	}
	a.Merge(&Normals{n: n, sum: sum, sumSq: sumSq, w1125: w1125, w225: w225, w30: w30, images: 1}) // hist is counted in place
	return nil
}

// Merge adds the sums and histogram of o.
func (a *Normals) Merge(o *Normals) {
	a.n += o.n
	a.sum += o.sum
	a.sumSq += o.sumSq
	a.w1125 += o.w1125
	a.w225 += o.w225
	a.w30 += o.w30
	for i, v := range o.hist {
		a.hist[i] += v
	}
	a.images += o.images
}

// NormalsResult is the result of Normals, in the eval --json shape.
type NormalsResult struct {
	Mean     Float `json:"mean"`
	Median   Float `json:"median"`
	RMSE     Float `json:"rmse"`
	Within11 Float `json:"within_11.25"`
	Within22 Float `json:"within_22.5"`
	Within30 Float `json:"within_30"`
	Pixels   int64 `json:"pixels"` // valid pixels scored
	Images   int   `json:"images"`
}

// Result returns the dataset-level angle statistics.
func (a *Normals) Result() NormalsResult {
	r := NormalsResult{Pixels: a.n, Images: a.images,
		Mean: NaN(), Median: NaN(), RMSE: NaN(), Within11: NaN(), Within22: NaN(), Within30: NaN()}
	if a.n == 0 {
		return r
	}
	n := float64(a.n)
	r.Mean = Float(a.sum / n)
	r.RMSE = Float(math.Sqrt(a.sumSq / n))
	r.Within11 = Float(float64(a.w1125) / n)
	r.Within22 = Float(float64(a.w225) / n)
	r.Within30 = Float(float64(a.w30) / n)
	if a.n%2 == 1 {
		r.Median = Float(a.orderStat(a.n / 2))
	} else {
		r.Median = Float((a.orderStat(a.n/2-1) + a.orderStat(a.n/2)) / 2)
	}
	return r
}

// orderStat returns the centre of the bin holding the k-th smallest angle
// (0-based).
func (a *Normals) orderStat(k int64) float64 {
	var c int64
	for b, v := range a.hist {
		c += v
		if c > k {
			return (float64(b) + 0.5) * NormalsBinWidth
		}
	}
	return 180
}
