package allnet

import (
	"fmt"
	"slices"

	"allnet/engine"
)

// Targets are one batch's ground truth as tensors at the input size; a
// task's target may be nil only when the model does not predict that task.
type Targets struct {
	Semseg  *engine.Tensor // (N, H, W) int32, 255 ignored
	Parts   *engine.Tensor // (N, H, W) int32, 255 ignored
	Depth   *engine.Tensor // (N, 1, H, W), 0 invalid
	Normals *engine.Tensor // (N, 3, H, W) unit vectors, all zero invalid
	Edge    *engine.Tensor // (N, 1, H, W) 0 or 1
	Sal     *engine.Tensor // (N, 1, H, W) 0 or 1
	Clean   *engine.Tensor // (N, 3, H, W) clean image in [0, 1]
	// DegradeType is each image's degradation as an index into
	// DegradeClasses (N) int32, 255 unknown: the degradation-type head's
	// target (Config.DegradeHead).
	DegradeType *engine.Tensor
}

// ignoreLabel is the label the cross-entropy losses skip (data.Ignore).
const ignoreLabel = 255

// LossTerms are the weighted total and each unweighted term by name (the
// tasks, TaskRestore and TaskAux), for logging.
type LossTerms struct {
	Total *engine.Tensor
	Terms map[string]*engine.Tensor
}

// Loss is the training loss of ALLNET.md section 2:
//
//	total = sum_t w_t * L_t(out_t, target_t) + w_restore * L_restore(restored, clean) + AuxWeight * aux
//
// with semseg and parts cross-entropy (ignore 255), depth masked L1 (0
// invalid), normals L1 of the L2-normalised prediction over valid pixels,
// edge balanced BCE with fixed positive weight EdgePosWeight, saliency
// balanced BCE with the batch's negative fraction as weight, the
// restoration loss Config.RestoreLoss (Charbonnier, or minus the PSNR),
// and with Config.DegradeHead the type head's cross-entropy (weight
// DegradeHeadWeight). A task whose weight is 0 or absent still appears
// among the terms but does not enter the total. It returns an error when a
// needed target is missing or mis-shaped.
func (m *Model) Loss(out *Outputs, t *Targets) (LossTerms, error) {
	cfg := m.Config
	res := LossTerms{Terms: map[string]*engine.Tensor{}}
	var total *engine.Tensor
	add := func(name string, l *engine.Tensor, w float64) {
		res.Terms[name] = l
		if w == 0 {
			return
		}
		wl := engine.Scale(l, w)
		if total == nil {
			total = wl
		} else {
			total = engine.Add(total, wl)
		}
	}
	for _, task := range cfg.Tasks {
		pred := out.Tasks[task]
		if pred == nil {
			return LossTerms{}, fmt.Errorf("allnet: Loss: no %s output", task)
		}
		var l *engine.Tensor
		var err error
		switch task {
		case TaskSemseg:
			l, err = labelLoss(task, pred, t.Semseg, cfg.SemsegClassWeights)
		case TaskParts:
			l, err = labelLoss(task, pred, t.Parts, nil)
		case TaskDepth:
			if err = sameShape(task, pred, t.Depth); err == nil {
				l = engine.DepthL1(pred, t.Depth)
			}
		case TaskNormals:
			if err = sameShape(task, pred, t.Normals); err == nil {
				l = engine.NormalsL1(pred, t.Normals)
			}
		case TaskEdge:
			if err = sameShape(task, pred, t.Edge); err == nil {
				l = engine.BalancedBCEWithLogits(pred, t.Edge, cfg.EdgePosWeight, nil)
			}
		case TaskSal:
			if err = sameShape(task, pred, t.Sal); err == nil {
				l = engine.BalancedBCEWithLogits(pred, t.Sal, -1, nil)
			}
		default:
			err = fmt.Errorf("allnet: Loss: unknown task %q", task)
		}
		if err != nil {
			return LossTerms{}, err
		}
		add(task, l, cfg.LossWeights[task])
	}
	if err := sameShape(TaskRestore, out.Restored, t.Clean); err != nil {
		return LossTerms{}, err
	}
	add(TaskRestore, restoreLoss(cfg, out.Restored, t.Clean), cfg.LossWeights[TaskRestore])
	if out.DegradeLogits != nil {
		if t.DegradeType == nil {
			return LossTerms{}, fmt.Errorf("allnet: Loss: no %s target (the degradation types of the batch)", TaskDegrade)
		}
		if want := out.DegradeLogits.Dim(0); !slices.Equal(t.DegradeType.Shape(), []int{want}) {
			return LossTerms{}, fmt.Errorf("allnet: Loss: %s target %v, want [%d]", TaskDegrade, t.DegradeType.Shape(), want)
		}
		add(TaskDegrade, degradeTypeLoss(out.DegradeLogits, t.DegradeType), cfg.DegradeHeadWeight)
	}
	if out.Aux != nil {
		add(TaskAux, out.Aux, cfg.AuxWeight)
	}
	if total == nil {
		total = engine.Scale(res.Terms[TaskRestore], 0)
	}
	res.Total = total
	return res, nil
}

// restoreLoss is cfg.RestoreLoss of the restored image against the clean
// one.
func restoreLoss(cfg Config, restored, clean *engine.Tensor) *engine.Tensor {
	if cfg.RestoreLoss == RestoreLossPSNR {
		return engine.PSNRLoss(restored, clean, engine.PSNRLossEps)
	}
	return engine.Charbonnier(restored, clean, cfg.CharbonnierEps)
}

// labelLoss is the cross-entropy of logits (N, K, H, W) against labels
// (N, H, W) ignoring 255, weighted per class when weights is not nil
// (Config.SemsegClassWeights).
func labelLoss(task string, logits, labels *engine.Tensor, weights []float64) (*engine.Tensor, error) {
	if labels == nil {
		return nil, fmt.Errorf("allnet: Loss: no %s target", task)
	}
	s := logits.Shape()
	want := []int{s[0], s[2], s[3]}
	if labels.DType() != engine.Int32 || !slices.Equal(labels.Shape(), want) {
		return nil, fmt.Errorf("allnet: Loss: %s target %v%v, want int32 %v", task, labels.DType(), labels.Shape(), want)
	}
	if weights == nil {
		return engine.CrossEntropy(logits, labels, ignoreLabel), nil
	}
	w := engine.FromFloat64(engine.CPU(), weights, len(weights)).Cast(logits.DType()).To(logits.Backend())
	return engine.WeightedCrossEntropy(logits, labels, w, ignoreLabel), nil
}

// sameShape checks that a target exists and has the prediction's shape.
func sameShape(task string, pred, target *engine.Tensor) error {
	if target == nil {
		return fmt.Errorf("allnet: Loss: no %s target", task)
	}
	if !slices.Equal(pred.Shape(), target.Shape()) {
		return fmt.Errorf("allnet: Loss: %s target %v, want %v", task, target.Shape(), pred.Shape())
	}
	return nil
}
