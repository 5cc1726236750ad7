package allnet

import (
	"fmt"

	"allnet/engine"
	"allnet/engine/meta"
	"allnet/nn"
)

// PartFLOPs is the forward cost of one part of the model.
type PartFLOPs struct {
	Part  string
	Count engine.FLOPCount
}

// FLOPReport is the forward cost of ALLNet at one input size, batch 1, in
// engine.FLOPCount's conventions (MACs of the GEMM-based ops, attention,
// DCNv3, PSF convolution and bilinear resizing; elementwise ops, norms and
// softmax not counted; FLOPs = 2*MACs).
type FLOPReport struct {
	// H and W are the input size (padded as Config.Pad says).
	H, W int
	// Parts are the backbone, the decoder, the task heads and the
	// restoration head, with every MaE block routing the image to expert 0
	// (the narrowest).
	Parts []PartFLOPs
	// ByExpert[e] is the whole model's cost when every MaE block routes the
	// image to expert e (top-k routing: to expert e in all k slots). Only
	// the decoder's share depends on the routing, which depends on the
	// image; the true cost of an image lies between the smallest and the
	// largest of these.
	ByExpert []engine.FLOPCount
}

// Total returns the sum of the parts (routing to expert 0).
func (r FLOPReport) Total() engine.FLOPCount {
	var t engine.FLOPCount
	for _, p := range r.Parts {
		t = t.Add(p.Count)
	}
	return t
}

// CountFLOPs returns the forward cost of the model cfg describes on one
// (1, 3, h, w) image in evaluation mode. It builds the model (random
// weights, on the CPU), moves it to the meta backend and runs it there, so
// it computes nothing and takes about as long as building the model.
func CountFLOPs(cfg Config, h, w int) FLOPReport {
	if h < 1 || w < 1 {
		panic(fmt.Sprintf("allnet: CountFLOPs: input %dx%d", h, w))
	}
	m := NewModel(cfg, 0)
	dev := meta.New()
	moveModule(m, dev)
	m.SetTraining(false)
	rep := FLOPReport{H: h, W: w}
	for e := range cfg.MaE.Experts {
		dev.SetIndexFill(int32(e))
		parts := m.partFLOPs(dev, h, w)
		var total engine.FLOPCount
		for _, p := range parts {
			total = total.Add(p.Count)
		}
		rep.ByExpert = append(rep.ByExpert, total)
		if e == 0 {
			rep.Parts = parts
		}
	}
	return rep
}

// BackboneFLOPs returns the forward cost of InternImage cfg on one
// (1, 3, h, w) image, counted on the meta backend as CountFLOPs.
func BackboneFLOPs(cfg InternImageConfig, h, w int) engine.FLOPCount {
	m := NewInternImage(cfg, 0)
	dev := meta.New()
	moveModule(m, dev)
	m.SetTraining(false)
	x := engine.New(dev, engine.Float32, 1, 3, h, w)
	var n engine.FLOPCount
	engine.NoGrad(func() { n = engine.CountFLOPs(func() { m.Forward(x) }) })
	return n
}

// moveModule moves every parameter and buffer of mod to dev in place.
func moveModule(mod nn.Module, dev *meta.Meta) {
	for _, t := range append(mod.Parameters(), mod.Buffers()...) {
		t.MoveTo(dev)
	}
}

// partFLOPs runs Model.Forward's steps one part at a time on a meta image.
func (m *Model) partFLOPs(dev *meta.Meta, h, w int) []PartFLOPs {
	var parts []PartFLOPs
	count := func(part string, fn func()) {
		parts = append(parts, PartFLOPs{part, engine.CountFLOPs(fn)})
	}
	engine.NoGrad(func() {
		x := engine.New(dev, engine.Float32, 1, 3, h, w)
		var xp, p, j *engine.Tensor
		var feats []*engine.Tensor
		count("backbone", func() {
			xp = padTo(x, inputMultiple, m.Config.Pad)
			feats = m.Backbone.Forward(xp)
		})
		hp, wp := xp.Dim(2), xp.Dim(3)
		count("decoder", func() { p, j, _ = m.Decoder.Forward(feats, false, nil) })
		count("heads", func() {
			for _, hd := range m.Heads {
				crop(hd.Forward(j, hp, wp), h, w)
			}
		})
		count("restoration", func() {
			res, _ := m.restoreResidual(p, xp)
			engine.Add(x, crop(res, h, w))
		})
	})
	return parts
}
