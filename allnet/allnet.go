package allnet

import (
	"fmt"
	"strings"

	"allnet/engine"
	"allnet/nn"
)

// Model is ALLNet (ALLNET.md section 1): an InternImage encoder, the
// dual-stream MaE decoder over the scales 1/32 -> 1/4 (restoration
// features P, prediction features J), one head per task on the 1/4-scale J
// and the restoration head on the 1/4-scale P. State_dict names: the
// encoder under "backbone." (as the official segmentation checkpoints),
// the decoder under "decoder.scales.{s}." (s = 0 at 1/32 ... 3 at 1/4),
// the heads under "heads.<task>." and the restoration path under
// "restore." (its degradation-type head, Config.DegradeHead, under
// "degrade_head.").
type Model struct {
	nn.Group
	Config   Config
	Backbone *InternImage
	Decoder  *Decoder
	Heads    []*taskHead // in Config.Tasks order
	Restore  *restoreHead
	Degrade  *degradeHead // nil without Config.DegradeHead
}

// Outputs is what Model.Forward returns, every map at the input size.
type Outputs struct {
	// Tasks maps each task to its output (N, K, H, W): semseg and parts
	// logits, depth (N, 1, H, W), normals (N, 3, H, W) unit vectors, edge
	// and saliency logits (N, 1, H, W).
	Tasks map[string]*engine.Tensor
	// Restored is the restored image (N, 3, H, W) in [0, 1] space: the
	// degraded input plus the predicted residual (not clamped).
	Restored *engine.Tensor
	// Aux is the MaE load-balancing loss averaged over all MaE blocks, a
	// scalar (0 without blocks).
	Aux *engine.Tensor
	// DegradeLogits are the degradation-type head's logits (N,
	// len(DegradeClasses)); nil without Config.DegradeHead.
	DegradeLogits *engine.Tensor
}

// inputMultiple is the size the input is padded to a multiple of (the
// encoder's coarsest stride).
const inputMultiple = 32

// NewModel builds ALLNet for cfg with weights drawn from seed (the encoder
// as NewInternImage(cfg.Encoder, seed), the rest from a second generator).
// It panics on an invalid cfg (see Config.Validate).
func NewModel(cfg Config, seed uint64) *Model {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	m := &Model{Config: cfg, Backbone: NewInternImage(cfg.Encoder, seed)}
	for _, p := range append(m.Backbone.Parameters(), m.Backbone.Buffers()...) {
		p.Name = nn.Join("backbone", p.Name)
	}
	g := engine.NewGenerator(seed + 0x5bd1e995)
	encCh := make([]int, Scales)
	for i := range encCh {
		encCh[i] = cfg.Encoder.Channels << (Scales - 1 - i) // 1/32 first
	}
	m.Decoder = newDecoder("decoder", cfg, encCh, g)
	m.Add(m.Backbone, m.Decoder)
	c4 := cfg.Widths[Scales-1]
	for _, t := range cfg.Tasks {
		h := newTaskHead(nn.Join("heads", t), t, c4, cfg.OutChannels(t), cfg, g)
		m.Heads = append(m.Heads, h)
		m.Add(h)
	}
	m.Restore = newRestoreHead("restore", c4, cfg, g)
	m.Add(m.Restore)
	if cfg.DegradeHead {
		m.Degrade = newDegradeHead("degrade_head", c4, g)
		m.Add(m.Degrade)
	}
	return m
}

// Forward runs ALLNet on x (N, 3, H, W), the ImageNet-normalised degraded
// image, and degraded01 (N, 3, H, W), the same degraded image in [0, 1]
// (the base of the restoration residual). Any H, W >= 1 works: x is padded
// at the bottom and right to a multiple of 32 (Config.Pad) and every output
// is cropped back; with PadNone the encoder's strided convolutions round
// odd sizes up and the decoder resizes each coarser scale to the next
// level's size. train switches dropout, drop-path, batch norms and the
// routing noise, drawn from g (nil is allowed when not training). The
// model's training flag is set to train.
func (m *Model) Forward(x, degraded01 *engine.Tensor, train bool, g *engine.Generator) *Outputs {
	if x.Rank() != 4 || x.Dim(1) != 3 || degraded01 == nil || !sameDims(x, degraded01) {
		var d []int
		if degraded01 != nil {
			d = degraded01.Shape()
		}
		panic(fmt.Sprintf("allnet: Model.Forward: input %v and degraded %v, want both (N, 3, H, W)", x.Shape(), d))
	}
	m.SetTraining(train)
	h, w := x.Dim(2), x.Dim(3)
	xp := padTo(x, inputMultiple, m.Config.Pad)
	hp, wp := xp.Dim(2), xp.Dim(3)
	feats := m.Backbone.Forward(xp)
	p, j, aux := m.Decoder.Forward(feats, train, g)
	out := &Outputs{Tasks: map[string]*engine.Tensor{}, Aux: aux}
	for _, hd := range m.Heads {
		out.Tasks[hd.Task] = crop(hd.Forward(j, hp, wp), h, w)
	}
	var res *engine.Tensor
	res, out.DegradeLogits = m.restoreResidual(p, padTo(degraded01, inputMultiple, m.Config.Pad))
	out.Restored = engine.Add(degraded01, crop(res, h, w))
	return out
}

