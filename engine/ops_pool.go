package engine

import (
	"fmt"

	"allnet/engine/backend"
)

// AvgPool2d is torch.nn.functional.avg_pool2d with ceil_mode=False and
// count_include_pad=True on x (N, C, H, W); kernel, stride and padding are
// (rows, columns), a zero stride component meaning the kernel's. Output
// (i, j) is
//
//	out[n, c, i, j] = 1/(KH*KW) * sum_{a<KH, b<KW} x[n, c, i*SH-PH+a, j*SW-PW+b]
//
// with zeros outside the image (counted in the divisor), OH = (H + 2PH -
// KH)/SH + 1 and likewise OW. As in PyTorch, padding may be at most half
// the kernel. The backward spreads each output gradient evenly over its
// window (AvgPoolBackward).
func AvgPool2d(x *Tensor, kernel, stride, padding [2]int) *Tensor {
	x.mustFloat("AvgPool2d")
	for i := range stride {
		if stride[i] == 0 {
			stride[i] = kernel[i]
		}
	}
	if len(x.shape) != 4 || x.Len() == 0 {
		panic(fmt.Sprintf("engine: AvgPool2d: input %v (want (N, C, H, W))", x.shape))
	}
	g := backend.PoolGeom{N: x.shape[0], C: x.shape[1], H: x.shape[2], W: x.shape[3],
		KH: kernel[0], KW: kernel[1], SH: stride[0], SW: stride[1], PH: padding[0], PW: padding[1]}
	if g.KH <= 0 || g.KW <= 0 || g.SH <= 0 || g.SW <= 0 || g.PH < 0 || g.PW < 0 ||
		2*g.PH > g.KH || 2*g.PW > g.KW || g.H+2*g.PH < g.KH || g.W+2*g.PW < g.KW {
		panic(fmt.Sprintf("engine: AvgPool2d: kernel %v stride %v padding %v for input %v", kernel, stride, padding, x.shape))
	}
	g.OH, g.OW = (g.H+2*g.PH-g.KH)/g.SH+1, (g.W+2*g.PW-g.KW)/g.SW+1
	return poolOp("avgpool2d", x, g)
}

// AdaptiveAvgPool2d is torch.nn.functional.adaptive_avg_pool2d of x
// (N, C, H, W) to (N, C, oh, ow): output (i, j) averages rows
// [floor(i*H/oh), ceil((i+1)*H/oh)) and columns [floor(j*W/ow),
// ceil((j+1)*W/ow)). The backward spreads each output gradient evenly over
// its window.
func AdaptiveAvgPool2d(x *Tensor, oh, ow int) *Tensor {
	x.mustFloat("AdaptiveAvgPool2d")
	if len(x.shape) != 4 || x.Len() == 0 || oh <= 0 || ow <= 0 {
		panic(fmt.Sprintf("engine: AdaptiveAvgPool2d: input %v to %dx%d (want (N, C, H, W) and a positive size)", x.shape, oh, ow))
	}
	g := backend.PoolGeom{N: x.shape[0], C: x.shape[1], H: x.shape[2], W: x.shape[3], OH: oh, OW: ow, Adaptive: true}
	return poolOp("adaptiveavgpool2d", x, g)
}

// GlobalAvgPool averages each channel of x (N, C, H, W) over its pixels,
// giving (N, C, 1, 1).
func GlobalAvgPool(x *Tensor) *Tensor { return AdaptiveAvgPool2d(x, 1, 1) }

// poolOp runs average pooling with geometry g (N..W filled from x) and
// records its backward.
func poolOp(op string, x *Tensor, g backend.PoolGeom) *Tensor {
	out := x.like(g.N, g.C, g.OH, g.OW)
	x.dev.AvgPool(out.buf, x.buf, g)
	record(out, op, []*Tensor{x}, func(dy *Tensor) []*Tensor {
		dx := x.like(x.shape...) // zeroed: the primitive accumulates
		x.dev.AvgPoolBackward(dx.buf, dy.buf, g)
		return []*Tensor{dx}
	})
	return out
}
