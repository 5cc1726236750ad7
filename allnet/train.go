package allnet

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"allnet/data"
	"allnet/data/loader"
	"allnet/data/nyud"
	"allnet/data/pascal"
	"allnet/data/synth"
	"allnet/engine"
	"allnet/engine/backend"
	"allnet/engine/optim"
	"allnet/metrics"
)

// Run folder layout (CONVENTIONS.md "Run folder").
const (
	RunConfigFile = "config.yaml"
	RunLogFile    = "log.jsonl"
	RunEvalFile   = "eval.jsonl"
	RunLastCkpt   = "ckpt/last.safetensors"
	RunBestCkpt   = "ckpt/best.safetensors"
)

// TrainHooks let a caller watch and steer Train; every field is optional.
type TrainHooks struct {
	// Context stops training between steps when done: a checkpoint of the
	// last finished step is written and Train returns with Interrupted set.
	Context context.Context
	// Resume continues the run in Out from ckpt/last.safetensors instead of
	// starting one; the config must equal the stored one except stop_at,
	// workers, eval/ckpt/log periods and device.
	Resume bool
	// Progress is called after every step (after its evaluation and
	// checkpoint).
	Progress func(TrainProgress)
	// Batch may modify each batch before it is used (tests inject faults).
	Batch func(step int, b *loader.Batch)
	// TrainData and ValData replace the datasets opened from the config.
	TrainData, ValData data.Dataset
	// Eval replaces Evaluate for the periodic evaluation.
	Eval func(m *Model, val data.Dataset, opts EvalOptions) (*metrics.Report, error)
	// Baseline, when not nil, is a reference evaluation (eval --json, for
	// example of a single-task run): each evaluation records Delta_MTL
	// against it and ckpt/best.safetensors tracks the best Delta_MTL
	// instead of the main metric. BaselineName names it in report.md.
	Baseline     *metrics.Report
	BaselineName string
}

// TrainProgress describes the step just finished.
type TrainProgress struct {
	Step, Iters, StopAt int
	Loss, LR            float64
	ImagesPerSec        float64
	ETA                 time.Duration // to StopAt at the current speed
}

// TrainResult summarises a finished (or interrupted) Train call.
type TrainResult struct {
	RunDir      string
	FirstStep   int     // first step executed by this call
	Step        int     // last step completed (and checkpointed)
	Iters       int     // schedule length
	Loss        float64 // total loss of the last step
	Interrupted bool    // the context was cancelled
	BestMetric  string  // task whose main metric picks best.safetensors, or "delta_mtl"
	BestValue   float64 // NaN when never evaluated
	BestStep    int
	Seconds     float64
}

// OpenTrainData opens the training and validation splits cfg names.
func OpenTrainData(cfg TrainConfig) (train, val data.Dataset, err error) {
	open := func(split string) (data.Dataset, error) {
		switch cfg.Dataset {
		case "nyud":
			return nyud.Open(cfg.Root, split, nyud.Options{Classes: cfg.Classes})
		case "pascal":
			return pascal.Open(cfg.Root, split, pascal.Options{})
		}
		if cfg.Root != "" {
			return nil, fmt.Errorf("train: synthetic data from a folder (root %s): open it with the CLI's dataset flags and pass it in TrainHooks", cfg.Root)
		}
		n := cfg.SynthCount
		if split == "val" {
			n = cfg.SynthValCount
		}
		like := cfg.ModelDataset()
		if n == 0 {
			n = synth.DefaultCount(like, split)
		}
		return synth.Open(synth.Config{Like: like, H: cfg.SynthSize[0], W: cfg.SynthSize[1]}, cfg.SynthSeed, split, n)
	}
	if train, err = open("train"); err != nil {
		return nil, nil, err
	}
	if val, err = open("val"); err != nil {
		return nil, nil, err
	}
	return train, val, nil
}

