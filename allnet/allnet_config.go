package allnet

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Task names: the keys of Outputs.Tasks, Config.Tasks and Config.LossWeights.
const (
	TaskSemseg  = "semseg"
	TaskDepth   = "depth"
	TaskNormals = "normals"
	TaskEdge    = "edge"
	TaskParts   = "parts"
	TaskSal     = "sal"
	// TaskRestore is the restoration output's key in LossWeights and in
	// the loss terms; it is not a prediction task.
	TaskRestore = "restore"
	// TaskAux is the MaE load-balancing loss's key in the loss terms (its
	// weight is Config.AuxWeight).
	TaskAux = "aux"
	// TaskDegrade is the degradation-type head's cross-entropy's key in the
	// loss terms (Config.DegradeHead).
	TaskDegrade = "degrade"
)

// Datasets ALLNet is trained on; each fixes the prediction tasks.
const (
	DatasetNYUD   = "nyud"
	DatasetPASCAL = "pascal"
)

// PadNone is the Config.Pad value that leaves the input unpadded.
const PadNone = "none"

// PartsClasses is the number of PASCAL human-part labels (background + 6).
const PartsClasses = 7

// Scales is the number of decoder scales (1/32, 1/16, 1/8, 1/4).
const Scales = 4

// Config sizes an ALLNet model (ALLNET.md section 1). Fields marked [ours]
// are our reading of the paper, kept configurable.
type Config struct {
	// Encoder is the InternImage backbone.
	Encoder InternImageConfig
	// Widths are the decoder channels per scale from 1/32 to 1/4
	// ([ours]: mirroring the encoder, 640/320/160/80 for InternImage-S).
	Widths []int
	// Stages are the MaE blocks per scale from 1/32 to 1/4 (the paper's
	// [2,2,4,4]).
	Stages []int
	// MaE configures every MaE block.
	MaE MaEConfig
	// TCR configures every TCR module (Iterations rounds per scale).
	TCR TCRConfig

	// Dataset is DatasetNYUD or DatasetPASCAL.
	Dataset string
	// Tasks are the prediction heads, in output order; restoration is
	// always present besides them.
	Tasks []string
	// SemsegClasses: NYUD 40 (or 13), PASCAL-Context 21.
	SemsegClasses int
	// SemsegClassWeights weigh the semseg cross-entropy per class
	// ([ours]; nil: unweighted, as MTL): one weight >= 0 per class, the
	// loss being the weighted mean over the labelled pixels (PyTorch's
	// weight= argument). See ClassBalanceWeights.
	SemsegClassWeights []float64 `json:",omitempty"`

	// HeadNorm is the norm of each task head's conv3x3 + norm + GELU +
	// conv1x1 ([ours]): "ln" (layer norm over channels; no batch
	// statistics, which are poor at batch 4) or "bn" (batch norm as the
	// MTL codebase's heads).
	HeadNorm string
	// DecoderNorm is the norm of the decoder's unified experts ([ours]):
	// "ln" (default; "" in configurations written before it existed) or
	// "bn", which trains faster from scratch at batch 8 (allnet-tiny).
	DecoderNorm string
	// DepthActivation keeps depth positive ([ours]): "softplus",
	// "relu" or "none" (MTL's raw output).
	DepthActivation string
	// DepthInit is the depth (metres) the depth head predicts at
	// initialisation ([ours]): its output bias starts at the value the
	// activation maps to DepthInit (softplus: log(exp(d) - 1)), so that
	// training does not spend its first steps climbing from ~0.7 m to
	// room depths. 0 keeps the layer's default bias initialisation.
	DepthInit float64
	// RestoreWidths are the channels of the restoration path's two
	// conv3x3 + GELU + x2 upsampling stages from the 1/4-scale P ([ours]).
	RestoreWidths [2]int
	// RestoreRefine is the width of a full-resolution stage at the end of
	// the restoration path ([ours]): the upsampled features concatenated
	// with the degraded input, conv3x3 + GELU to RestoreRefine channels,
	// then the conv3x3 to RGB. Without it (0) the residual comes from 1/4
	// scale alone and cannot follow pixel-level degradations (noise, rain
	// streaks, blur).
	RestoreRefine int
	// RestoreInput is the width of the restoration path's own features of
	// the degraded image ([ours]; 0 = none): conv3x3 + norm (HeadNorm) +
	// GELU at full resolution, again with stride 2, joined to the path at
	// 1/2 and at full resolution, so that the residual can follow
	// pixel-level structure (blur, thin rain streaks) that the 1/4-scale P
	// has lost.
	RestoreInput int
	// DegradeHead adds the degradation-type head ([ours], see
	// degradeHead): it classifies each image's degradation and its class
	// probabilities join the restoration path's full-resolution refinement
	// (which needs RestoreRefine > 0). DegradeHeadWeight is its
	// cross-entropy's weight in the total loss (term TaskDegrade).
	DegradeHead       bool    `json:",omitempty"`
	DegradeHeadWeight float64 `json:",omitempty"`
	// Pad is how the input is padded to a multiple of 32 at the bottom
	// and right ([ours]): "zero" (0 in ImageNet-normalised space, i.e.
	// the mean colour), "replicate" (the last row and column repeated) or
	// PadNone (not padded: the network runs at the input's own size, which
	// at 48x64 is 25 % fewer pixels than the padded 64x64).
	Pad string

	// LossWeights weigh each task's loss and the restoration loss
	// (TaskRestore) in the total (ALLNET.md section 2).
	LossWeights map[string]float64
	// AuxWeight weighs the MaE load-balancing loss, averaged over blocks
	// (0.01, [ours, as MoCE]).
	AuxWeight float64
	// EdgePosWeight is the edge loss's fixed positive weight (0.95).
	EdgePosWeight float64
	// CharbonnierEps is the restoration loss's eps ([ours]: 1e-3).
	CharbonnierEps float64
	// RestoreLoss is the restoration loss ([ours]): RestoreLossCharbonnier
	// (the presets, and "" in configurations saved before the field) or
	// RestoreLossPSNR.
	RestoreLoss string `json:",omitempty"`
}

