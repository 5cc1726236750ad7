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

// The degradation-type head's energy filters (count and size), its
// detector's width and the width of its MLP's hidden layer.
const (
	degradeEnergyWidth = 16
	degradeEnergySize  = 5
	degradeDetectWidth = 16
	degradeHidden      = 32
)

// degradeHead classifies each image's degradation ([ours], Config.DegradeHead)
// from a per-image descriptor:
//
//	d[n] = concat(log(mean_{h,w} E(x)^2 + 1e-6), max_{h,w} D(x), mean_{h,w} relu(D(x)), GAP(P))
//	E = conv5x5(x -> 16)    D = conv3x3(GELU(conv3x3(x -> 16)) -> 16)    x the degraded image in [0, 1]
//	logits[n] = MLP(d[n])
//
// The mean squared responses of E are the image's energy per direction and
// scale: noise adds energy at the finest scale in every direction, a
// motion blur removes it along its direction, haze lowers it everywhere.
// D is a small detector whose strongest response finds what covers few
// pixels: at the demo's 1/6 scale a rainy image holds a few thin streaks,
// whose energy is lost in the mean. Trained with cross-entropy against the
// type the loader drew (Targets.DegradeType), its class probabilities join
// the restoration path's full-resolution stage (restoreHead), which
// otherwise sees only a few pixels around each output pixel and the
// 1/4-scale P. Measured on 240 degraded val images of the demo's scenes
// (blur drawn half the time): after 1,600 steps without D the head put 58
// of 62 rainy images in the blur class, and blur gained 0.85 dB (1.14 dB
// with D); after a full demo run (2,480 steps) with D it classed 58 of 62
// rainy and 66 of 66 blurred images right, and blur gained 1.25 dB.
// Named <prefix>.{energy, detect1, detect2, mlp.fc1, mlp.fc2}.
type degradeHead struct {
	nn.Group
	Energy           *nn.Conv2d
	Detect1, Detect2 *nn.Conv2d
	MLP              *nn.MLP
}

func newDegradeHead(prefix string, c int, g *engine.Generator) *degradeHead {
	h := &degradeHead{
		Energy:  nn.NewConv2d(nn.Join(prefix, "energy"), 3, degradeEnergyWidth, degradeEnergySize, 1, 0, 1, true, nn.InitDefault, g),
		Detect1: nn.NewConv2d(nn.Join(prefix, "detect1"), 3, degradeDetectWidth, 3, 1, 1, 1, true, nn.InitDefault, g),
		Detect2: nn.NewConv2d(nn.Join(prefix, "detect2"), degradeDetectWidth, degradeDetectWidth, 3, 1, 1, 1, true, nn.InitDefault, g),
		MLP:     nn.NewMLP(nn.Join(prefix, "mlp"), degradeEnergyWidth+2*degradeDetectWidth+c, degradeHidden, len(DegradeClasses), nn.InitDefault, g),
	}
	h.Add(h.Energy, h.Detect1, h.Detect2, h.MLP)
	return h
}

// Forward maps p (N, C, h, w) and the degraded input in [0, 1] (N, 3, H, W)
// to the class logits (N, len(DegradeClasses)).
func (h *degradeHead) Forward(p, degraded01 *engine.Tensor) *engine.Tensor {
	e := h.Energy.Forward(degraded01)
	energy := engine.Log(engine.AddScalar(engine.Mean(engine.Square(e), false, 2, 3), 1e-6))
	d := h.Detect2.Forward(engine.GELU(h.Detect1.Forward(degraded01)))
	desc := engine.Concat(1, energy, engine.Max(d, false, 2, 3), engine.Mean(engine.ReLU(d), false, 2, 3), engine.Mean(p, false, 2, 3))
	return h.MLP.Forward(desc)
}

// degradeTypeLoss is the cross-entropy of the head's logits (N, K) against
// the type labels (N) (ignoreLabel skipped).
func degradeTypeLoss(logits, labels *engine.Tensor) *engine.Tensor {
	n, k := logits.Dim(0), logits.Dim(1)
	return engine.CrossEntropy(engine.Reshape(logits, n, k, 1, 1), engine.Reshape(labels, n, 1, 1), ignoreLabel)
}
