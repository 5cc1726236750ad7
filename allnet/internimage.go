package allnet

import (
	"fmt"

	"allnet/engine"
	"allnet/nn"
)

// InternImage is the InternImage backbone (OpenGVLab/InternImage) with the
// official parameter names, so that official checkpoints load: the stem
// patch_embed.{conv1, norm1.1, conv2, norm2.1}, then per level i the blocks
// levels.{i}.blocks.{j}.{norm1.0, dcn, gamma1, norm2.0, mlp, gamma2}, the
// level norm levels.{i}.norm.0 (pre-norm models only) and, between levels,
// levels.{i}.downsample.{conv, norm.1}. Forward returns the output of every
// level before its downsampling, NCHW, as the official segmentation
// backbone does with out_indices (0, 1, 2, 3). All layer norms use eps 1e-6.
type InternImage struct {
	nn.Group
	Config InternImageConfig
	Stem   *internImageStem
	Levels []*internImageLevel
	// DropGen drives stochastic depth in training.
	DropGen *engine.Generator
}

// lnEps is InternImage's layer-norm epsilon.
const lnEps = 1e-6

// NewInternImage builds the backbone for cfg with weights initialised as
// the official model (_init_weights, then DCNv3's _reset_parameters) from
// a generator seeded with seed. It panics on an invalid cfg (see Validate).
func NewInternImage(cfg InternImageConfig, seed uint64) *InternImage {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	g := engine.NewGenerator(seed)
	m := &InternImage{Config: cfg, DropGen: engine.NewGenerator(seed ^ 0x9e3779b97f4a7c15)}
	m.Stem = newInternImageStem("patch_embed", cfg.Channels, g)
	m.Add(m.Stem)
	total := 0
	for _, d := range cfg.Depths {
		total += d
	}
	block := 0
	for i, depth := range cfg.Depths {
		rates := make([]float64, depth)
		for j := range rates {
			// torch.linspace(0, rate, total)[block]
			if total > 1 {
				rates[j] = cfg.DropPathRate * float64(block) / float64(total-1)
			}
			block++
		}
		lv := newInternImageLevel(nn.Join("levels", fmt.Sprint(i)), cfg, i, rates, i < len(cfg.Depths)-1, g, m.DropGen)
		m.Levels = append(m.Levels, lv)
		m.Add(lv)
	}
	return m
}

// Forward maps x (N, 3, H, W) to the level features (N, C*2^i, H/2^(i+2),
// W/2^(i+2)) for i = 0..3 (sizes rounded up at each stride-2 step).
func (m *InternImage) Forward(x *engine.Tensor) []*engine.Tensor {
	if x.Rank() != 4 || x.Dim(1) != 3 {
		panic(fmt.Sprintf("allnet: InternImage: input %v, want (N, 3, H, W)", x.Shape()))
	}
	h := m.Stem.Forward(x) // NHWC
	outs := make([]*engine.Tensor, 0, len(m.Levels))
	for _, lv := range m.Levels {
		var out *engine.Tensor
		h, out = lv.Forward(h)
		outs = append(outs, engine.Permute(out, 0, 3, 1, 2))
	}
	return outs
}

// internImageStem is StemLayer: conv3x3/s2 (3 -> C/2) + LN + GELU +
// conv3x3/s2 (C/2 -> C) + LN, NCHW in, NHWC out.
type internImageStem struct {
	nn.Group
	Conv1, Conv2 *nn.Conv2d
	Norm1, Norm2 *nn.LayerNorm
}

func newInternImageStem(prefix string, c int, g *engine.Generator) *internImageStem {
	s := &internImageStem{
		Conv1: nn.NewConv2d(nn.Join(prefix, "conv1"), 3, c/2, 3, 2, 1, 1, true, nn.InitDefault, g),
		Norm1: nn.NewLayerNorm(nn.Join(prefix, "norm1.1"), c/2, lnEps),
		Conv2: nn.NewConv2d(nn.Join(prefix, "conv2"), c/2, c, 3, 2, 1, 1, true, nn.InitDefault, g),
		Norm2: nn.NewLayerNorm(nn.Join(prefix, "norm2.1"), c, lnEps),
	}
	s.Add(s.Conv1, s.Norm1, s.Conv2, s.Norm2)
	return s
}

func (s *internImageStem) Forward(x *engine.Tensor) *engine.Tensor {
	h := engine.Permute(s.Conv1.Forward(x), 0, 2, 3, 1)
	h = engine.Permute(engine.GELU(s.Norm1.Forward(h)), 0, 3, 1, 2)
	return s.Norm2.Forward(engine.Permute(s.Conv2.Forward(h), 0, 2, 3, 1))
}

// internImageLevel is InternImageBlock: the blocks, the level norm when not
// post-norm, and the downsampling conv3x3/s2 (C -> 2C, no bias) + LN.
type internImageLevel struct {
	nn.Group
	Blocks   []*internImageBlock
	Norm     *nn.LayerNorm // nil with post-norm
	DownConv *nn.Conv2d    // nil on the last level
	DownNorm *nn.LayerNorm
}