// The restoration losses (Config.RestoreLoss).
const (
	// RestoreLossCharbonnier is engine.Charbonnier over all pixels: every
	// pixel's error pulls alike, so the loss favours each pixel's median.
	RestoreLossCharbonnier = "charbonnier"
	// RestoreLossPSNR is engine.PSNRLoss, minus the batch's mean PSNR: each
	// image's squared error relative to its own, so mildly degraded images
	// pull as hard as badly degraded ones, and the optimum is each pixel's
	// mean, which is what PSNR scores.
	RestoreLossPSNR = "psnr"
)

// RestoreLosses lists the values of Config.RestoreLoss.
func RestoreLosses() []string { return []string{RestoreLossCharbonnier, RestoreLossPSNR} }

// datasetTasks are the prediction tasks and loss weights of each dataset
// (ALLNET.md section 2, from MTL), plus restoration 1 [ours].
var datasetTasks = map[string]struct {
	tasks   []string
	classes int
	weights map[string]float64
}{
	DatasetNYUD: {
		tasks:   []string{TaskSemseg, TaskDepth, TaskNormals, TaskEdge},
		classes: 40,
		weights: map[string]float64{TaskSemseg: 1, TaskDepth: 1, TaskNormals: 10, TaskEdge: 50, TaskRestore: 1},
	},
	DatasetPASCAL: {
		tasks:   []string{TaskSemseg, TaskParts, TaskSal, TaskNormals, TaskEdge},
		classes: 21,
		weights: map[string]float64{TaskSemseg: 1, TaskParts: 2, TaskSal: 5, TaskNormals: 10, TaskEdge: 50, TaskRestore: 1},
	},
}

