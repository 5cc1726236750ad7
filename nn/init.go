package nn

import (
	"math"

	"allnet/engine"
)

// Init says how a layer's weight is initialised.
type Init int

const (
	// InitDefault is PyTorch's default for nn.Linear and nn.Conv2d:
	// kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
	// for the weight and the bias alike.
	InitDefault Init = iota
	// InitXavier is xavier_uniform_: U(-a, a) with a = sqrt(6/(fan_in +
	// fan_out)); the bias is zero.
	InitXavier
	// InitTruncNormal is timm's trunc_normal_(std=0.02) (truncated at +-2,
	// i.e. 100 standard deviations, so a plain normal); the bias is zero.
	// InternImage's _init_weights uses it for every nn.Linear.
	InitTruncNormal
	// InitZero sets weight and bias to zero (DCNv3's offset and mask).
	InitZero
)

// uniform returns a float32 CPU tensor of values uniform in [-a, a).
func uniform(g *engine.Generator, a float64, shape ...int) *engine.Tensor {
	var t *engine.Tensor
	engine.NoGrad(func() {
		t = engine.AddScalar(engine.Scale(g.Uniform(engine.CPU(), engine.Float32, shape...), 2*a), -a)
	})
	return t
}

// normal returns a float32 CPU tensor of N(0, std^2) values.
func normal(g *engine.Generator, std float64, shape ...int) *engine.Tensor {
	var t *engine.Tensor
	engine.NoGrad(func() {
		t = engine.Scale(g.Normal(engine.CPU(), engine.Float32, shape...), std)
	})
	return t
}

// ones returns a float32 CPU tensor of ones.
func ones(shape ...int) *engine.Tensor { return engine.Full(engine.CPU(), engine.Float32, 1, shape...) }

// initWeights returns weight (shape, with fan_in and fan_out as PyTorch
// computes them) and, when bias, a bias of size out, initialised by kind.
func initWeights(kind Init, g *engine.Generator, shape []int, fanIn, fanOut, out int, bias bool) (w, b *engine.Tensor) {
	switch kind {
	case InitDefault:
		bound := 1 / math.Sqrt(float64(fanIn))
		w = uniform(g, bound, shape...)
		if bias {
			b = uniform(g, bound, out)
		}
		return w, b
	case InitXavier:
		w = uniform(g, math.Sqrt(6/float64(fanIn+fanOut)), shape...)
	case InitTruncNormal:
		w = normal(g, 0.02, shape...)
	case InitZero:
		w = engine.Zeros(shape...)
	default:
		panic("nn: unknown Init")
	}
	if bias {
		b = engine.Zeros(out)
	}
	return w, b
}

// params returns the non-nil tensors among ts.
func params(ts ...*engine.Tensor) []*engine.Tensor {
	out := make([]*engine.Tensor, 0, len(ts))
	for _, t := range ts {
		if t != nil {
			out = append(out, t)
		}
	}
	return out
}

// leaf is embedded by layers without children or buffers.
type leaf struct{ training bool }

// Buffers returns nothing: the layer has no buffers.
func (leaf) Buffers() []*engine.Tensor { return nil }

// SetTraining records the mode.
func (l *leaf) SetTraining(train bool) { l.training = train }
