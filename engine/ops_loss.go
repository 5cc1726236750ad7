package engine

import (
	"fmt"
	"math"
	"slices"

	"allnet/engine/backend"
)

// Task losses of ALLNet (ALLNET.md section 2). Each returns a scalar of
// shape () in the prediction's dtype. Reductions follow the PyTorch code the
// paper builds on, SimonVandenhende/Multi-Task-Learning-PyTorch
// (losses/loss_functions.py, utils/common_config.py get_loss), and say where
// they deviate. Masks, labels and the balancing weights carry no gradient.

// CharbonnierEps is the usual Charbonnier eps (MPRNet's CharbonnierLoss).
const CharbonnierEps = 1e-3

// CrossEntropy is the softmax cross-entropy of logits (N, K, d1, ...)
// against int32 labels (N, d1, ...), averaged over the positions whose label
// is not ignore:
//
//	loss = sum_{p: y_p != ignore} (logsumexp_k x[p, k] - x[p, y_p]) / #{p: y_p != ignore}
//
// as F.cross_entropy(logits, labels, ignore_index=ignore, reduction="mean")
// (MTL's SoftMaxwithLoss, ignore 255). When every position is ignored it
// returns 0 with a zero gradient (PyTorch returns NaN). Labels outside
// [0, K) other than ignore panic.
func CrossEntropy(logits, labels *Tensor, ignore int) *Tensor {
	per := crossEntropyMap(logits, labels, ignore)
	valid := NotEqualScalar(labels.Cast(logits.dtype), float64(ignore))
	return Div(SumAll(per), ClampMin(SumAll(valid), 1))
}

// WeightedCrossEntropy is CrossEntropy with a weight per class: weights
// (K,) on the logits' device and dtype, and
//
//	loss = sum_{p: y_p != ignore} w[y_p] (logsumexp_k x[p, k] - x[p, y_p]) / sum_{p: y_p != ignore} w[y_p]
//
// as F.cross_entropy(logits, labels, weight=weights, ignore_index=ignore,
// reduction="mean"). The weights get no gradient. When the weights of every
// counted position sum to 0 it returns 0 with a zero gradient.
func WeightedCrossEntropy(logits, labels, weights *Tensor, ignore int) *Tensor {
	per := crossEntropyMap(logits, labels, ignore)
	k := logits.shape[1]
	if weights.dev != logits.dev || weights.dtype != logits.dtype || !slices.Equal(weights.shape, []int{k}) {
		panic(fmt.Sprintf("engine: WeightedCrossEntropy: weights %v%v for logits %v%v (want (%d) of the logits' dtype, on their device)",
			weights.dtype, weights.shape, logits.dtype, logits.shape, k))
	}
	// Each position's weight is gathered from the table (w_0 .. w_{K-1}, 0):
	// an ignored label reads the trailing 0.
	table := Reshape(Concat(0, weights.Detach(), Full(logits.dev, logits.dtype, 0, 1)), 1, k+1)
	lf := labels.Cast(logits.dtype)
	ign := EqualScalar(lf, float64(ignore))
	idx := Add(Mul(lf, OneMinus(ign)), Scale(ign, float64(k))).Cast(Int32)
	w := Reshape(Gather(table, 1, Reshape(idx, 1, labels.Len())), labels.shape...)
	return Div(SumAll(Mul(per, w)), ClampMin(SumAll(w), 1e-30))
}

// crossEntropyMap returns the per-position losses (N, d1, ...), 0 where the
// label is ignore, via the backend's CrossEntropy primitive viewed as
// (outer=N, classes=K, inner=d1*...).
func crossEntropyMap(logits, labels *Tensor, ignore int) *Tensor {
	logits.mustFloat("CrossEntropy")
	labels.mustDType("CrossEntropy", Int32)
	ok := len(logits.shape) >= 2 && labels.dev == logits.dev && len(labels.shape) == len(logits.shape)-1
	if ok {
		ok = labels.shape[0] == logits.shape[0] && slices.Equal(labels.shape[1:], logits.shape[2:])
	}
	if !ok {
		panic(fmt.Sprintf("engine: CrossEntropy: logits %v with labels %v (want (N, K, ...) and (N, ...) on one device)", logits.shape, labels.shape))
	}
	outer, classes := logits.shape[0], logits.shape[1]
	inner := backend.NumElements(logits.shape[2:])
	per := logits.like(labels.shape...)
	prob := logits.like(logits.shape...)
	logits.dev.CrossEntropy(per.buf, prob.buf, logits.buf, labels.buf, outer, classes, inner, ignore)
	record(per, "cross_entropy", []*Tensor{logits}, func(g *Tensor) []*Tensor {
		dx := logits.like(logits.shape...)
		logits.dev.CrossEntropyBackward(dx.buf, g.buf, prob.buf, labels.buf, outer, classes, inner, ignore)
		return []*Tensor{dx}
	})
	return per
}

