package metrics

// SaliencyBeta2 is beta^2 of the saliency F-measure.
const SaliencyBeta2 = 0.3

// Saliency accumulates dataset-level saliency counts at every uint8
// threshold and reports maxF [MTL: MaxF in ATRC and SaliencyMeter in InvPT,
// both with beta^2 = 0.3, counts summed over the dataset per threshold,
// a pixel predicted salient when pred >= threshold, and an undefined F
// (0/0) taken as 0].
//
// The ground truth is binarised at > 0.5 (the PASCAL-Context loaders divide
// the PNG by 255 and threshold at 0.5). The prediction is a 0-255 map (the
// saved PNG). For every threshold t = 1..255, a pixel is predicted salient
// when pred >= t, and over all images
//
//	P_t = TP_t / (TP_t + FP_t),  R_t = TP_t / (TP_t + FN_t)
//	F_t = (1 + b2) P_t R_t / (b2 P_t + R_t),  b2 = 0.3
//
// with F_t = 0 where it is 0/0. maxF = max_t F_t, and threshold = t/255 of the
// first (lowest) maximising t. ATRC and InvPT sweep t/255 over 0.05, 0.10,
// ..., 0.95; the 255 uint8 thresholds include every one of those (pred/255 >=
// 0.05k is pred >= ceil(12.75k)), so maxF here is >= theirs and usually within
// a few 1e-4 of it.
type Saliency struct {
	pos, all [256]int64 // per predicted value: salient GT pixels, all pixels
	images   int
}

// NewSaliency returns an empty accumulator.
func NewSaliency() *Saliency { return &Saliency{} }

// Add scores one image: pred is (H, W) 0-255, gt is (H, W) in [0, 1].
func (s *Saliency) Add(pred []uint8, gt []float32, h, w int) error {
	if err := checkImage("saliency", 1, h, w, len(pred), len(gt)); err != nil {
		return err
	}
	for i, p := range pred {
		s.all[p]++
		if gt[i] > 0.5 {
			s.pos[p]++
		}
	}
	s.images++
	return nil
}

// Merge adds the counts of o.
func (s *Saliency) Merge(o *Saliency) {
	for i := range s.all {
		s.all[i] += o.all[i]
		s.pos[i] += o.pos[i]
	}
	s.images += o.images
}

// SalResult is the result of Saliency, in the eval --json shape.
type SalResult struct {
	MaxF      Float `json:"maxF"`
	Threshold Float `json:"threshold"` // winning t/255
	Precision Float `json:"precision"` // at the winning threshold
	Recall    Float `json:"recall"`
	Images    int   `json:"images"`
}

// Result returns maxF and its threshold. With no image, everything is NaN.
func (s *Saliency) Result() SalResult {
	r := SalResult{MaxF: NaN(), Threshold: NaN(), Precision: NaN(), Recall: NaN(), Images: s.images}
	if s.images == 0 {
		return r
	}
	var actual int64
	for _, v := range s.pos {
		actual += v
	}
	var tp, pp int64
	tps, pps := [256]int64{}, [256]int64{}
	for t := 255; t >= 1; t-- {
		tp += s.pos[t]
		pp += s.all[t]
		tps[t], pps[t] = tp, pp
	}
	best := -1.0
	for t := 1; t <= 255; t++ {
		p := float64(tps[t]) / float64(pps[t])
		rc := float64(tps[t]) / float64(actual)
		f := (1 + SaliencyBeta2) * p * rc / (SaliencyBeta2*p + rc)
		if f != f { // 0/0 anywhere: F undefined, counted as 0
			f = 0
		}
		if f > best {
			best = f
			r.MaxF, r.Threshold = Float(f), Float(float64(t)/255)
			r.Precision, r.Recall = Float(p), Float(rc)
		}
	}
	return r
}