// restoreResidual is the restoration path's residual on the padded
// degraded image and, with the degradation-type head, the head's logits,
// whose class probabilities condition the path.
func (m *Model) restoreResidual(p, degraded01 *engine.Tensor) (res, logits *engine.Tensor) {
	var cond *engine.Tensor
	if m.Degrade != nil {
		logits = m.Degrade.Forward(p, degraded01)
		cond = engine.Softmax(logits, 1)
	}
	return m.Restore.Forward(p, degraded01, cond), logits
}

// sameDims reports whether a and b have one shape.
func sameDims(a, b *engine.Tensor) bool {
	if a.Rank() != b.Rank() {
		return false
	}
	for i := range a.Rank() {
		if a.Dim(i) != b.Dim(i) {
			return false
		}
	}
	return true
}

// padTo pads x (N, C, H, W) at the bottom and right to multiples of k:
// with zeros ("zero") or by repeating the last row and column
// ("replicate"); "none" returns x as it is.
func padTo(x *engine.Tensor, k int, mode string) *engine.Tensor {
	h, w := x.Dim(2), x.Dim(3)
	ph, pw := (k-h%k)%k, (k-w%k)%k
	if (ph == 0 && pw == 0) || mode == PadNone {
		return x
	}
	if mode == "zero" {
		return engine.Pad(x, 0, [2]int{}, [2]int{}, [2]int{0, ph}, [2]int{0, pw})
	}
	return padReplicate(x, 0, ph, 0, pw)
}

// padReplicate pads x (N, C, H, W) by top, bottom, left and right rows
// and columns, each a copy of the nearest edge row or column.
func padReplicate(x *engine.Tensor, top, bottom, left, right int) *engine.Tensor {
	for _, side := range [2]struct{ axis, before, after int }{{2, top, bottom}, {3, left, right}} {
		if side.before == 0 && side.after == 0 {
			continue
		}
		// edge repeats row or column at of the current x count times.
		edge := func(at, count int) *engine.Tensor {
			shape := x.Shape()
			shape[side.axis] = count
			return engine.Expand(engine.Slice(x, side.axis, at, at+1), shape...)
		}
		var parts []*engine.Tensor
		if side.before > 0 {
			parts = append(parts, edge(0, side.before))
		}
		parts = append(parts, x)
		if side.after > 0 {
			parts = append(parts, edge(x.Dim(side.axis)-1, side.after))
		}
		x = engine.Concat(side.axis, parts...)
	}
	return x
}

// crop keeps the top-left (h, w) of x (N, C, H, W).
func crop(x *engine.Tensor, h, w int) *engine.Tensor {
	if x.Dim(2) != h {
		x = engine.Slice(x, 2, 0, h)
	}
	if x.Dim(3) != w {
		x = engine.Slice(x, 3, 0, w)
	}
	return x
}

// LoadBackbone loads an official InternImage checkpoint into the encoder,
// as InternImage.LoadOfficial (strict over the backbone's keys, head keys
// dropped). The encoder's names carry the "backbone." prefix only while
// this runs without it; it is not safe to call concurrently with anything
// that reads parameter names.
func (m *Model) LoadBackbone(path string, ema bool) (engine.LoadReport, error) {
	ps := m.Backbone.Parameters()
	for _, p := range ps {
		p.Name = strings.TrimPrefix(p.Name, "backbone.")
	}
	defer func() {
		for _, p := range ps {
			p.Name = nn.Join("backbone", p.Name)
		}
	}()
	return m.Backbone.LoadOfficial(path, ema)
}

// PartCount is the number of parameters of one part of the model.
type PartCount struct {
	Part   string
	Params int
}

// ParameterCounts returns the parameters of the backbone, the decoder, the
// task heads and the restoration path (its head and the degradation-type
// head), in that order.
func (m *Model) ParameterCounts() []PartCount {
	heads := 0
	for _, h := range m.Heads {
		heads += nn.CountParameters(h)
	}
	restore := nn.CountParameters(m.Restore)
	if m.Degrade != nil {
		restore += nn.CountParameters(m.Degrade)
	}
	return []PartCount{
		{"backbone", nn.CountParameters(m.Backbone)},
		{"decoder", nn.CountParameters(m.Decoder)},
		{"heads", heads},
		{"restoration", restore},
	}
}