// ModelConfig returns the model configuration cfg trains: the preset for
// the dataset, only cfg.Tasks' heads and losses, the dataset's class count.
func ModelConfig(cfg TrainConfig, classes int) (Config, error) {
	mc, err := Preset(cfg.Model, cfg.ModelDataset())
	if err != nil {
		return Config{}, err
	}
	if len(cfg.Tasks) > 0 {
		mc.Tasks = slices.Clone(cfg.Tasks)
		for k := range mc.LossWeights {
			if k != TaskRestore && !slices.Contains(mc.Tasks, k) {
				delete(mc.LossWeights, k)
			}
		}
	}
	if classes > 0 {
		mc.SemsegClasses = classes
	}
	if cfg.RestoreLoss != "" {
		mc.RestoreLoss = cfg.RestoreLoss
	}
	if cfg.DegradeHead > 0 {
		mc.DegradeHead, mc.DegradeHeadWeight = true, cfg.DegradeHead
	}
	for _, k := range sortedKeys(cfg.LossWeights) {
		v := cfg.LossWeights[k]
		if _, ok := mc.LossWeights[k]; !ok {
			return Config{}, fmt.Errorf("loss_weights: %q is not a trained task (have %s)", k, strings.Join(sortedKeys(mc.LossWeights), ", "))
		}
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return Config{}, fmt.Errorf("loss_weights: %s = %v, want a finite weight >= 0", k, v)
		}
		mc.LossWeights[k] = v
	}
	return mc, mc.Validate()
}

// trainer is the state of one Train call.
type trainer struct {
	cfg     TrainConfig
	hooks   TrainHooks
	dev     backend.Backend
	m       *Model
	reps    []*Model // data-parallel replicas of m (TrainConfig.Replicas)
	opt     *optim.AdamW
	sched   optim.Poly
	g       *engine.Generator
	val     data.Dataset
	step    int // steps completed
	ckptAt  int // step of ckpt/last.safetensors (-1: none)
	best    float64
	bestAt  int
	logF    *os.File
	evalF   *os.File
	started time.Time
	// baselines are the reference scores of the validation ground truth
	// (computed at the first evaluation).
	baselines *Baselines
}

// deltaMTLMetric is TrainResult.BestMetric when a baseline picks the best
// checkpoint.
const deltaMTLMetric = "delta_mtl"

// criterion is what picks best.safetensors: deltaMTLMetric with a
// baseline, else the main metric's task.
func (t *trainer) criterion() string {
	if t.hooks.Baseline != nil {
		return deltaMTLMetric
	}
	return t.cfg.MainMetric
}

