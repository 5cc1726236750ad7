package allnet

import (
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"allnet/data/degrade"
	"allnet/data/transform"
	"allnet/engine"
	"allnet/engine/backend"
)

// TrainConfig is everything that defines a training run (ALLNET.md section
// 2); it is written to RUNDIR/config.yaml fully resolved and stored in every
// checkpoint, so a run can be resumed exactly.
type TrainConfig struct {
	Model   string `yaml:"model" json:"model"`     // preset: allnet-tiny or allnet-s
	Dataset string `yaml:"dataset" json:"dataset"` // nyud, pascal or synthetic
	Root    string `yaml:"root" json:"root"`       // dataset folder ("" for in-memory synthetic)
	// Like is the synthetic variant (nyud or pascal; "" = nyud); it decides
	// the model's tasks and loss weights for --dataset synthetic.
	Like string `yaml:"like,omitempty" json:"like,omitempty"`
	// SynthSeed, SynthSize ([H, W], zero = 288x384), SynthCount and
	// SynthValCount (0 = the real split sizes) describe in-memory synthetic
	// data (no Root).
	SynthSeed     uint64 `yaml:"synth_seed,omitempty" json:"synth_seed,omitempty"`
	SynthSize     [2]int `yaml:"synth_size,flow,omitempty" json:"synth_size,omitempty"`
	SynthCount    int    `yaml:"synth_count,omitempty" json:"synth_count,omitempty"`
	SynthValCount int    `yaml:"synth_val_count,omitempty" json:"synth_val_count,omitempty"`
	// Tasks is the subset of the dataset's tasks to train (empty = all):
	// the model gets only these heads and losses (single-task baselines).
	// Restoration is always trained.
	Tasks   []string `yaml:"tasks,flow" json:"tasks"`
	Classes int      `yaml:"classes,omitempty" json:"classes,omitempty"` // NYUD semantics 13 or 40 (0 = 13)
	// LossWeights override the preset's loss weights per task (keys: the
	// trained tasks and "restore"); unnamed tasks keep the paper's weights.
	LossWeights map[string]float64 `yaml:"loss_weights,flow,omitempty" json:"loss_weights,omitempty"`
	// SemsegClassBalance weighs the semseg loss per class ([ours]): with a
	// power P > 0 the weights are ClassBalanceWeights(counts, P) of the
	// training split's pixel counts, counted once when the run starts and
	// kept in the model configuration (so a resumed run uses the same); 0
	// is MTL's unweighted cross-entropy.
	SemsegClassBalance float64 `yaml:"semseg_class_balance,omitempty" json:"semseg_class_balance,omitempty"`
	// RestoreLoss is the restoration loss, Config.RestoreLoss ("" = the
	// preset's, charbonnier).
	RestoreLoss string `yaml:"restore_loss,omitempty" json:"restore_loss,omitempty"`
	// DegradeHead is the weight of the degradation-type head's
	// cross-entropy (Config.DegradeHead; 0 = no head).
	DegradeHead float64 `yaml:"degrade_head,omitempty" json:"degrade_head,omitempty"`

	Batch       int     `yaml:"batch" json:"batch"`               // images per step (4)
	Iters       int     `yaml:"iters" json:"iters"`               // schedule length in steps (40000)
	StopAt      int     `yaml:"stop_at" json:"stop_at"`           // stop cleanly after this step (0 = Iters)
	LR          float64 `yaml:"lr" json:"lr"`                     // peak AdamW learning rate (6e-5)
	WeightDecay float64 `yaml:"weight_decay" json:"weight_decay"` // AdamW decoupled weight decay (0.05)
	// Warmup is the linear warm-up in steps; -1 (the default) resolves to
	// min(1500, Iters/10).
	Warmup    int     `yaml:"warmup" json:"warmup"`
	PolyPower float64 `yaml:"poly_power" json:"poly_power"` // 0.9
	ClipNorm  float64 `yaml:"clip_norm" json:"clip_norm"`   // gradient-norm clipping (10; 0 = off)
	Seed      uint64  `yaml:"seed" json:"seed"`             // initialisation, data order, augmentation, noise
	Workers   int     `yaml:"workers" json:"workers"`       // loader goroutines (0 = GOMAXPROCS)
	// Replicas splits each batch over that many model copies trained side
	// by side on the CPU (data parallelism in one process, see
	// train_replicas.go; 0 or 1 = one model). It changes the numbers (each
	// copy's batch norms see its part of the batch), so it defines the run.
	Replicas int    `yaml:"replicas,omitempty" json:"replicas,omitempty"`
	Crop     [2]int `yaml:"crop,flow" json:"crop"` // training crop [H, W] (0 = the working size; pascal 512x512)
	// ScaleRange is the training augmentation's random rescaling [min,
	// max] before the crop (zero = MTL's [0.5, 2]); [1, 1] turns it off.
	ScaleRange [2]float64 `yaml:"scale_range,flow,omitempty" json:"scale_range,omitempty"`
	// DegradeScale multiplies the spatial degradation ranges (blur length,
	// rain streak length and width, set in pixels for the 288x384 working
	// size) for training and for the degraded validation split, see
	// degrade.Options.Scaled; 0 = 1. Smaller images want their size
	// ratio (the demo's 48x64: 1/6).
	DegradeScale float64 `yaml:"degrade_scale,omitempty" json:"degrade_scale,omitempty"`
	// DegradeWeights are the relative frequencies of the degradation
	// types in training, by name (noise, haze, rain, blur; a type not
	// named keeps weight 1); empty draws them uniformly, as the paper does
	// ([ours], degrade.Options.Weights). The degraded validation split
	// keeps its fixed types.
	DegradeWeights map[string]float64 `yaml:"degrade_weights,omitempty" json:"degrade_weights,omitempty"`
	// BlurOnDevice is where training images get their motion blur:
	// "auto" (or "": on the training device unless it is the CPU), "on"
	// (on the device through engine.PSFConv, see DeviceBlur) or "off" (in
	// the loader's goroutines on the host). The degraded validation split
	// is always made on the host.
	BlurOnDevice string `yaml:"blur_on_device,omitempty" json:"blur_on_device,omitempty"`

	EvalEvery  int    `yaml:"eval_every" json:"eval_every"`   // evaluate every N steps (0 = never)
	EvalLimit  int    `yaml:"eval_limit" json:"eval_limit"`   // validation images per evaluation (0 = all)
	MainMetric string `yaml:"main_metric" json:"main_metric"` // task whose main metric picks best.safetensors ("" = semseg, else restored)
	CkptEvery  int    `yaml:"ckpt_every" json:"ckpt_every"`   // write ckpt/last.safetensors every N steps (0 = only at the end)
	LogEvery   int    `yaml:"log_every" json:"log_every"`     // log.jsonl line every N steps (>= 1)

	Pretrained string `yaml:"pretrained,omitempty" json:"pretrained,omitempty"` // official InternImage .pth for the encoder
	Device     string `yaml:"device" json:"device"`                             // cpu, cuda or cuda:N
	Out        string `yaml:"out" json:"out"`                                   // the run folder
}