// Decoder is the dual-stream MaE decoder (ALLNET.md 1.3), one
// decoderScale per scale from 1/32 to 1/4.
type Decoder struct {
	nn.Group
	Scales []*decoderScale
}

// decoderScale is one scale of the decoder, named <prefix>.{unified,
// mae.{k}, skff, tcr}.
type decoderScale struct {
	nn.Group
	Unified *unifiedExpert
	MaE     []*MaEBlock
	SKFF    *SKFF
	TCR     *TCR // nil with no TCR iterations
}

func newDecoder(prefix string, cfg Config, encCh []int, g *engine.Generator) *Decoder {
	d := &Decoder{}
	for s := range Scales {
		pre := nn.Join(prefix, fmt.Sprintf("scales.%d", s))
		c, in := cfg.Widths[s], encCh[s]
		if s > 0 {
			in += 2 * cfg.Widths[s-1]
		}
		sc := &decoderScale{Unified: newUnifiedExpert(nn.Join(pre, "unified"), in, c, cfg.DecoderNorm, g)}
		sc.Add(sc.Unified)
		for k := range cfg.Stages[s] {
			b := NewMaEBlock(nn.Join(pre, fmt.Sprintf("mae.%d", k)), c, cfg.MaE, g)
			sc.MaE = append(sc.MaE, b)
			sc.Add(b)
		}
		sc.SKFF = NewSKFF(nn.Join(pre, "skff"), c, g)
		sc.Add(sc.SKFF)
		if cfg.TCR.Iterations > 0 {
			sc.TCR = NewTCR(nn.Join(pre, "tcr"), c, len(cfg.Tasks), cfg.TCR, g)
			sc.Add(sc.TCR)
		}
		d.Scales = append(d.Scales, sc)
		d.Add(sc)
	}
	return d
}

// Forward runs the decoder on the encoder levels (strides 4, 8, 16, 32,
// NCHW) and returns the 1/4-scale P and J and the MaE load-balancing loss
// averaged over blocks. Per scale: (P~, J~) = U(concat(F, up(P), up(J)))
// (F alone at 1/32; up is bilinear to F's size), P = MaE blocks(P~),
// J = SKFF(P, J~), (P, J) = TCR(P, J).
func (d *Decoder) Forward(feats []*engine.Tensor, train bool, g *engine.Generator) (p, j, aux *engine.Tensor) {
	if len(feats) != len(d.Scales) {
		panic(fmt.Sprintf("allnet: Decoder: %d encoder levels, want %d", len(feats), len(d.Scales)))
	}
	blocks := 0
	for s, sc := range d.Scales {
		f := feats[len(feats)-1-s]
		in := f
		if p != nil {
			fh, fw := f.Dim(2), f.Dim(3)
			in = engine.Concat(1, f, engine.Resize(p, fh, fw), engine.Resize(j, fh, fw))
		}
		var jt *engine.Tensor
		p, jt = sc.Unified.Forward(in)
		for _, b := range sc.MaE {
			var a *engine.Tensor
			p, a = b.Forward(p, train, g)
			if aux == nil {
				aux = a
			} else {
				aux = engine.Add(aux, a)
			}
			blocks++
		}
		j = sc.SKFF.Forward(p, jt)
		if sc.TCR != nil {
			p, j = sc.TCR.Forward(p, j)
		}
	}
	if aux == nil {
		aux = engine.Zeros()
	} else {
		aux = engine.Scale(aux, 1/float64(blocks))
	}
	return p, j, aux
}

// unifiedExpert is the unified expert U ([ours]): a 1x1 conv to C, then
// two branches conv3x3 + norm (Config.DecoderNorm: a layer norm over
// channels or a batch norm) + GELU giving P~ and J~; named <prefix>.{proj, p.conv, p.norm, j.conv, j.norm}.
type unifiedExpert struct {
	nn.Group
	Proj *nn.Conv2d
	P, J *convNormGELU
}

func newUnifiedExpert(prefix string, in, c int, norm string, g *engine.Generator) *unifiedExpert {
	u := &unifiedExpert{
		Proj: nn.NewConv2d(nn.Join(prefix, "proj"), in, c, 1, 1, 0, 1, true, nn.InitDefault, g),
		P:    newConvNormGELU(nn.Join(prefix, "p"), c, c, 1, norm, g),
		J:    newConvNormGELU(nn.Join(prefix, "j"), c, c, 1, norm, g),
	}
	u.Add(u.Proj, u.P, u.J)
	return u
}

// Forward maps x (N, in, H, W) to (P~, J~), each (N, C, H, W).
func (u *unifiedExpert) Forward(x *engine.Tensor) (p, j *engine.Tensor) {
	h := u.Proj.Forward(x)
	return u.P.Forward(h), u.J.Forward(h)
}