// Train runs (or with hooks.Resume continues) the training of cfg in the
// run folder cfg.Out (ALLNET.md section 2): per step, a loader batch ->
// BatchTensors -> Forward(train) -> Loss -> Backward (split over
// Replicas model copies when it is > 1, see train_replicas.go) ->
// ClipGradNorm -> AdamW with the poly/warm-up learning rate; log.jsonl every LogEvery
// steps; ckpt/last.safetensors (model, optimizer, step, generator, config)
// every CkptEvery steps and at the end; evaluation every EvalEvery steps
// into eval.jsonl and ckpt/best.safetensors by the main metric.
//
// The loader cannot seek: on resume it is re-created from the seed and the
// first Step batches are built and skipped, which reproduces the order,
// augmentation and degradations exactly (they depend on (seed, epoch, index)
// only). A non-finite loss term stops training with an error naming the
// term and the step; nothing is written for that step, so the last
// checkpoint stays the last good one.
func Train(cfg TrainConfig, hooks TrainHooks) (*TrainResult, error) {
	cfg, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	ctx := hooks.Context
	if ctx == nil {
		ctx = context.Background()
	}
	t := &trainer{cfg: cfg, hooks: hooks, ckptAt: -1, best: math.NaN()}
	if t.dev, err = backend.Open(cfg.Device); err != nil {
		return nil, fmt.Errorf("train: device %s: %v", cfg.Device, err)
	}
	trainDS, valDS := hooks.TrainData, hooks.ValData
	if trainDS == nil || valDS == nil {
		tr, va, err := OpenTrainData(cfg)
		if err != nil {
			return nil, err
		}
		trainDS, valDS = cmpOr(trainDS, tr), cmpOr(valDS, va)
	}
	t.val = valDS
	if err := checkBatchNormBatch(cfg, trainDS.Info()); err != nil {
		return nil, err
	}
	if cfg.Replicas > 1 && t.dev != engine.CPU() {
		return nil, fmt.Errorf("train: replicas %d: data-parallel replicas run on the CPU only, not on %s (use replicas 1 there)", cfg.Replicas, cfg.Device)
	}
	if err := t.setup(trainDS); err != nil {
		return nil, err
	}
	t.reps = newReplicas(t.m, cfg.Replicas)
	defer t.closeLogs()
	ld, err := loader.New(trainDS, loader.Options{Batch: cfg.Batch, Workers: cfg.Workers, Seed: cfg.Seed, Train: true, Crop: cfg.Crop,
		Augment: cfg.augment(), Degrade: cfg.trainDegradeOptions(), DeferBlur: cfg.blurOnDevice(t.dev)})
	if err != nil {
		return nil, err
	}
	defer ld.Close()
	for range t.step { // skip the batches of the steps already done
		if _, err := ld.Next(); err != nil {
			return nil, err
		}
	}
	res := &TrainResult{RunDir: cfg.Out, FirstStep: t.step + 1, Iters: cfg.Iters, BestMetric: t.criterion()}
	t.started = time.Now()
	windowStart, windowSteps := time.Now(), 0
	for t.step < cfg.StopAt {
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		b, err := ld.Next()
		if err != nil {
			return nil, err
		}
		if b.Step != t.step {
			return nil, fmt.Errorf("train: loader gave batch %d for step %d", b.Step, t.step+1)
		}
		if hooks.Batch != nil {
			hooks.Batch(t.step+1, b)
		}
		lr := t.sched.LR(t.opt.Steps())
		terms, norm, err := t.trainStep(b, lr)
		if err != nil {
			return nil, err
		}
		t.step++
		windowSteps++
		res.Loss = terms[lossKey]
		el := time.Since(windowStart).Seconds()
		ips := float64(windowSteps*cfg.Batch) / math.Max(el, 1e-9)
		if t.step%cfg.LogEvery == 0 || t.step == cfg.StopAt {
			if err := t.writeLog(t.step, lr, terms, norm, ips); err != nil {
				return nil, err
			}
		}
		if cfg.EvalEvery > 0 && (t.step%cfg.EvalEvery == 0 || t.step == cfg.Iters) {
			if err := t.evaluate(); err != nil {
				return nil, err
			}
		}
		if cfg.CkptEvery > 0 && t.step%cfg.CkptEvery == 0 {
			if err := t.checkpoint(); err != nil {
				return nil, err
			}
		}
		if hooks.Progress != nil {
			avg := time.Since(t.started) / time.Duration(t.step-res.FirstStep+1)
			hooks.Progress(TrainProgress{Step: t.step, Iters: cfg.Iters, StopAt: cfg.StopAt, Loss: res.Loss, LR: lr,
				ImagesPerSec: ips, ETA: avg * time.Duration(cfg.StopAt-t.step)})
		}
	}
	if t.ckptAt != t.step {
		if err := t.checkpoint(); err != nil {
			return nil, err
		}
	}
	res.Step, res.BestValue, res.BestStep = t.step, t.best, t.bestAt
	res.Seconds = time.Since(t.started).Seconds()
	if err := t.writeArtefacts(res); err != nil {
		return nil, err
	}
	return res, nil
}

// checkBatchNormBatch refuses a run whose batch norms would see one value
// per channel: a preset with batch norms in the decoder (allnet-tiny)
// normalises the 1/32-scale features over the batch and their pixels, so
// batch 1 needs a crop of more than 32 pixels in one dimension (as
// PyTorch, which raises the same error mid-step). Sizes unknown here (a
// dataset of varying sizes without a crop) are not checked.
func checkBatchNormBatch(cfg TrainConfig, info data.Info) error {
	mc, err := Preset(cfg.Model, cfg.ModelDataset())
	if err != nil || mc.DecoderNorm != NormBatch {
		return nil // the preset error is reported by setup
	}
	size := cfg.Crop
	if size == [2]int{} {
		size = info.Size
	}
	if size == [2]int{} {
		return nil
	}
	coarse := ((size[0] + inputMultiple - 1) / inputMultiple) * ((size[1] + inputMultiple - 1) / inputMultiple)
	if cfg.Batch/max(cfg.Replicas, 1)*coarse < 2 {
		return fmt.Errorf("train: batch %d (replicas %d) of %dx%d crops leaves one value per channel at the 1/32 scale, which %s's batch norms "+
			"cannot normalise: use batch >= 2 per replica or a crop larger than 32 pixels in one dimension", cfg.Batch, max(cfg.Replicas, 1), size[0], size[1], cfg.Model)
	}
	return nil
}

// cmpOr returns a unless it is nil, else b.
func cmpOr(a, b data.Dataset) data.Dataset {
	if a != nil {
		return a
	}
	return b
}

// lossKey is the total loss's key in the step's terms.
const lossKey = "loss"

