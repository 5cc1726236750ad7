package allnet

import (
	"fmt"

	"allnet/data/degrade"
	"allnet/data/loader"
	"allnet/data/transform"
	"allnet/engine"
)

// DeviceBlur applies motion blur (ALLNET.md section 4, as degrade's blur)
// to images clean01 (N, 3, H, W) in [0, 1] on their own device, one
// BlurParams per image: L = I^Gamma, convolved with the image's PSF by
// engine.PSFConv (the kernels are built on the host and zero-padded to the
// largest one), the image's border repeated outside it as degrade's CPU blur
// does; then the optional Poisson-Gaussian noise in the linear domain, with
// the Poisson count drawn by its normal approximation (variance Shot*L)
// from g (which may be nil when no image has noise); B = clip(L')^(1/Gamma).
func DeviceBlur(clean01 *engine.Tensor, params []degrade.BlurParams, g *engine.Generator) *engine.Tensor {
	n, h, w := clean01.Dim(0), clean01.Dim(2), clean01.Dim(3)
	if len(params) != n {
		panic(fmt.Sprintf("allnet: DeviceBlur: %d blur parameters for %d images", len(params), n))
	}
	dev := clean01.Backend()
	kernels := make([][]float64, n)
	sizes := make([]int, n)
	size := 1
	for i, p := range params {
		kernels[i], sizes[i] = p.PSF()
		size = max(size, sizes[i])
	}
	psf := make([]float32, n*size*size)
	for i, k := range kernels {
		o := (size - sizes[i]) / 2 // sizes are odd: the centres line up
		for a := range sizes[i] {
			for b := range sizes[i] {
				psf[(i*size+a+o)*size+b+o] = float32(k[a*sizes[i]+b])
			}
		}
	}
	c := size / 2
	var out *engine.Tensor
	engine.NoGrad(func() {
		lin := engine.Pow(engine.Clamp(clean01, 0, 1), degrade.Gamma)
		y := engine.PSFConv(padReplicate(lin, c, c, c, c), engine.FromFloat32(dev, psf, n, size, size))
		y = engine.Slice(engine.Slice(y, 2, c, c+h), 3, c, c+w)
		shot, read := make([]float32, n), make([]float32, n)
		noisy := false
		for i, p := range params {
			shot[i], read[i] = float32(p.Shot), float32(p.Read)
			noisy = noisy || p.Shot > 0 || p.Read > 0
		}
		if noisy {
			sd := engine.Sqrt(engine.Mul(engine.ClampMin(y, 0), engine.FromFloat32(dev, shot, n, 1, 1, 1)))
			y = engine.Add(y, engine.Mul(sd, g.Normal(dev, engine.Float32, n, 3, h, w)))
			y = engine.Add(y, engine.Mul(engine.FromFloat32(dev, read, n, 1, 1, 1), g.Normal(dev, engine.Float32, n, 3, h, w)))
		}
		out = engine.Pow(engine.Clamp(y, 0, 1), 1/degrade.Gamma)
	})
	return out
}

// ApplyDeferredBlur applies the blur the loader deferred (Batch.Deferred,
// loader.Options.DeferBlur) to the model inputs BatchTensors made of b:
// the deferred images are blurred from the clean targets clean01 on their
// device by DeviceBlur, with noise drawn from a generator seeded by the
// first deferred image's degradation seed (so a batch is blurred the same
// way every time), and replace those images in x (ImageNet-normalised) and
// degraded01; the other images are left as they are.
func ApplyDeferredBlur(b *loader.Batch, x, degraded01, clean01 *engine.Tensor) (*engine.Tensor, *engine.Tensor, error) {
	var idx []int
	var params []degrade.BlurParams
	for i, d := range b.Deferred {
		if !d {
			continue
		}
		p, ok := b.Specs[i].Params.(degrade.BlurParams)
		if !ok {
			return nil, nil, fmt.Errorf("allnet: image %q: deferred degradation %s is not a blur", b.Names[i], b.Specs[i].Type)
		}
		idx, params = append(idx, i), append(params, p)
	}
	if len(idx) == 0 {
		return x, degraded01, nil
	}
	dev := x.Backend()
	var xs, ds []*engine.Tensor
	engine.NoGrad(func() {
		sel := make([]*engine.Tensor, len(idx))
		for j, i := range idx {
			sel[j] = engine.Slice(clean01, 0, i, i+1)
		}
		blurred := DeviceBlur(engine.Concat(0, sel...), params, engine.NewGenerator(b.Specs[idx[0]].Seed))
		mean := engine.FromFloat32(dev, transform.ImageNetMean[:], 1, 3, 1, 1)
		std := engine.FromFloat32(dev, transform.ImageNetStd[:], 1, 3, 1, 1)
		normalised := engine.Div(engine.Sub(blurred, mean), std)
		xs, ds = make([]*engine.Tensor, b.B), make([]*engine.Tensor, b.B)
		for i := range b.B {
			xs[i], ds[i] = engine.Slice(x, 0, i, i+1), engine.Slice(degraded01, 0, i, i+1)
		}
		for j, i := range idx {
			xs[i], ds[i] = engine.Slice(normalised, 0, j, j+1), engine.Slice(blurred, 0, j, j+1)
		}
	})
	return engine.Concat(0, xs...), engine.Concat(0, ds...), nil
}
