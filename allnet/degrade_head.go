package allnet

import (
	"slices"

	"allnet/data/degrade"
	"allnet/engine"
	"allnet/nn"
)

// DegradeClasses are the classes of the degradation-type head
// (Config.DegradeHead), in the order of its logits: the clean image, then
// degrade.AllTypes.
var DegradeClasses = append([]string{string(degrade.Clean)}, typeNames(degrade.AllTypes)...)

func typeNames(ts []degrade.Type) []string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return s
}

// degradeClassIndex returns the class index of a degradation type name, or
// ignoreLabel when it is not one of DegradeClasses.
func degradeClassIndex(name string) int32 {
	if i := slices.Index(DegradeClasses, name); i >= 0 {
		return int32(i)
	}
	return ignoreLabel
}

// The degradation-type head's energy filters (count and size) and the
// width of its MLP's hidden layer.
const (
	degradeEnergyWidth = 16
	degradeEnergySize  = 5
	degradeHidden      = 32
)

// degradeHead classifies each image's degradation ([ours],
// Config.DegradeHead) from a per-image descriptor:
//
//	logits[n] = MLP(concat(log(mean_{h,w} E(x)^2 + 1e-6), GAP(P)))     E = conv5x5(x -> 16), x the degraded image in [0, 1]
//
// The mean squared responses of E are the image's energy per direction and
// scale: noise adds energy at the finest scale in every direction, a
// motion blur removes it along its direction, haze lowers it everywhere,
// rain adds it along the streaks. Trained with cross-entropy against the
// type the loader drew (Targets.DegradeType), its class probabilities join
// the restoration path's full-resolution stage (restoreHead), which
// otherwise sees only a few pixels around each output pixel and the
// 1/4-scale P. Measured in one demo run each (1,600 steps, degrade_scale
// 1/6, psnr restoration loss): with the head restored minus input PSNR
// was noise +5.4, haze +7.2, rain +8.4, blur +0.17 dB; without it +4.9,
// +0.03, +8.2, +0.19 dB. It does not undo motion blur (trained on blur
// alone, the same model gains 1.8 dB).
// Named <prefix>.{energy, mlp.fc1, mlp.fc2}.
type degradeHead struct {
	nn.Group
	Energy *nn.Conv2d
	MLP    *nn.MLP
}

func newDegradeHead(prefix string, c int, g *engine.Generator) *degradeHead {
	h := &degradeHead{
		Energy: nn.NewConv2d(nn.Join(prefix, "energy"), 3, degradeEnergyWidth, degradeEnergySize, 1, 0, 1, true, nn.InitDefault, g),
		MLP:    nn.NewMLP(nn.Join(prefix, "mlp"), degradeEnergyWidth+c, degradeHidden, len(DegradeClasses), nn.InitDefault, g),
	}
	h.Add(h.Energy, h.MLP)
	return h
}

// Forward maps p (N, C, h, w) and the degraded input in [0, 1] (N, 3, H, W)
// to the class logits (N, len(DegradeClasses)).
func (h *degradeHead) Forward(p, degraded01 *engine.Tensor) *engine.Tensor {
	e := h.Energy.Forward(degraded01)
	energy := engine.Log(engine.AddScalar(engine.Mean(engine.Square(e), false, 2, 3), 1e-6))
	return h.MLP.Forward(engine.Concat(1, energy, engine.Mean(p, false, 2, 3)))
}

// degradeTypeLoss is the cross-entropy of the head's logits (N, K) against
// the type labels (N) (ignoreLabel skipped).
func degradeTypeLoss(logits, labels *engine.Tensor) *engine.Tensor {
	n, k := logits.Dim(0), logits.Dim(1)
	return engine.CrossEntropy(engine.Reshape(logits, n, k, 1, 1), engine.Reshape(labels, n, 1, 1), ignoreLabel)
}