// setup builds or restores the model, optimizer, schedule, generator and
// run folder.
func (t *trainer) setup(trainDS data.Dataset) error {
	cfg := t.cfg
	last := filepath.Join(cfg.Out, RunLastCkpt)
	if t.hooks.Resume {
		return t.resume(last)
	}
	for _, f := range []string{RunConfigFile, RunLastCkpt, RunLogFile} {
		if _, err := os.Stat(filepath.Join(cfg.Out, f)); err == nil {
			return fmt.Errorf("train: out %s already holds a run (%s): resume it or choose another folder", cfg.Out, f)
		}
	}
	mc, err := ModelConfig(cfg, trainDS.Info().Classes)
	if err != nil {
		return err
	}
	if cfg.SemsegClassBalance > 0 && slices.Contains(mc.Tasks, TaskSemseg) {
		counts, err := SemsegClassCounts(trainDS, cfg.Workers)
		if err != nil {
			return fmt.Errorf("train: semseg_class_balance: %v", err)
		}
		mc.SemsegClassWeights = ClassBalanceWeights(counts, cfg.SemsegClassBalance)
		if err := mc.Validate(); err != nil {
			return fmt.Errorf("train: semseg_class_balance: %v", err)
		}
	}
	t.m = NewModel(mc, cfg.Seed)
	if cfg.Pretrained != "" {
		if _, err := t.m.LoadBackbone(cfg.Pretrained, false); err != nil {
			return fmt.Errorf("train: pretrained %s: %v", cfg.Pretrained, err)
		}
	}
	t.g = engine.NewGenerator(cfg.Seed ^ 0x9e3779b97f4a7c15)
	if err := t.newOptimizer(); err != nil {
		return err
	}
	// The run folder is created only once the model, its pretrained
	// weights and the optimizer are ready, so that a failed start leaves
	// nothing behind.
	if err := os.MkdirAll(filepath.Join(cfg.Out, "ckpt"), 0o755); err != nil {
		return fmt.Errorf("train: out %s: %v", cfg.Out, err)
	}
	if err := cfg.WriteYAML(filepath.Join(cfg.Out, RunConfigFile)); err != nil {
		return fmt.Errorf("train: %v", err)
	}
	return t.openLogs()
}

// resume restores the trainer from last.
func (t *trainer) resume(last string) error {
	m, meta, optState, err := LoadModelCheckpoint(last)
	if err != nil {
		return fmt.Errorf("train: resume %s: %v", t.cfg.Out, err)
	}
	var stored TrainConfig
	if err := json.Unmarshal([]byte(meta.Extra["train_config"]), &stored); err != nil {
		return fmt.Errorf("train: resume %s: checkpoint has no readable train config: %v", last, err)
	}
	if f := resumeFixed(stored, t.cfg); f != "" {
		return fmt.Errorf("train: resume %s: %s differs from the run's (%s); only stop_at, workers, eval/ckpt/log periods and device may change", t.cfg.Out, f, RunConfigFile)
	}
	if meta.Step >= t.cfg.StopAt {
		return fmt.Errorf("train: resume %s: the checkpoint is at step %d, nothing to do up to step %d (iters %d)", t.cfg.Out, meta.Step, t.cfg.StopAt, t.cfg.Iters)
	}
	t.m, t.step, t.ckptAt = m, meta.Step, meta.Step
	g := meta.RNG
	t.g = &g
	if v, err := strconv.ParseFloat(meta.Extra["best_value"], 64); err == nil && meta.Extra["best_metric"] == t.criterion() {
		t.best = v
		t.bestAt, _ = strconv.Atoi(meta.Extra["best_step"])
	}
	if err := t.newOptimizer(); err != nil {
		return err
	}
	if err := RestoreOptimizer(t.opt, optState); err != nil {
		return fmt.Errorf("train: resume %s: %v", last, err)
	}
	for _, f := range []string{RunLogFile, RunEvalFile} {
		if err := truncateAfter(filepath.Join(t.cfg.Out, f), t.step); err != nil {
			return fmt.Errorf("train: resume: %v", err)
		}
	}
	return t.openLogs()
}

// newOptimizer moves the model to the device and builds AdamW and the
// schedule.
func (t *trainer) newOptimizer() error {
	if t.dev != engine.CPU() {
		for _, p := range append(t.m.Parameters(), t.m.Buffers()...) {
			p.MoveTo(t.dev)
		}
	}
	oc := optim.AdamWDefaults(t.cfg.LR)
	oc.WeightDecay, oc.NoDecay = t.cfg.WeightDecay, optim.DefaultNoDecay
	var err error
	if t.opt, err = optim.NewAdamW(t.m.Parameters(), oc); err != nil {
		return fmt.Errorf("train: %v", err)
	}
	t.sched = optim.Poly{Base: t.cfg.LR, Power: t.cfg.PolyPower, Total: t.cfg.Iters, WarmupSteps: t.cfg.Warmup, WarmupRatio: 1e-6}
	return t.sched.Validate()
}

