package allnet

import (
	"math"

	"allnet/engine"
	"allnet/nn"
)

// maeRouter is the per-image noisy top-k router of a MaE block (ALLNET.md
// 1.3, following MoCE-IR's RoutingFunction, eduardzamfir/MoCE-IR
// src/net/moce_ir.py):
//
//	f = GAP(P_in)                        (B, C)
//	z = (gate(f) + lambda*prior(f)) / T  T = sigmoid(t) + 0.5
//	z~ = z + eps/T                       eps ~ N(0, NoiseStd^2), training only
//	G = topk(softmax(z~))                the kept softmax values, not
//	                                     renormalised (as MoCE's gates)
//
// gate and prior are bias-free Linears (MoCE: nn.Linear(dim, n, bias=False)
// for both the gate and its second "freq_gate" term, which ALLNET's prior
// replaces). The auxiliary loss is
//
//	L_aux = a*CV(Importance)^2 + b*CV(Load)^2
//
// with a, b fixed at 0.5 as MoCE (learnable from 0.5 with
// MaEConfig.LearnAuxCoefs), CV^2 =
// (std/(mean+1e-8))^2 with the unbiased std, Importance_e = sum_b
// softmax(z)[b,e] * complexity_e (the clean logits, complexity = the
// expert's parameter count over the largest's: MoCE's importance_loss with
// complexity_scale "max"), and Load_e = mean_b P(z~_b,e stays in the top k)
// = mean_b (1 - Phi((thr_b - z_b,e) / (NoiseStd/T))), thr_b the k-th
// largest noisy logit of image b (MoCE's load_loss, Shazeer et al. 2017's
// smooth estimator as MoCE writes it). With NoiseStd 0 the load is the hard
// count of images per expert (no gradient). In evaluation L_aux is 0, as in
// MoCE.
type maeRouter struct {
	nn.Group
	gate, prior *nn.Linear
	t, a, b     *engine.Tensor
	complexity  []float64
	lambda      float64
	noiseStd    float64
	topK        int
}

// scalarParam is a learnable (1)-shaped tensor exposed as a module.
type scalarParam struct{ t *engine.Tensor }

func (p scalarParam) Parameters() []*engine.Tensor { return []*engine.Tensor{p.t} }
func (p scalarParam) Buffers() []*engine.Tensor    { return nil }
func (p scalarParam) SetTraining(bool)             {}

// scalarBuffer is a fixed (1)-shaped tensor exposed as a module: saved and
// loaded under its name, never trained.
type scalarBuffer struct{ t *engine.Tensor }

func (b scalarBuffer) Parameters() []*engine.Tensor { return nil }
func (b scalarBuffer) Buffers() []*engine.Tensor    { return []*engine.Tensor{b.t} }
func (b scalarBuffer) SetTraining(bool)             {}

func newScalar(name string, v float64) *engine.Tensor {
	return engine.Param(name, engine.Full(engine.CPU(), engine.Float32, v, 1))
}

func newMaERouter(prefix string, c int, cfg MaEConfig, complexity []float64, g *engine.Generator) *maeRouter {
	r := &maeRouter{
		gate:       nn.NewLinear(nn.Join(prefix, "gate"), c, cfg.Experts, false, nn.InitDefault, g),
		prior:      nn.NewLinear(nn.Join(prefix, "prior"), c, cfg.Experts, false, nn.InitDefault, g),
		t:          newScalar(nn.Join(prefix, "t"), 0),
		a:          newScalar(nn.Join(prefix, "a"), 0.5),
		b:          newScalar(nn.Join(prefix, "b"), 0.5),
		complexity: complexity,
		lambda:     cfg.PriorLambda,
		noiseStd:   cfg.noiseStd(),
		topK:       cfg.TopK,
	}
	r.Add(r.gate, r.prior, scalarParam{r.t})
	if cfg.LearnAuxCoefs {
		r.Add(scalarParam{r.a}, scalarParam{r.b})
	} else {
		r.a.SetRequiresGrad(false)
		r.b.SetRequiresGrad(false)
		r.Add(scalarBuffer{r.a}, scalarBuffer{r.b})
	}
	return r
}