// DefaultTrainConfig returns the paper's settings (ALLNET.md section 2) for
// allnet-s; Dataset and Out must still be set.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{Model: "allnet-s", Batch: 4, Iters: 40000, LR: 6e-5, WeightDecay: 0.05, Warmup: -1,
		PolyPower: 0.9, ClipNorm: 10, EvalEvery: 4000, EvalLimit: 0, CkptEvery: 1000, LogEvery: 20, Device: "cpu"}
}

// ReadTrainConfig reads a YAML file over base: keys present in the file
// replace base's values; an unknown key is an error naming it and the file.
func ReadTrainConfig(path string, base TrainConfig) (TrainConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return base, err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&base); err != nil && err.Error() != "EOF" {
		return base, fmt.Errorf("%s: %v", path, err)
	}
	return base, nil
}

// WriteYAML writes c as YAML to path.
func (c TrainConfig) WriteYAML(path string) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// ModelDataset returns the dataset that fixes the model's tasks: Dataset,
// or for synthetic data the variant it imitates.
func (c TrainConfig) ModelDataset() string {
	if c.Dataset == "synthetic" {
		if c.Like == "" {
			return DatasetNYUD
		}
		return c.Like
	}
	return c.Dataset
}

// Resolve fills the defaults that depend on other fields (StopAt, Warmup,
// Tasks, Crop for pascal, MainMetric) and validates the result.
func (c TrainConfig) Resolve() (TrainConfig, error) {
	if c.StopAt == 0 {
		c.StopAt = c.Iters
	}
	if c.Warmup < 0 {
		c.Warmup = min(1500, c.Iters/10)
	}
	if c.Device == "" {
		c.Device = "cpu"
	}
	if d, ok := datasetTasks[c.ModelDataset()]; ok {
		if len(c.Tasks) == 0 {
			c.Tasks = slices.Clone(d.tasks)
		}
		if c.MainMetric == "" {
			c.MainMetric = "restored"
			if slices.Contains(c.Tasks, TaskSemseg) {
				c.MainMetric = TaskSemseg
			}
		}
	}
	if c.ModelDataset() == DatasetPASCAL && c.Crop == [2]int{} && c.Dataset == DatasetPASCAL {
		c.Crop = [2]int{512, 512}
	}
	return c, c.Validate()
}