// MaskedL1 is the mean absolute error over the masked elements:
//
//	loss = sum(|pred - target| * mask) / max(count, 1)
//
// where mask (1 valid, 0 invalid; pred's dtype) broadcasts to pred's shape
// and count is the number of elements it selects, i.e. the sum of the mask
// broadcast to pred's shape. This is MTL's DepthLoss/NormalsLoss reduction
// (L1 over masked_select, averaged over the selected elements); an empty
// mask gives 0 rather than NaN. pred and target have one shape.
func MaskedL1(pred, target, mask *Tensor) *Tensor {
	checkPair("MaskedL1", pred, target)
	m := lossMask("MaskedL1", mask, pred)
	num := SumAll(Mul(Abs(Sub(pred, target)), m))
	return Div(num, ClampMin(maskCount(m, pred.shape), 1))
}

// DepthL1 is MaskedL1 with the pixels where target > 0 valid (ALLNET.md:
// depth masked L1, invalid = 0): the mean of |pred - target| over the
// valid elements, 0 when there are none.
func DepthL1(pred, target *Tensor) *Tensor {
	checkPair("DepthL1", pred, target)
	return MaskedL1(pred, target, GreaterScalar(target.Detach(), 0))
}

// BCEWithLogits is F.binary_cross_entropy_with_logits(x, y,
// pos_weight=posWeight, reduction="mean"), computed stably as
//
//	loss = mean((1 - y) * x + (1 + (posWeight - 1) * y) * softplus(-x))
//
// over all elements (= mean(-posWeight*y*log σ(x) - (1-y)*log(1-σ(x)))).
// logits and target have one shape; both are differentiable.
func BCEWithLogits(logits, target *Tensor, posWeight float64) *Tensor {
	checkPair("BCEWithLogits", logits, target)
	lw := AddScalar(Scale(target, posWeight-1), 1)
	l := Add(Mul(OneMinus(target), logits), Mul(lw, Softplus(Neg(logits))))
	return MeanAll(l)
}

// BalancedBCEWithLogits is MTL's BalancedCrossEntropyLoss with
// size_average: with y = [target >= 0.5] and v the valid mask,
//
//	loss = (w * sum(v * y * -log σ(x)) + (1 - w) * sum(v * (1-y) * -log(1-σ(x)))) / numel
//
// where numel counts every element (valid or not, as MTL's size_average).
// posWeight in [0, 1] fixes w (edges: 0.95); posWeight < 0 computes it from
// the batch as the fraction of negatives among the valid elements,
// w = sum(v*(1-y)) / max(sum(v), 1) (saliency; HED-style). valid (1 valid,
// 0 ignored; broadcasting to the logits' shape) may be nil for all valid.
// MTL applies its void mask only when w comes from the batch, and counts
// void pixels among the negatives there; here the mask always applies and
// the batch weight uses valid elements only. Only logits get a gradient.
func BalancedBCEWithLogits(logits, target *Tensor, posWeight float64, valid *Tensor) *Tensor {
	checkPair("BalancedBCEWithLogits", logits, target)
	if posWeight > 1 || math.IsNaN(posWeight) {
		panic(fmt.Sprintf("engine: BalancedBCEWithLogits: posWeight %g for logits %v (want [0, 1], or < 0 for the batch ratio)", posWeight, logits.shape))
	}
	y := GreaterEqual(target.Detach(), Full(target.dev, target.dtype, 0.5))
	neg := OneMinus(y)
	pos := Mul(y, Softplus(Neg(logits))) // -log σ(x) at positives
	negL := Mul(neg, Softplus(logits))   // -log(1 - σ(x)) at negatives
	count := Full(logits.dev, logits.dtype, float64(logits.Len()))
	if valid != nil {
		v := lossMask("BalancedBCEWithLogits", valid, logits)
		pos, negL, neg = Mul(pos, v), Mul(negL, v), Mul(neg, v)
		count = maskCount(v, logits.shape)
	}
	sp, sn := SumAll(pos), SumAll(negL)
	var loss *Tensor
	if posWeight >= 0 {
		loss = Add(Scale(sp, posWeight), Scale(sn, 1-posWeight))
	} else {
		w := Div(SumAll(neg), ClampMin(count, 1))
		loss = Add(Mul(w, sp), Mul(OneMinus(w), sn))
	}
	return Scale(loss, 1/float64(max(logits.Len(), 1)))
}

