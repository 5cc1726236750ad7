package engine

import (
	"fmt"
	"slices"

	"allnet/engine/backend"
)

// DCNv3Options are the attributes of the DCNv3 core. The zero value is
// InternImage's block: a 3x3 kernel, stride 1, padding 1, dilation 1, one
// group and offset scale 1.
type DCNv3Options struct {
	// KernelH and KernelW are the kernel's rows and columns; 0 means 3.
	KernelH, KernelW int
	// Stride is the step between output pixels in both directions; 0 means 1.
	Stride int
	// Pad is the zero padding on every side. 0 means the default
	// Dilation*(K-1)/2 per axis (1 for a 3x3 kernel, which keeps the size at
	// stride 1); a negative value means no padding.
	Pad int
	// Dilation is the spacing of the kernel's taps; 0 means 1.
	Dilation int
	// Groups is G, the number of channel groups, each with its own offsets
	// and mask; 0 means 1. The channel count must be a multiple of G.
	Groups int
	// OffsetScale multiplies the kernel taps and the offsets; 0 means 1.
	OffsetScale float64
}

// resolved returns o with the defaults filled in and the padding per axis.
func (o DCNv3Options) resolved() (DCNv3Options, int, int) {
	def := func(v, d int) int {
		if v == 0 {
			return d
		}
		return v
	}
	o.KernelH, o.KernelW = def(o.KernelH, 3), def(o.KernelW, 3)
	o.Stride, o.Dilation, o.Groups = def(o.Stride, 1), def(o.Dilation, 1), def(o.Groups, 1)
	if o.OffsetScale == 0 {
		o.OffsetScale = 1
	}
	ph, pw := o.Pad, o.Pad
	switch {
	case o.Pad == 0:
		ph, pw = o.Dilation*(o.KernelH-1)/2, o.Dilation*(o.KernelW-1)/2
	case o.Pad < 0:
		ph, pw = 0, 0
	}
	return o, ph, pw
}

// DCNv3Core is InternImage's DCNv3 core (dcnv3_core): deformable sampling of
// value at KernelH*KernelW points per output pixel and group, each shifted by
// its own learned offset, weighted by mask and summed.
//
// value is (N, H, W, G*D) channels-last, offset is (N, OH, OW, G*P*2) with
// the (x, y) offset of point p of group g at (g*P + p)*2, mask is
// (N, OH, OW, G*P) (already softmaxed over the points by the caller), and the
// result is (N, OH, OW, G*D), where P = KernelH*KernelW, point p = i*KernelH
// + j with i over the kernel's columns and j over its rows, and
// OH = (H + 2*pad - (Dilation*(KernelH-1) + 1))/Stride + 1 (likewise OW).
// Sampling is bilinear with zeros outside the image; see backend.DCNv3Geom
// for the exact locations. Gradients flow to all three inputs.
func DCNv3Core(value, offset, mask *Tensor, opts DCNv3Options) *Tensor {
	sameDevice("DCNv3Core", value, offset, mask)
	value.mustFloat("DCNv3Core")
	g := dcnv3Geom(value, offset, mask, opts)
	out := value.like(g.N, g.OH, g.OW, g.G*g.D)
	value.dev.DCNv3(out.buf, value.buf, offset.buf, mask.buf, g)
	addFLOPs(flopDCNv3, g.N, g.OH, g.OW, g.G, g.P(), g.D, 5)
	record(out, "dcnv3", []*Tensor{value, offset, mask}, func(dOut *Tensor) []*Tensor {
		grads := make([]*Tensor, 3)
		bufs := make([]backend.Buffer, 3)
		for k, in := range []*Tensor{value, offset, mask} {
			if in.requiresGrad {
				grads[k] = in.like(in.shape...) // zeroed: the primitive accumulates
				bufs[k] = grads[k].buf
			}
		}
		value.dev.DCNv3Backward(bufs[0], bufs[1], bufs[2], dOut.buf, value.buf, offset.buf, mask.buf, g)
		return grads
	})
	return out
}

// dcnv3Geom checks the shapes of DCNv3Core's inputs against opts and returns
// the primitive's geometry.
func dcnv3Geom(value, offset, mask *Tensor, opts DCNv3Options) backend.DCNv3Geom {
	o, ph, pw := opts.resolved()
	fail := func(why string) {
		panic(fmt.Sprintf("engine: DCNv3Core: %s (value %v, offset %v, mask %v, kernel %dx%d, stride %d, pad %dx%d, dilation %d, groups %d)",
			why, value.shape, offset.shape, mask.shape, o.KernelH, o.KernelW, o.Stride, ph, pw, o.Dilation, o.Groups))
	}
	if o.KernelH < 1 || o.KernelW < 1 || o.Stride < 1 || o.Dilation < 1 || o.Groups < 1 {
		fail("bad options")
	}
	if len(value.shape) != 4 || len(offset.shape) != 4 || len(mask.shape) != 4 {
		fail("want value (N, H, W, G*D), offset (N, OH, OW, G*P*2) and mask (N, OH, OW, G*P)")
	}
	n, h, w, c := value.shape[0], value.shape[1], value.shape[2], value.shape[3]
	if c%o.Groups != 0 || c == 0 {
		fail(fmt.Sprintf("%d channels do not split into %d groups", c, o.Groups))
	}
	g := backend.DCNv3Geom{
		N: n, H: h, W: w, G: o.Groups, D: c / o.Groups,
		KH: o.KernelH, KW: o.KernelW, SH: o.Stride, SW: o.Stride,
		PH: ph, PW: pw, DH: o.Dilation, DW: o.Dilation, OffsetScale: o.OffsetScale,
	}
	g.OH = (h+2*ph-(g.DH*(g.KH-1)+1))/g.SH + 1
	g.OW = (w+2*pw-(g.DW*(g.KW-1)+1))/g.SW + 1
	if n < 1 || h < 1 || w < 1 || h+2*ph < g.DH*(g.KH-1)+1 || w+2*pw < g.DW*(g.KW-1)+1 {
		fail("the kernel does not fit the padded image")
	}
	wantOff := []int{n, g.OH, g.OW, g.G * g.P() * 2}
	wantMask := []int{n, g.OH, g.OW, g.G * g.P()}
	if !slices.Equal(offset.shape, wantOff) || !slices.Equal(mask.shape, wantMask) {
		fail(fmt.Sprintf("want offset %v and mask %v", wantOff, wantMask))
	}
	return g
}