// Validate returns an error naming the first field out of range (by its
// YAML key).
func (c TrainConfig) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("train config: %s is %v, want %s", field, v, want)
	}
	if !slices.Contains(PresetNames(), c.Model) {
		return bad("model", fmt.Sprintf("%q", c.Model), strings.Join(PresetNames(), " or "))
	}
	switch c.Dataset {
	case "nyud", "pascal":
		if c.Root == "" {
			return bad("root", `""`, "the folder holding the "+c.Dataset+" dataset")
		}
	case "synthetic":
		if c.Like != "" && c.Like != DatasetNYUD && c.Like != DatasetPASCAL {
			return bad("like", fmt.Sprintf("%q", c.Like), "nyud or pascal")
		}
	default:
		return bad("dataset", fmt.Sprintf("%q", c.Dataset), "nyud, pascal or synthetic")
	}
	d := datasetTasks[c.ModelDataset()]
	seen := map[string]bool{}
	for _, t := range c.Tasks {
		if !slices.Contains(d.tasks, t) || seen[t] {
			return bad("tasks", strings.Join(c.Tasks, ","), "distinct tasks among "+strings.Join(d.tasks, ","))
		}
		seen[t] = true
	}
	if c.Classes != 0 && c.Classes != 13 && c.Classes != 40 {
		return bad("classes", c.Classes, "13 or 40 (nyud) or 0")
	}
	finitePos := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
	switch {
	case c.Batch < 1:
		return bad("batch", c.Batch, ">= 1")
	case c.Iters < 1:
		return bad("iters", c.Iters, ">= 1")
	case c.StopAt < 0 || c.StopAt > c.Iters:
		return bad("stop_at", c.StopAt, fmt.Sprintf("in [1, iters=%d] (0 = iters)", c.Iters))
	case !finitePos(c.LR):
		return bad("lr", c.LR, "a finite value > 0")
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return bad("weight_decay", c.WeightDecay, "a finite value >= 0")
	case c.Warmup < -1 || c.Warmup >= c.Iters:
		return bad("warmup", c.Warmup, fmt.Sprintf("in [0, iters=%d) (-1 = auto)", c.Iters))
	case !finitePos(c.PolyPower):
		return bad("poly_power", c.PolyPower, "a finite value > 0")
	case !(c.ClipNorm >= 0) || math.IsInf(c.ClipNorm, 0):
		return bad("clip_norm", c.ClipNorm, "a finite value >= 0 (0 = off)")
	case c.Replicas < 0 || c.Replicas > c.Batch:
		return bad("replicas", c.Replicas, fmt.Sprintf("in [0, batch=%d] (0 or 1 = one model)", c.Batch))
	case c.Workers < 0:
		return bad("workers", c.Workers, ">= 0 (0 = GOMAXPROCS)")
	case c.Crop[0] < 0 || c.Crop[1] < 0 || (c.Crop[0] == 0) != (c.Crop[1] == 0):
		return bad("crop", c.Crop, "[H, W] both positive, or both 0")
	case c.ScaleRange != [2]float64{} && !(c.ScaleRange[0] > 0 && c.ScaleRange[1] >= c.ScaleRange[0] && c.ScaleRange[1] <= 16):
		return bad("scale_range", c.ScaleRange, "[min, max] with 0 < min <= max <= 16 (omit for [0.5, 2])")
	case c.DegradeScale != 0 && !ValidDegradeScale(c.DegradeScale):
		return bad("degrade_scale", c.DegradeScale, "in (0, 16] (0 = 1)")
	case !c.validDegradeWeights():
		return bad("degrade_weights", c.DegradeWeights, "weights >= 0 of noise, haze, rain or blur, not all 0")
	case !slices.Contains([]string{"", BlurAuto, BlurOn, BlurOff}, c.BlurOnDevice):
		return bad("blur_on_device", c.BlurOnDevice, "auto, on or off")
	case !(c.SemsegClassBalance >= 0 && c.SemsegClassBalance <= MaxClassBalance):
		return bad("semseg_class_balance", c.SemsegClassBalance, fmt.Sprintf("a power in [0, %d] (0 = off)", MaxClassBalance))
	case c.SemsegClassBalance > 0 && len(c.Tasks) > 0 && !seen[TaskSemseg]:
		return bad("semseg_class_balance", c.SemsegClassBalance, "0 when semseg is not trained")
	case c.RestoreLoss != "" && !slices.Contains(RestoreLosses(), c.RestoreLoss):
		return bad("restore_loss", c.RestoreLoss, strings.Join(RestoreLosses(), " or "))
	case !(c.DegradeHead >= 0) || math.IsInf(c.DegradeHead, 0):
		return bad("degrade_head", c.DegradeHead, "a finite weight >= 0 (0 = no head)")
	case c.EvalEvery < 0:
		return bad("eval_every", c.EvalEvery, ">= 0")
	case c.EvalLimit < 0:
		return bad("eval_limit", c.EvalLimit, ">= 0")
	case c.CkptEvery < 0:
		return bad("ckpt_every", c.CkptEvery, ">= 0")
	case c.LogEvery < 1:
		return bad("log_every", c.LogEvery, ">= 1")
	case c.SynthCount < 0 || c.SynthValCount < 0:
		return bad("synth_count", c.SynthCount, ">= 0")
	case c.Out == "":
		return bad("out", `""`, "the run folder")
	}
	if c.MainMetric != "" && c.MainMetric != "restored" && !seen[c.MainMetric] && len(c.Tasks) > 0 {
		return bad("main_metric", fmt.Sprintf("%q", c.MainMetric), "restored or a trained task ("+strings.Join(c.Tasks, ",")+")")
	}
	return nil
}

