package nn

import (
	"fmt"

	"allnet/engine"
)

// DCNv3 is InternImage's DCNv3 module (DCNv3_pytorch with a 3x3 kernel,
// stride 1, padding 1, dilation 1, LN and GELU) on channels-last input
// (N, H, W, C). Its children carry the official state_dict names:
//
//	prefix.dw_conv.0    depthwise Conv2d(C, C, 3, padding 1, groups C)
//	prefix.dw_conv.1.1  LayerNorm(C, eps 1e-6) (index 0 of that Sequential
//	                    is the parameter-free to_channels_last)
//	prefix.offset       Linear(C, G*9*2)
//	prefix.mask         Linear(C, G*9)
//	prefix.input_proj   Linear(C, C)
//	prefix.output_proj  Linear(C, C)
//
// Forward: v = input_proj(x); x1 = GELU(LN(dw_conv(x))); offset =
// offset(x1); mask = softmax over each group's 9 points of mask(x1); out =
// output_proj(DCNv3Core(v, offset, mask)).
type DCNv3 struct {
	Group
	DWConv                *Conv2d
	DWNorm                *LayerNorm
	Offset, Mask          *Linear
	InputProj, OutputProj *Linear
	// Groups is G; OffsetScale multiplies taps and offsets.
	Groups      int
	OffsetScale float64
}

// dcnv3Points is the number of sampling points of the 3x3 kernel.
const dcnv3Points = 9

// NewDCNv3 returns the module for c channels in groups groups, initialised
// as the official _reset_parameters: offset and mask weights and biases
// zero, input_proj and output_proj xavier-uniform with zero bias, the
// depthwise convolution as PyTorch's default, the norm 1 and 0.
func NewDCNv3(prefix string, c, groups int, offsetScale float64, g *engine.Generator) *DCNv3 {
	if groups <= 0 || c%groups != 0 {
		panic(fmt.Sprintf("nn: NewDCNv3: %d channels not divisible into %d groups", c, groups))
	}
	d := &DCNv3{
		DWConv:      NewConv2d(Join(prefix, "dw_conv.0"), c, c, 3, 1, 1, c, true, InitDefault, g),
		DWNorm:      NewLayerNorm(Join(prefix, "dw_conv.1.1"), c, 1e-6),
		Offset:      NewLinear(Join(prefix, "offset"), c, groups*dcnv3Points*2, true, InitZero, g),
		Mask:        NewLinear(Join(prefix, "mask"), c, groups*dcnv3Points, true, InitZero, g),
		InputProj:   NewLinear(Join(prefix, "input_proj"), c, c, true, InitXavier, g),
		OutputProj:  NewLinear(Join(prefix, "output_proj"), c, c, true, InitXavier, g),
		Groups:      groups,
		OffsetScale: offsetScale,
	}
	// The official state_dict order.
	d.Add(d.DWConv, d.DWNorm, d.Offset, d.Mask, d.InputProj, d.OutputProj)
	return d
}

// Forward applies the module to x (N, H, W, C), giving (N, H, W, C).
func (d *DCNv3) Forward(x *engine.Tensor) *engine.Tensor {
	if x.Rank() != 4 {
		panic(fmt.Sprintf("nn: DCNv3: input %v, want (N, H, W, C)", x.Shape()))
	}
	n, h, w := x.Dim(0), x.Dim(1), x.Dim(2)
	v := d.InputProj.Forward(x)
	x1 := d.DWConv.Forward(engine.Permute(x, 0, 3, 1, 2))
	x1 = engine.GELU(d.DWNorm.Forward(engine.Permute(x1, 0, 2, 3, 1)))
	offset := d.Offset.Forward(x1)
	mask := engine.Reshape(d.Mask.Forward(x1), n, h, w, d.Groups, dcnv3Points)
	mask = engine.Reshape(engine.Softmax(mask, -1), n, h, w, d.Groups*dcnv3Points)
	out := engine.DCNv3Core(v, offset, mask, engine.DCNv3Options{
		Groups:      d.Groups,
		OffsetScale: d.OffsetScale,
	})
	return d.OutputProj.Forward(out)
}
