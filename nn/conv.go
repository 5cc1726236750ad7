package nn

import "allnet/engine"

// Conv2d is torch.nn.Conv2d on NCHW tensors: Weight (out, in/groups, k, k)
// named prefix.weight, optional Bias (out) named prefix.bias, and the
// stride, padding and groups in Opts.
type Conv2d struct {
	leaf
	Weight, Bias *engine.Tensor
	Opts         engine.ConvOptions
}

// NewConv2d returns a k x k convolution in -> out named under prefix with
// the given stride, padding and groups (0 means 1), initialised as
// PyTorch's nn.Conv2d (InitDefault, fan_in = in/groups*k*k) or as init says.
func NewConv2d(prefix string, in, out, k, stride, pad, groups int, bias bool, init Init, g *engine.Generator) *Conv2d {
	if groups == 0 {
		groups = 1
	}
	if in%groups != 0 || out%groups != 0 {
		panic("nn: NewConv2d: channels not divisible by groups")
	}
	fanIn, fanOut := in/groups*k*k, out/groups*k*k
	w, b := initWeights(init, g, []int{out, in / groups, k, k}, fanIn, fanOut, out, bias)
	c := &Conv2d{
		Weight: engine.Param(Join(prefix, "weight"), w),
		Opts: engine.ConvOptions{
			Stride:  [2]int{stride, stride},
			Padding: [2]int{pad, pad},
			Groups:  groups,
		},
	}
	if b != nil {
		c.Bias = engine.Param(Join(prefix, "bias"), b)
	}
	return c
}

// Forward convolves x (N, in, H, W).
func (c *Conv2d) Forward(x *engine.Tensor) *engine.Tensor {
	return engine.Conv2d(x, c.Weight, c.Bias, c.Opts)
}

// Parameters returns the weight and, if present, the bias.
func (c *Conv2d) Parameters() []*engine.Tensor { return params(c.Weight, c.Bias) }