// trainStep runs one update with learning rate lr and returns the loss
// terms (weighted total under "loss") and the gradient norm before
// clipping.
func (t *trainer) trainStep(b *loader.Batch, lr float64) (map[string]float64, float64, error) {
	step := t.step + 1
	x, d01, tg := BatchTensors(b, t.dev)
	x, d01, err := ApplyDeferredBlur(b, x, d01, tg.Clean)
	if err != nil {
		return nil, 0, fmt.Errorf("train: step %d: %v", step, err)
	}
	var vals map[string]float64
	if len(t.reps) > 0 {
		if vals, err = t.replicatedStep(step, x, d01, tg); err != nil {
			return nil, 0, err
		}
	} else {
		out := t.m.Forward(x, d01, true, t.g)
		lt, err := t.m.Loss(out, tg)
		if err != nil {
			return nil, 0, fmt.Errorf("train: step %d: %v", step, err)
		}
		vals = map[string]float64{lossKey: lt.Total.Item()}
		for k, v := range lt.Terms {
			vals[k] = v.Item()
		}
		if err := t.checkFinite(step, vals); err != nil {
			return nil, 0, err
		}
		t.opt.ZeroGrad()
		lt.Total.Backward()
	}
	norm := math.NaN()
	if t.cfg.ClipNorm > 0 {
		norm = optim.ClipGradNorm(t.opt.Params(), t.cfg.ClipNorm)
		if math.IsNaN(norm) || math.IsInf(norm, 0) {
			return nil, 0, t.nonFinite(step, "gradient norm", norm)
		}
	}
	t.opt.SetLR(lr)
	t.opt.Step()
	t.opt.ZeroGrad()
	return vals, norm, nil
}

// nonFinite is the error for a non-finite value at step.
func (t *trainer) nonFinite(step int, what string, v float64) error {
	kept := "no checkpoint was written yet"
	if t.ckptAt >= 0 {
		kept = fmt.Sprintf("%s (step %d) is left as it was", filepath.Join(t.cfg.Out, RunLastCkpt), t.ckptAt)
	}
	return fmt.Errorf("train: step %d: %s is %v (non-finite); training stopped, %s", step, what, v, kept)
}

// meta returns the checkpoint metadata of the current state.
func (t *trainer) meta() CheckpointMeta {
	cfg, _ := json.Marshal(t.cfg)
	extra := map[string]string{
		"train_config":    string(cfg),
		"loader_position": fmt.Sprintf("%d batches consumed; resume re-creates the loader from seed %d and skips them", t.step, t.cfg.Seed),
	}
	if !math.IsNaN(t.best) {
		extra["best_value"] = strconv.FormatFloat(t.best, 'g', -1, 64)
		extra["best_step"] = strconv.Itoa(t.bestAt)
		extra["best_metric"] = t.criterion()
	}
	return CheckpointMeta{Preset: t.cfg.Model, Dataset: t.cfg.Dataset, Step: t.step, Iters: t.cfg.Iters, RNG: *t.g, Extra: extra}
}

// checkpoint writes ckpt/last.safetensors for the current step.
func (t *trainer) checkpoint() error {
	if err := SaveModelCheckpoint(filepath.Join(t.cfg.Out, RunLastCkpt), t.m, t.opt, t.meta()); err != nil {
		return fmt.Errorf("train: step %d: %v", t.step, err)
	}
	t.ckptAt = t.step
	return nil
}