// Preset returns a named configuration (allnet-s: the paper's setting on
// InternImage-S; allnet-tiny: the same structure with small widths and
// depths, one TCR round, batch norms in the decoder and heads, unpadded
// input and the restoration path's own input features, for CPUs and
// tests) for a dataset (nyud or pascal).
func Preset(name, dataset string) (Config, error) {
	var c Config
	switch name {
	case "allnet-s":
		enc, err := InternImagePreset("internimage-s")
		if err != nil {
			return Config{}, err
		}
		c = Config{Encoder: enc, Widths: []int{640, 320, 160, 80}, Stages: []int{2, 2, 4, 4},
			MaE: DefaultMaEConfig(), TCR: DefaultTCRConfig(), RestoreWidths: [2]int{40, 20}, RestoreRefine: 32}
	case "allnet-tiny":
		enc := InternImageConfig{Channels: 16, Depths: []int{1, 1, 2, 1}, Groups: []int{1, 2, 4, 8},
			MLPRatio: 4, LayerScale: 1e-5, PostNorm: true, OffsetScale: 1}
		c = Config{Encoder: enc, Widths: []int{128, 64, 32, 16}, Stages: []int{1, 1, 1, 1},
			MaE: DefaultMaEConfig(), TCR: DefaultTCRConfig(), RestoreWidths: [2]int{8, 8}, RestoreRefine: 16}
		c.TCR.Iterations = 1
	default:
		return Config{}, fmt.Errorf("unknown ALLNet preset %q (want one of %s)", name, strings.Join(PresetNames(), ", "))
	}
	d, ok := datasetTasks[dataset]
	if !ok {
		return Config{}, fmt.Errorf("unknown dataset %q (want %s or %s)", dataset, DatasetNYUD, DatasetPASCAL)
	}
	c.Dataset = dataset
	c.Tasks = slices.Clone(d.tasks)
	c.SemsegClasses = d.classes
	c.LossWeights = map[string]float64{}
	for k, v := range d.weights {
		c.LossWeights[k] = v
	}
	c.HeadNorm, c.DecoderNorm, c.DepthActivation, c.Pad = NormLayer, NormLayer, "softplus", "zero"
	if name == "allnet-tiny" {
		// Trained from scratch at small batches on a CPU: batch norms in
		// the decoder and heads learn several times faster than layer
		// norms there (measured on the demo's synthetic scenes).
		c.HeadNorm, c.DecoderNorm = NormBatch, NormBatch
		// Small CPU images are rarely multiples of 32: padding 48x64 to
		// 64x64 costs a third more work for nothing.
		c.Pad = PadNone
		// The restoration path's own 16-channel features of the degraded
		// image (measured in the demo at 1,300 steps: rain +9.7 dB over the
		// input against +2.8 without, haze +8.2 against +7.5, semseg and
		// depth unchanged; about 16 % of the step's time).
		c.RestoreInput = 16
	}
	c.DepthInit = 3 // about NYUD-v2's mean depth
	c.AuxWeight, c.EdgePosWeight, c.CharbonnierEps = 0.01, 0.95, 1e-3
	c.RestoreLoss = RestoreLossCharbonnier
	return c, nil
}

// PresetNames lists the ALLNet presets.
func PresetNames() []string { return []string{"allnet-s", "allnet-tiny"} }

// OutChannels returns the channels of a task's output: semseg K logits,
// parts 7 logits, normals 3, depth, edge and saliency 1 (edge and saliency
// are logits).
func (c Config) OutChannels(task string) int {
	switch task {
	case TaskSemseg:
		return c.SemsegClasses
	case TaskParts:
		return PartsClasses
	case TaskNormals:
		return 3
	case TaskDepth, TaskEdge, TaskSal:
		return 1
	}
	return 0
}

