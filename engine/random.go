package engine

import (
	"fmt"

	"allnet/engine/backend"
)

// Generator is a counter-based random stream: draws depend only on Seed and
// Counter, so saving both (in a checkpoint) resumes the stream exactly, on
// any backend.
type Generator struct {
	Seed    uint64
	Counter uint64
}

// NewGenerator returns a stream for seed starting at counter 0.
func NewGenerator(seed uint64) *Generator { return &Generator{Seed: seed} }

// take reserves n counters and returns the first.
func (g *Generator) take(n int) uint64 {
	c := g.Counter
	g.Counter += uint64(n)
	return c
}

// Uniform returns a tensor of values uniform in [0, 1).
func (g *Generator) Uniform(dev backend.Backend, dt DType, shape ...int) *Tensor {
	t := New(dev, dt, shape...)
	dev.RandUniform(t.buf, g.Seed, g.take(t.Len()))
	return t
}

// Normal returns a tensor of standard normal values.
func (g *Generator) Normal(dev backend.Backend, dt DType, shape ...int) *Tensor {
	t := New(dev, dt, shape...)
	dev.RandNormal(t.buf, g.Seed, g.take(t.Len()))
	return t
}

// Dropout zeroes each element with probability p and scales the rest by
// 1/(1-p). With train false, or p == 0, it returns x unchanged.
func Dropout(x *Tensor, p float64, train bool, g *Generator) *Tensor {
	if p < 0 || p >= 1 {
		panic(fmt.Sprintf("engine: Dropout: probability %g outside [0, 1)", p))
	}
	if !train || p == 0 {
		return x
	}
	keep := GreaterScalar(g.Uniform(x.dev, x.dtype, x.shape...), p-1e-12)
	return Mul(x, Scale(keep, 1/(1-p)))
}

// DropPath (stochastic depth) zeroes whole samples (along the first
// dimension) with probability p and scales the kept ones by 1/(1-p), as
// timm's drop_path. With train false, or p == 0, it returns x unchanged.
func DropPath(x *Tensor, p float64, train bool, g *Generator) *Tensor {
	if p < 0 || p >= 1 {
		panic(fmt.Sprintf("engine: DropPath: probability %g outside [0, 1)", p))
	}
	if !train || p == 0 {
		return x
	}
	shape := make([]int, len(x.shape))
	for i := range shape {
		shape[i] = 1
	}
	shape[0] = x.shape[0]
	keep := GreaterScalar(g.Uniform(x.dev, x.dtype, shape...), p-1e-12)
	return Mul(x, Scale(keep, 1/(1-p)))
}