// maeRoute is a routing decision for a batch.
type maeRoute struct {
	Clean   *engine.Tensor // z (B, n)
	Values  *engine.Tensor // kept gate values G (B, k), differentiable
	Indices []int32        // chosen experts (B*k), row-major
	Aux     *engine.Tensor // scalar L_aux (0 in evaluation)
}

// route routes p (B, C, H, W); eps is the unscaled-by-T noise (B, n) or nil
// (no noise), and train says whether to compute L_aux.
func (r *maeRouter) route(p, eps *engine.Tensor, train bool) maeRoute {
	bsz := p.Dim(0)
	f := engine.Reshape(engine.GlobalAvgPool(p), bsz, p.Dim(1))
	temp := engine.AddScalar(engine.Sigmoid(r.t), 0.5)
	clean := engine.Div(engine.Add(r.gate.Forward(f), engine.Scale(r.prior.Forward(f), r.lambda)), temp)
	noisy := clean
	if eps != nil {
		noisy = engine.Add(clean, engine.Div(eps, temp))
	}
	vals, idx := engine.TopK(engine.Softmax(noisy, -1), r.topK)
	rt := maeRoute{Clean: clean, Values: vals, Indices: idx.Int32s()}
	if !train {
		rt.Aux = engine.FromValues(p.Backend(), p.DType(), []float64{0})
		return rt
	}
	n := len(r.complexity)
	cplx := engine.FromValues(p.Backend(), p.DType(), r.complexity, n)
	imp := engine.Mul(engine.Sum(engine.Softmax(clean, -1), false, 0), cplx)
	var load *engine.Tensor
	if eps != nil && r.noiseStd > 0 {
		top, _ := engine.TopK(noisy, r.topK)
		thr := engine.Slice(top, 1, r.topK-1, r.topK) // (B, 1)
		// (thr - z) / (sigma/T) = (thr - z) * T / sigma.
		req := engine.Scale(engine.Mul(engine.Sub(thr, clean), temp), 1/r.noiseStd)
		load = engine.Mean(engine.OneMinus(normalCDF(req)), false, 0)
	} else {
		counts := make([]float64, n)
		for _, e := range rt.Indices {
			counts[e]++
		}
		load = engine.FromValues(p.Backend(), p.DType(), counts, n)
	}
	aux := engine.Add(engine.Mul(r.a, cvSquared(imp)), engine.Mul(r.b, cvSquared(load)))
	rt.Aux = engine.SumAll(aux)
	return rt
}

// cvSquared returns (std/(mean+1e-8))^2 of v (n) with the unbiased std, as
// MoCE's losses, as a (1) tensor. It is written var/(mean+1e-8)^2 so that
// its gradient stays finite when all entries are equal.
func cvSquared(v *engine.Tensor) *engine.Tensor {
	n := v.Dim(0)
	if n < 2 {
		return engine.Scale(engine.Sum(v, true, 0), 0)
	}
	mean := engine.Mean(v, true, 0)
	vr := engine.Scale(engine.Sum(engine.Square(engine.Sub(v, mean)), true, 0), 1/float64(n-1))
	return engine.Div(vr, engine.Square(engine.AddScalar(mean, 1e-8)))
}

// normalCDF returns Phi(x) = 0.5*(1 + erf(x/sqrt2)) elementwise. The engine
// has no erf, so the values are computed on the host with math.Erfc (exact
// to float64) and the gradient is attached as d/dx Phi = phi(x), the normal
// density: out = Phi(x) + (x - detach(x)) * detach(phi(x)), which has
// Phi's value and Phi's first derivative (not its second). The routing
// tensors are tiny (B, n), so the round trip costs nothing.
func normalCDF(x *engine.Tensor) *engine.Tensor {
	xs := x.Float64s()
	cdf := make([]float64, len(xs))
	pdf := make([]float64, len(xs))
	for i, v := range xs {
		cdf[i] = 0.5 * math.Erfc(-v/math.Sqrt2)
		pdf[i] = math.Exp(-0.5*v*v) / math.Sqrt(2*math.Pi)
	}
	sh := x.Shape()
	c := engine.FromValues(x.Backend(), x.DType(), cdf, sh...)
	d := engine.FromValues(x.Backend(), x.DType(), pdf, sh...)
	return engine.Add(c, engine.Mul(engine.Sub(x, x.Detach()), d))
}