// Validate reports a configuration that cannot be built.
func (c Config) Validate() error {
	if err := c.Encoder.Validate(); err != nil {
		return err
	}
	if len(c.Encoder.Depths) != Scales {
		return fmt.Errorf("allnet: encoder has %d levels, want %d", len(c.Encoder.Depths), Scales)
	}
	if len(c.Widths) != Scales || len(c.Stages) != Scales {
		return fmt.Errorf("allnet: %d widths and %d stages, want %d each (1/32 to 1/4)", len(c.Widths), len(c.Stages), Scales)
	}
	for i := range Scales {
		if c.Widths[i] <= 0 || c.Stages[i] < 0 {
			return fmt.Errorf("allnet: scale %d width %d, stages %d (want width > 0, stages >= 0)", i, c.Widths[i], c.Stages[i])
		}
	}
	if c.TCR.Iterations < 0 {
		return fmt.Errorf("allnet: TCR iterations %d, want >= 0", c.TCR.Iterations)
	}
	if c.RestoreWidths[0] <= 0 || c.RestoreWidths[1] <= 0 {
		return fmt.Errorf("allnet: restoration widths %v, want positive", c.RestoreWidths)
	}
	if c.DegradeHead && c.RestoreRefine <= 0 {
		return fmt.Errorf("allnet: the degradation-type head conditions the restoration's refinement, which has width %d: want > 0", c.RestoreRefine)
	}
	if !(c.DegradeHeadWeight >= 0) || math.IsInf(c.DegradeHeadWeight, 0) {
		return fmt.Errorf("allnet: degradation-type head weight %g, want a finite value >= 0", c.DegradeHeadWeight)
	}
	if c.RestoreInput < 0 {
		return fmt.Errorf("allnet: restoration input width %d, want >= 0 (0 = none)", c.RestoreInput)
	}
	if c.RestoreRefine < 0 {
		return fmt.Errorf("allnet: restoration refine width %d, want >= 0 (0 = none)", c.RestoreRefine)
	}
	if len(c.Tasks) == 0 {
		return fmt.Errorf("allnet: no prediction tasks")
	}
	seen := map[string]bool{}
	for _, t := range c.Tasks {
		if c.OutChannels(t) <= 0 {
			return fmt.Errorf("allnet: task %q unknown (or semseg with %d classes)", t, c.SemsegClasses)
		}
		if seen[t] {
			return fmt.Errorf("allnet: task %q listed twice", t)
		}
		seen[t] = true
	}
	if err := c.validClassWeights(seen[TaskSemseg]); err != nil {
		return err
	}
	for k, w := range c.LossWeights {
		if k != TaskRestore && !seen[k] {
			return fmt.Errorf("allnet: loss weight for %q, which is not a task", k)
		}
		if w < 0 {
			return fmt.Errorf("allnet: loss weight %s = %g, want >= 0", k, w)
		}
	}
	switch {
	case c.HeadNorm != NormLayer && c.HeadNorm != NormBatch:
		return fmt.Errorf("allnet: head norm %q, want ln or bn", c.HeadNorm)
	case !validNorm(c.DecoderNorm):
		return fmt.Errorf("allnet: decoder norm %q, want ln or bn", c.DecoderNorm)
	case c.DepthActivation != "softplus" && c.DepthActivation != "relu" && c.DepthActivation != "none":
		return fmt.Errorf("allnet: depth activation %q, want softplus, relu or none", c.DepthActivation)
	case !(c.DepthInit >= 0) || math.IsInf(c.DepthInit, 0):
		return fmt.Errorf("allnet: depth init %g, want a finite depth >= 0 (0 = default bias)", c.DepthInit)
	case c.Pad != "zero" && c.Pad != "replicate" && c.Pad != PadNone:
		return fmt.Errorf("allnet: pad %q, want zero, replicate or none", c.Pad)
	case c.AuxWeight < 0:
		return fmt.Errorf("allnet: aux weight %g, want >= 0", c.AuxWeight)
	case c.EdgePosWeight < 0 || c.EdgePosWeight > 1:
		return fmt.Errorf("allnet: edge positive weight %g outside [0, 1]", c.EdgePosWeight)
	case !(c.CharbonnierEps > 0):
		return fmt.Errorf("allnet: Charbonnier eps %g, want > 0", c.CharbonnierEps)
	case c.RestoreLoss != "" && !slices.Contains(RestoreLosses(), c.RestoreLoss):
		return fmt.Errorf("allnet: restoration loss %q, want %s", c.RestoreLoss, strings.Join(RestoreLosses(), " or "))
	}
	return nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// validClassWeights checks SemsegClassWeights: none, or one finite weight
// >= 0 per semseg class with a positive sum, and only with a semseg task.
func (c Config) validClassWeights(semseg bool) error {
	w := c.SemsegClassWeights
	if w == nil {
		return nil
	}
	if !semseg {
		return fmt.Errorf("allnet: semseg class weights without a semseg task")
	}
	if len(w) != c.SemsegClasses {
		return fmt.Errorf("allnet: %d semseg class weights for %d classes", len(w), c.SemsegClasses)
	}
	var sum float64
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("allnet: semseg class weight %d is %g, want a finite weight >= 0", i, v)
		}
		sum += v
	}
	if sum <= 0 {
		return fmt.Errorf("allnet: semseg class weights are all 0")
	}
	return nil
}
