package allnet

import (
	"fmt"

	"allnet/engine"
	"allnet/nn"
)

// MaEConfig configures a MaE (Mixture of Adaptive Experts) block
// (ALLNET.md 1.3; the values are our reading, marked [ours] there).
type MaEConfig struct {
	// Experts is the number of experts n (4).
	Experts int
	// Windows are the experts' attention windows (4, 8, 16, 32), clamped to
	// the feature size at run time; it needs at least Experts entries.
	Windows []int
	// TopK is the number of experts each image runs (1, as MoCE).
	TopK int
	// Heads is the target channels per attention head: a branch of width w
	// gets w/Heads heads (at least 1), lowered until it divides w.
	Heads int
	// PriorLambda weighs the prior logits added to the gate's.
	PriorLambda float64
	// NoiseStd is the std of the routing noise in training; below 0 means
	// 1/Experts, as MoCE's noise_std.
	NoiseStd float64
	// MLPRatio is the hidden width of the M3 MLP over the branch width.
	MLPRatio float64
	// LearnAuxCoefs trains the load-balancing loss's coefficients a and b
	// (ALLNET.md 1.3: "learnable from 0.5"). Off by default ([ours], as
	// MoCE, which fixes both at 0.5): the loss is linear in a and b, so
	// gradient descent drives them below zero, after which the loss
	// rewards unbalanced routing (measured: L_aux fell from 0.23 to -11
	// over the demo's 1,000 steps). Off, a and b are buffers held at 0.5.
	LearnAuxCoefs bool
}

// DefaultMaEConfig returns 4 experts with windows 4/8/16/32, top-1
// routing, 32-channel heads, prior weight 1, noise std 1/4 and MLP ratio 2.
func DefaultMaEConfig() MaEConfig {
	return MaEConfig{Experts: 4, Windows: []int{4, 8, 16, 32}, TopK: 1, Heads: 32,
		PriorLambda: 1, NoiseStd: -1, MLPRatio: 2}
}

// noiseStd resolves NoiseStd.
func (c MaEConfig) noiseStd() float64 {
	if c.NoiseStd < 0 {
		return 1 / float64(c.Experts)
	}
	return c.NoiseStd
}

// MaEBlock routes each image of P_in to its top-k experts and adds their
// gated outputs to the input:
//
//	out[b] = P_in[b] + sum_{e in topk(b)} G[b,e] * expert_e(P_in[b])
//
// (router in mae_router.go, experts in mae_expert.go). Images are grouped
// per expert (as MoCE-IR's SparseDispatcher), so each image runs only its
// selected experts. State_dict names: router.{gate,prior}.weight,
// router.{t,a,b}, experts.{i}.{proj_in,attn.qkv,attn.proj,dyn.kernel,
// dyn.pw,mlp.fc1,mlp.fc2,proj_out}.{weight,bias}, experts.{i}.interact.
type MaEBlock struct {
	nn.Group
	Config  MaEConfig
	Router  *maeRouter
	Experts []*maeExpert
}

// NewMaEBlock returns a MaE block of width c named under prefix, its
// parameters drawn from g.
func NewMaEBlock(prefix string, c int, cfg MaEConfig, g *engine.Generator) *MaEBlock {
	if cfg.Experts < 1 || len(cfg.Windows) < cfg.Experts || cfg.TopK < 1 || cfg.TopK > cfg.Experts || c < 1 {
		panic(fmt.Sprintf("allnet: NewMaEBlock: width %d with %+v (want experts >= 1, a window per expert, 1 <= top-k <= experts)", c, cfg))
	}
	b := &MaEBlock{Config: cfg}
	complexity := make([]float64, cfg.Experts)
	top := 0.0
	for i := range cfg.Experts {
		e := newMaEExpert(nn.Join(prefix, fmt.Sprintf("experts.%d", i)), c, i, cfg, g)
		b.Experts = append(b.Experts, e)
		complexity[i] = float64(nn.CountParameters(e))
		top = max(top, complexity[i])
	}
	for i := range complexity {
		complexity[i] /= top
	}
	b.Router = newMaERouter(nn.Join(prefix, "router"), c, cfg, complexity, g)
	b.Add(b.Router)
	for _, e := range b.Experts {
		b.Add(e)
	}
	return b
}

// Forward runs the block on p (N, C, H, W) and returns the output (N, C,
// H, W) and the block's scalar load-balancing loss (0 when !train). In
// training the routing noise is drawn from g.
func (b *MaEBlock) Forward(p *engine.Tensor, train bool, g *engine.Generator) (out, aux *engine.Tensor) {
	var eps *engine.Tensor
	if std := b.Config.noiseStd(); train && std > 0 {
		eps = engine.Scale(g.Normal(p.Backend(), p.DType(), p.Dim(0), b.Config.Experts), std)
	}
	return b.forward(p, eps, train)
}

// forward is Forward with the routing noise eps (N, Experts) given
// (unscaled by the temperature; nil for none).
func (b *MaEBlock) forward(p, eps *engine.Tensor, train bool) (out, aux *engine.Tensor) {
	if p.Rank() != 4 {
		panic(fmt.Sprintf("allnet: MaEBlock: input %v, want (N, C, H, W)", p.Shape()))
	}
	rt := b.Router.route(p, eps, train)
	return b.dispatch(p, rt), rt.Aux
}

// dispatch runs every expert on the images routed to it and combines.
func (b *MaEBlock) dispatch(p *engine.Tensor, rt maeRoute) *engine.Tensor {
	n, k := p.Dim(0), b.Config.TopK
	contrib := make([]*engine.Tensor, n)
	for e, ex := range b.Experts {
		var imgs []int
		var slots []int
		for i, sel := range rt.Indices {
			if int(sel) == e {
				imgs, slots = append(imgs, i/k), append(slots, i%k)
			}
		}
		if len(imgs) == 0 {
			continue
		}
		in := make([]*engine.Tensor, len(imgs))
		for j, im := range imgs {
			in[j] = engine.Slice(p, 0, im, im+1)
		}
		y := ex.Forward(engine.Concat(0, in...))
		for j, im := range imgs {
			gv := engine.Reshape(engine.Slice(engine.Slice(rt.Values, 0, im, im+1), 1, slots[j], slots[j]+1), 1, 1, 1, 1)
			term := engine.Mul(engine.Slice(y, 0, j, j+1), gv)
			if contrib[im] == nil {
				contrib[im] = term
			} else {
				contrib[im] = engine.Add(contrib[im], term)
			}
		}
	}
	return engine.Add(p, engine.Concat(0, contrib...))
}
