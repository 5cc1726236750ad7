package allnet

import (
	"slices"

	"allnet/data"
	"allnet/data/loader"
	"allnet/data/transform"
	"allnet/engine"
	"allnet/engine/backend"
)

// BatchTensors turns a loader batch into the model's inputs on dev: x, the
// ImageNet-normalised degraded images (B, 3, H, W); degraded01, the same
// images in [0, 1] (transform.Denormalize of x); and the targets (tasks the
// batch lacks stay nil; depth, edge and saliency as (B, 1, H, W)).
func BatchTensors(b *loader.Batch, dev backend.Backend) (x, degraded01 *engine.Tensor, t *Targets) {
	n, h, w := b.B, b.H, b.W
	hw := h * w
	x = engine.FromFloat32(dev, b.Images, n, 3, h, w)
	d := slices.Clone(b.Images)
	for i := range n {
		transform.Denormalize(data.Image{C: 3, H: h, W: w, Pix: d[i*3*hw : (i+1)*3*hw]}, transform.ImageNetMean, transform.ImageNetStd)
	}
	degraded01 = engine.FromFloat32(dev, d, n, 3, h, w)
	t = &Targets{Clean: engine.FromFloat32(dev, b.Clean, n, 3, h, w)}
	if len(b.Types) == n {
		types := make([]int32, n)
		for i, s := range b.Types {
			types[i] = degradeClassIndex(s)
		}
		t.DegradeType = engine.FromInt32(dev, types, n)
	}
	if b.Semseg != nil {
		t.Semseg = engine.FromInt32(dev, b.Semseg, n, h, w)
	}
	if b.Parts != nil {
		t.Parts = engine.FromInt32(dev, b.Parts, n, h, w)
	}
	if b.Depth != nil {
		t.Depth = engine.FromFloat32(dev, b.Depth, n, 1, h, w)
	}
	if b.Normals != nil {
		t.Normals = engine.FromFloat32(dev, b.Normals, n, 3, h, w)
	}
	if b.Edge != nil {
		t.Edge = engine.FromFloat32(dev, b.Edge, n, 1, h, w)
	}
	if b.Sal != nil {
		t.Sal = engine.FromFloat32(dev, b.Sal, n, 1, h, w)
	}
	return x, degraded01, t
}
