package engine

import (
	"fmt"

	"allnet/engine/backend"
)

// PSFConv convolves every channel of image n of x (N, C, H, W) with that
// image's own kernel psf[n] (psf is (N, KH, KW)), as a true convolution with
// the kernel centre at (KH/2, KW/2) and zeros outside the image:
//
//	y[n,c,h,w] = sum_{a,b} psf[n,a,b] * x[n, c, h - a + KH/2, w - b + KW/2]
//
// The result has x's shape. Gradients flow to x and psf.
func PSFConv(x, psf *Tensor) *Tensor {
	sameDevice("PSFConv", x, psf)
	x.mustFloat("PSFConv")
	if len(x.shape) != 4 || len(psf.shape) != 3 || psf.shape[0] != x.shape[0] || x.Len() == 0 || psf.Len() == 0 {
		panic(fmt.Sprintf("engine: PSFConv: image %v with kernels %v (want (N, C, H, W) and (N, KH, KW))", x.shape, psf.shape))
	}
	g := backend.PSFGeom{N: x.shape[0], C: x.shape[1], H: x.shape[2], W: x.shape[3], KH: psf.shape[1], KW: psf.shape[2]}
	out := x.like(x.shape...)
	x.dev.PSFConv(out.buf, x.buf, psf.buf, g)
	addFLOPs(flopPSF, g.N, g.C, g.H, g.W, g.KH, g.KW)
	record(out, "psfconv", []*Tensor{x, psf}, func(dy *Tensor) []*Tensor {
		var dx, dpsf *Tensor
		var bx, bp backend.Buffer
		if x.requiresGrad {
			dx = x.like(x.shape...) // zeroed: the primitive accumulates
			bx = dx.buf
		}
		if psf.requiresGrad {
			dpsf = psf.like(psf.shape...)
			bp = dpsf.buf
		}
		x.dev.PSFConvBackward(bx, bp, dy.buf, x.buf, psf.buf, g)
		return []*Tensor{dx, dpsf}
	})
	return out
}