func newInternImageLevel(prefix string, cfg InternImageConfig, i int, rates []float64, down bool, g, dropGen *engine.Generator) *internImageLevel {
	c := cfg.Channels << i
	lv := &internImageLevel{}
	for j, r := range rates {
		b := newInternImageBlock(nn.Join(prefix, fmt.Sprintf("blocks.%d", j)), cfg, c, cfg.Groups[i], r, g, dropGen)
		lv.Blocks = append(lv.Blocks, b)
		lv.Add(b)
	}
	if !cfg.PostNorm {
		lv.Norm = nn.NewLayerNorm(nn.Join(prefix, "norm.0"), c, lnEps)
		lv.Add(lv.Norm)
	}
	if down {
		lv.DownConv = nn.NewConv2d(nn.Join(prefix, "downsample.conv"), c, 2*c, 3, 2, 1, 1, false, nn.InitDefault, g)
		lv.DownNorm = nn.NewLayerNorm(nn.Join(prefix, "downsample.norm.1"), 2*c, lnEps)
		lv.Add(lv.DownConv, lv.DownNorm)
	}
	return lv
}

// Forward runs the level on x (N, H, W, C) and returns the input of the next
// level (NHWC, downsampled; x's output itself on the last level) and the
// level's output before downsampling (NHWC).
func (lv *internImageLevel) Forward(x *engine.Tensor) (next, out *engine.Tensor) {
	for _, b := range lv.Blocks {
		x = b.Forward(x)
	}
	if lv.Norm != nil {
		x = lv.Norm.Forward(x)
	}
	if lv.DownConv == nil {
		return x, x
	}
	d := lv.DownConv.Forward(engine.Permute(x, 0, 3, 1, 2))
	return lv.DownNorm.Forward(engine.Permute(d, 0, 2, 3, 1)), x
}

// internImageBlock is InternImageLayer on NHWC input. Post-norm:
// x += dp(gamma1*LN1(DCN(x))); x += dp(gamma2*LN2(MLP(x))). Pre-norm:
// x += dp(gamma1*DCN(LN1(x))); x += dp(gamma2*MLP(LN2(x))). Without layer
// scale the gammas are absent (1).
type internImageBlock struct {
	nn.Group
	Norm1, Norm2   *nn.LayerNorm
	DCN            *nn.DCNv3
	MLP            *nn.MLP
	Gamma1, Gamma2 *engine.Tensor // nil without layer scale
	Drop           *nn.DropPath
	postNorm       bool
}

func newInternImageBlock(prefix string, cfg InternImageConfig, c, groups int, drop float64, g, dropGen *engine.Generator) *internImageBlock {
	b := &internImageBlock{
		Norm1:    nn.NewLayerNorm(nn.Join(prefix, "norm1.0"), c, lnEps),
		DCN:      nn.NewDCNv3(nn.Join(prefix, "dcn"), c, groups, cfg.OffsetScale, g),
		Norm2:    nn.NewLayerNorm(nn.Join(prefix, "norm2.0"), c, lnEps),
		MLP:      nn.NewMLP(nn.Join(prefix, "mlp"), c, int(float64(c)*cfg.MLPRatio), c, nn.InitTruncNormal, g),
		Drop:     nn.NewDropPath(drop, dropGen),
		postNorm: cfg.PostNorm,
	}
	b.Add(b.Norm1, b.DCN, b.Norm2, b.MLP, b.Drop)
	if cfg.LayerScale != 0 {
		b.Gamma1 = engine.Param(nn.Join(prefix, "gamma1"), engine.Full(engine.CPU(), engine.Float32, cfg.LayerScale, c))
		b.Gamma2 = engine.Param(nn.Join(prefix, "gamma2"), engine.Full(engine.CPU(), engine.Float32, cfg.LayerScale, c))
	}
	return b
}

// Parameters lists the block's parameters in the official state_dict order
// (the block's own gamma1 and gamma2 before its children's).
func (b *internImageBlock) Parameters() []*engine.Tensor {
	var ps []*engine.Tensor
	if b.Gamma1 != nil {
		ps = append(ps, b.Gamma1, b.Gamma2)
	}
	return append(ps, b.Group.Parameters()...)
}

func (b *internImageBlock) branch(x *engine.Tensor, norm *nn.LayerNorm, f func(*engine.Tensor) *engine.Tensor, gamma *engine.Tensor) *engine.Tensor {
	var y *engine.Tensor
	if b.postNorm {
		y = norm.Forward(f(x))
	} else {
		y = f(norm.Forward(x))
	}
	if gamma != nil {
		y = engine.Mul(gamma, y)
	}
	return engine.Add(x, b.Drop.Forward(y))
}

func (b *internImageBlock) Forward(x *engine.Tensor) *engine.Tensor {
	x = b.branch(x, b.Norm1, b.DCN.Forward, b.Gamma1)
	return b.branch(x, b.Norm2, b.MLP.Forward, b.Gamma2)
}