// resumeFixed reports the first field (YAML key) in which a differs from b
// among those that define the run (everything but stop_at, workers, the
// eval/ckpt/log periods, device and out), or "".
func resumeFixed(a, b TrainConfig) string {
	for _, c := range []*TrainConfig{&a, &b} {
		c.StopAt, c.Workers, c.EvalEvery, c.EvalLimit, c.CkptEvery, c.LogEvery, c.Device, c.Out = 0, 0, 0, 0, 0, 0, "", ""
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			tag := va.Type().Field(i).Tag.Get("yaml")
			return strings.Split(tag, ",")[0]
		}
	}
	return ""
}

// TrainConfig.BlurOnDevice values.
const (
	BlurAuto = "auto"
	BlurOn   = "on"
	BlurOff  = "off"
)

// blurOnDevice reports whether training on dev blurs images there.
func (c TrainConfig) blurOnDevice(dev backend.Backend) bool {
	switch c.BlurOnDevice {
	case BlurOn:
		return true
	case BlurOff:
		return false
	}
	return dev != engine.CPU()
}

// ValidDegradeScale reports whether f is a usable degrade_scale factor,
// in (0, 16].
func ValidDegradeScale(f float64) bool { return f > 0 && f <= 16 }

// DegradeOptions returns the degradation ranges of the run: the defaults,
// scaled by DegradeScale when it is set.
func (c TrainConfig) DegradeOptions() degrade.Options {
	if c.DegradeScale == 0 || c.DegradeScale == 1 {
		return degrade.Options{} // the loader's defaults
	}
	return degrade.DefaultOptions().Scaled(c.DegradeScale)
}

// trainDegradeOptions returns the degradations training draws from:
// DegradeOptions with the types in the proportions of DegradeWeights.
func (c TrainConfig) trainDegradeOptions() degrade.Options {
	o := c.DegradeOptions()
	if len(c.DegradeWeights) == 0 {
		return o
	}
	if o.Types == nil {
		o = degrade.DefaultOptions()
	}
	o.Weights = make([]float64, len(o.Types))
	for i, t := range o.Types {
		o.Weights[i] = 1
		if w, ok := c.DegradeWeights[string(t)]; ok {
			o.Weights[i] = w
		}
	}
	return o
}

// validDegradeWeights reports whether DegradeWeights names only the
// degradation types and gives weights that degrade.Options accepts.
func (c TrainConfig) validDegradeWeights() bool {
	if len(c.DegradeWeights) == 0 {
		return true
	}
	for name := range c.DegradeWeights {
		if !slices.Contains(degrade.AllTypes, degrade.Type(name)) {
			return false
		}
	}
	return c.trainDegradeOptions().Validate() == nil
}

// augment returns the training augmentation: MTL's defaults with
// ScaleRange when set.
func (c TrainConfig) augment() transform.Options {
	o := transform.DefaultOptions()
	if c.ScaleRange != [2]float64{} {
		o.ScaleMin, o.ScaleMax = c.ScaleRange[0], c.ScaleRange[1]
	}
	return o
}