// evaluate scores the model on the validation split, appends to eval.jsonl
// and updates best.safetensors.
func (t *trainer) evaluate() error {
	ev := t.hooks.Eval
	if ev == nil {
		ev = func(m *Model, val data.Dataset, o EvalOptions) (*metrics.Report, error) {
			return Evaluate(m, val, o, nil)
		}
	}
	rep, err := ev(t.m, t.val, EvalOptions{Workers: t.cfg.Workers, Limit: t.cfg.EvalLimit, Device: t.dev, Degrade: t.cfg.DegradeOptions()})
	if err != nil {
		return fmt.Errorf("train: evaluation at step %d: %v", t.step, err)
	}
	if t.baselines == nil {
		if t.baselines, err = ComputeBaselines(t.val, t.cfg.EvalLimit, t.cfg.Workers); err != nil {
			return fmt.Errorf("train: step %d: %v", t.step, err)
		}
	}
	v, lower, ok := rep.Tasks.Main(t.cfg.MainMetric)
	line := map[string]any{"step": t.step, "tasks": rep.Tasks, "by_degradation": rep.ByDegradation,
		"count": rep.Count, "main_metric": t.cfg.MainMetric, "baselines": t.baselines}
	if ok && v.Valid() {
		line["main_value"] = float64(v)
	}
	if b := t.hooks.Baseline; b != nil {
		d := metrics.DeltaMTL(&rep.Tasks, &b.Tasks)
		line["delta_mtl"] = d
		v, lower, ok = d.Mean, false, true
	}
	if err := writeJSONLine(t.evalF, line); err != nil {
		return err
	}
	if err := WritePanels(t.m, t.val, t.cfg.Out, t.step, PanelImages, t.dev, t.cfg.DegradeOptions()); err != nil {
		return fmt.Errorf("train: step %d: %v", t.step, err)
	}
	if err := WriteCurves(t.cfg.Out); err != nil {
		return fmt.Errorf("train: step %d: curves: %v", t.step, err)
	}
	if !ok || !v.Valid() {
		return nil
	}
	f := float64(v)
	if math.IsNaN(t.best) || (lower && f < t.best) || (!lower && f > t.best) {
		t.best, t.bestAt = f, t.step
		if err := SaveModelCheckpoint(filepath.Join(t.cfg.Out, RunBestCkpt), t.m, nil, t.meta()); err != nil {
			return fmt.Errorf("train: step %d: %v", t.step, err)
		}
	}
	return nil
}

// openLogs opens log.jsonl and eval.jsonl for appending.
func (t *trainer) openLogs() error {
	var err error
	if t.logF, err = os.OpenFile(filepath.Join(t.cfg.Out, RunLogFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
		return fmt.Errorf("train: %v", err)
	}
	if t.evalF, err = os.OpenFile(filepath.Join(t.cfg.Out, RunEvalFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
		return fmt.Errorf("train: %v", err)
	}
	return nil
}

func (t *trainer) closeLogs() {
	for _, f := range []*os.File{t.logF, t.evalF} {
		if f != nil {
			f.Close()
		}
	}
}

// writeLog appends one log.jsonl line: step, lr, loss (the weighted
// total), terms (each unweighted term), grad_norm, images_per_s, time_s.
func (t *trainer) writeLog(step int, lr float64, vals map[string]float64, norm, ips float64) error {
	terms := map[string]float64{}
	for k, v := range vals {
		if k != lossKey {
			terms[k] = v
		}
	}
	line := map[string]any{"step": step, "lr": lr, "loss": vals[lossKey], "terms": terms,
		"images_per_s": ips, "time_s": time.Since(t.started).Seconds()}
	if !math.IsNaN(norm) {
		line["grad_norm"] = norm
	}
	return writeJSONLine(t.logF, line)
}

func writeJSONLine(f *os.File, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("train: %v", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("train: %v", err)
	}
	return nil
}

// truncateAfter drops the lines of a JSONL file whose "step" is above step
// (written after the checkpoint a run resumes from). A missing file is fine.
func truncateAfter(path string, step int) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	var keep []byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var l struct{ Step int }
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Step > step {
			continue
		}
		keep = append(append(keep, sc.Bytes()...), '\n')
	}
	f.Close()
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return os.WriteFile(path, keep, 0o644)
}

// writeArtefacts writes curves.png and report.md at the end of a Train
// call (finished, stopped or interrupted).
func (t *trainer) writeArtefacts(res *TrainResult) error {
	if err := WriteCurves(t.cfg.Out); err != nil {
		return fmt.Errorf("train: curves: %v", err)
	}
	crit := t.criterion()
	if crit == deltaMTLMetric {
		crit = "Delta_MTL"
		if t.hooks.BaselineName != "" {
			crit += " vs " + t.hooks.BaselineName
		}
	} else {
		crit += " " + mainMetricName[crit]
	}
	ips := 0.0
	if res.Seconds > 0 {
		ips = float64((res.Step-res.FirstStep+1)*t.cfg.Batch) / res.Seconds
	}
	s := RunSummary{Config: t.cfg, Result: *res, ImagesPerSec: ips, BestCriteria: crit}
	if err := WriteReport(t.cfg.Out, s, t.baselines); err != nil {
		return fmt.Errorf("train: report: %v", err)
	}
	return nil
}