// Charbonnier is the smooth L1 of restoration (MPRNet's CharbonnierLoss):
//
//	loss = mean(sqrt((pred - target)^2 + eps^2))
//
// over all elements; eps > 0 (CharbonnierEps = 1e-3 is the usual value).
func Charbonnier(pred, target *Tensor, eps float64) *Tensor {
	checkPair("Charbonnier", pred, target)
	if !(eps > 0) {
		panic(fmt.Sprintf("engine: Charbonnier: eps %g for pred %v (want > 0)", eps, pred.shape))
	}
	return MeanAll(Sqrt(AddScalar(Square(Sub(pred, target)), eps*eps)))
}

// PSNRLossEps keeps PSNRLoss finite for a perfect prediction (NAFNet's
// PSNRLoss uses the same 1e-8).
const PSNRLossEps = 1e-8

// PSNRLoss is minus the batch's mean PSNR in dB of pred against target
// (N, ...), images in [0, 1] (NAFNet's PSNRLoss):
//
//	loss = mean_n 10 * log10(mean_{c,h,w} (pred - target)^2 + eps)
//
// Each image's squared error is divided by that image's own error, so an
// image restored to 35 dB pulls as hard as one at 20 dB: a step's gradient
// is spread evenly over the dB of every image rather than over its pixels'
// absolute errors, which is what a per-image PSNR average rewards. eps > 0.
func PSNRLoss(pred, target *Tensor, eps float64) *Tensor {
	checkPair("PSNRLoss", pred, target)
	if !(eps > 0) {
		panic(fmt.Sprintf("engine: PSNRLoss: eps %g for pred %v (want > 0)", eps, pred.shape))
	}
	if len(pred.shape) < 2 {
		panic(fmt.Sprintf("engine: PSNRLoss: pred %v (want (N, ...))", pred.shape))
	}
	n := pred.shape[0]
	mse := Mean(Square(Reshape(Sub(pred, target), n, -1)), false, 1)
	return Scale(MeanAll(Log(AddScalar(mse, eps))), 10/math.Ln10)
}

// NormalsL1 is MTL's NormalsLoss(normalize=True, norm=1) for pred and
// target (N, 3, H, W) (any (N, C, ...) works): the prediction is
// L2-normalised along axis 1 as n = pred / (||pred||_2 + 1e-12), and
//
//	loss = sum_{valid p, c} |n[p, c] - target[p, c]| / max(C * #valid, 1)
//
// with a pixel valid where its target vector is non-zero (ALLNET.md; MTL
// marks invalid elements 255 instead). Like MTL the sum is divided by the
// number of valid elements (C per valid pixel), not valid pixels.
func NormalsL1(pred, target *Tensor) *Tensor {
	checkPair("NormalsL1", pred, target)
	if len(pred.shape) < 2 {
		panic(fmt.Sprintf("engine: NormalsL1: pred %v (want (N, C, ...))", pred.shape))
	}
	// The clamp only keeps the gradient of an all-zero prediction finite.
	norm := AddScalar(Sqrt(ClampMin(Sum(Square(pred), true, 1), 1e-30)), 1e-12)
	valid := GreaterScalar(Sum(Abs(target.Detach()), true, 1), 0)
	return MaskedL1(Div(pred, norm), target, valid)
}

// checkPair panics unless a and b are float tensors of one shape, dtype and
// device.
func checkPair(op string, a, b *Tensor) {
	a.mustFloat(op)
	if !slices.Equal(a.shape, b.shape) || a.dtype != b.dtype || a.dev != b.dev {
		panic(fmt.Sprintf("engine: %s: %v%v and %v%v differ (want one shape, dtype and device)", op, a.dtype, a.shape, b.dtype, b.shape))
	}
}

// lossMask checks that mask has like's dtype and device and broadcasts to
// like's shape, and returns it detached.
func lossMask(op string, mask, like *Tensor) *Tensor {
	ok := mask.dtype == like.dtype && mask.dev == like.dev && len(mask.shape) <= len(like.shape)
	for i := 1; ok && i <= len(mask.shape); i++ {
		d := mask.shape[len(mask.shape)-i]
		ok = d == 1 || d == like.shape[len(like.shape)-i]
	}
	if !ok {
		panic(fmt.Sprintf("engine: %s: mask %v%v for %v%v (want the same dtype, broadcasting to its shape)", op, mask.dtype, mask.shape, like.dtype, like.shape))
	}
	return mask.Detach()
}

// maskCount is the sum of mask broadcast to shape, as a () tensor: each
// mask element is repeated len(shape)/len(mask) times.
func maskCount(mask *Tensor, shape []int) *Tensor {
	rep := backend.NumElements(shape) / max(mask.Len(), 1)
	return Scale(SumAll(mask), float64(rep))
}
