package metrics

import "fmt"

// IgnoreLabel marks ground-truth pixels that segmentation metrics skip.
const IgnoreLabel = 255

// Segmentation accumulates a dataset-level confusion matrix for semantic
// segmentation or human parts [MTL: SemsegMeter in ATRC and InvPT, which
// counts TP, FP and FN per class over all pixels of all images, not per
// image].
//
// Ground-truth pixels equal to IgnoreLabel (255) are skipped; any other
// ground-truth value outside [0, K) is an error. A predicted value outside
// [0, K) (for example 255) is counted as wrong: a false negative of the
// ground-truth class and a false positive of no class, as in the MTL meters,
// which compare the prediction with each class id in turn.
//
// Per class c, over the whole dataset: IoU_c = TP_c / (TP_c + FP_c + FN_c).
// A class with TP+FP+FN = 0 (absent from both the ground truth and the
// predictions of every image) has no IoU: its per_class entry is null and it
// is listed in "absent". mIoU is the mean of IoU_c over the other classes.
// (The MTL meters give such a class IoU 0 and keep it in the mean; with every
// class present, as on the full NYUD-v2 and PASCAL-Context validation sets,
// the two agree.) pixel_acc = sum_c TP_c / labelled pixels.
type Segmentation struct {
	k      int
	conf   []int64 // conf[g*k+p]: ground truth g predicted as p
	wrong  []int64 // wrong[g]: ground truth g predicted outside [0, k)
	images int
}

// NewSegmentation returns an empty accumulator for K classes (0..K-1).
func NewSegmentation(classes int) *Segmentation {
	if classes <= 0 || classes > IgnoreLabel {
		panic(fmt.Sprintf("metrics.NewSegmentation: %d classes, want 1..%d", classes, IgnoreLabel))
	}
	return &Segmentation{k: classes, conf: make([]int64, classes*classes), wrong: make([]int64, classes)}
}

// Classes returns K.
func (s *Segmentation) Classes() int { return s.k }

// Add scores one image: pred and gt are (H, W) class ids, row-major.
func (s *Segmentation) Add(pred, gt []int32, h, w int) error {
	if err := checkImage("segmentation", 1, h, w, len(pred), len(gt)); err != nil {
		return err
	}
	k := int32(s.k)
	for i, g := range gt {
		if g == IgnoreLabel {
			continue
		}
		if g < 0 || g >= k {
			return fmt.Errorf("metrics: segmentation: ground truth %d at pixel (%d, %d), want 0..%d or %d",
				g, i%w, i/w, k-1, IgnoreLabel)
		}
	}
	for i, g := range gt {
		if g == IgnoreLabel {
			continue
		}
		if p := pred[i]; p >= 0 && p < k {
			s.conf[g*k+p]++
		} else {
			s.wrong[g]++
		}
	}
	s.images++
	return nil
}

// Merge adds the counts of o, which must have the same number of classes.
func (s *Segmentation) Merge(o *Segmentation) error {
	if o.k != s.k {
		return fmt.Errorf("metrics: segmentation: merging %d classes into %d", o.k, s.k)
	}
	for i, v := range o.conf {
		s.conf[i] += v
	}
	for i, v := range o.wrong {
		s.wrong[i] += v
	}
	s.images += o.images
	return nil
}

// SegResult is the result of Segmentation, in the eval --json shape.
type SegResult struct {
	MIoU     Float   `json:"mIoU"`
	PerClass []Float `json:"per_class"` // IoU per class id; null for absent classes
	Absent   []int   `json:"absent"`    // class ids with TP+FP+FN = 0
	PixelAcc Float   `json:"pixel_acc"`
	Pixels   int64   `json:"pixels"` // labelled pixels scored
	Images   int     `json:"images"`
}

// Result returns the dataset-level IoUs. mIoU and pixel_acc are NaN (null)
// when no labelled pixel was seen.
func (s *Segmentation) Result() SegResult {
	k := s.k
	r := SegResult{PerClass: make([]Float, k), Absent: []int{}, Images: s.images}
	var sum float64
	var n int
	var tpAll int64
	for c := 0; c < k; c++ {
		tp := s.conf[c*k+c]
		var row, col int64
		for j := 0; j < k; j++ {
			row += s.conf[c*k+j]
			col += s.conf[j*k+c]
		}
		row += s.wrong[c]
		r.Pixels += row
		tpAll += tp
		union := row + col - tp // TP + FN + FP
		if union == 0 {
			r.PerClass[c] = NaN()
			r.Absent = append(r.Absent, c)
			continue
		}
		iou := float64(tp) / float64(union)
		r.PerClass[c] = Float(iou)
		sum += iou
		n++
	}
	r.MIoU = ratio(sum, float64(n))
	r.PixelAcc = ratio(float64(tpAll), float64(r.Pixels))
	return r
}
