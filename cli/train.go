package cli

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"allnet/allnet"
	"allnet/metrics"
)

// `allnet-cli train` trains ALLNet (allnet.Train) into a run folder
// (CONVENTIONS.md "Run folder"); --resume continues one exactly.

func init() { addCommand(trainCommand) }

// trainRunFlags are the flags that define a run: with --resume they must
// not be given (the run's config.yaml fixes them).
var trainRunFlags = []string{"model", "dataset", "root", "like", "synth-seed", "synth-count", "synth-size", "classes",
	"iters", "batch", "lr", "weight-decay", "warmup", "seed", "tasks", "pretrained", "config", "crop", "main-metric", "degrade-scale",
	"blur-on-device", "semseg-class-balance", "restore-loss", "degrade-head", "degrade-weights", "replicas"}

func trainCommand() *ucli.Command {
	flags := []ucli.Flag{
		&ucli.StringFlag{Name: "model", Usage: "preset `NAME`: allnet-tiny or allnet-s", DefaultText: "allnet-s"},
		&ucli.StringFlag{Name: "dataset", Usage: "dataset `NAME`: nyud, pascal or synthetic"},
		&ucli.StringFlag{Name: "root", Usage: "dataset folder `DIR` (none for in-memory synthetic data)"},
		&ucli.IntFlag{Name: "classes", Usage: "NYUD semantic classes `K`: 13 or 40", DefaultText: "13"},
		&ucli.StringFlag{Name: "out", Usage: "run folder `RUNDIR` to create (config.yaml, log.jsonl, eval.jsonl, ckpt/)"},
		&ucli.StringFlag{Name: "resume", Usage: "continue the run in `RUNDIR` from ckpt/last.safetensors, exactly"},
		&ucli.StringFlag{Name: "config", Usage: "YAML `FILE` of train settings (the keys of config.yaml); flags override it"},
		&ucli.IntFlag{Name: "iters", Usage: "schedule length in steps `N`", DefaultText: "40000"},
		&ucli.IntFlag{Name: "stop-at", Usage: "stop cleanly after step `N` of the schedule", DefaultText: "iters"},
		&ucli.IntFlag{Name: "batch", Usage: "images per step `N`", DefaultText: "4"},
		&ucli.Float64Flag{Name: "lr", Usage: "peak AdamW learning rate `LR` (poly decay, power 0.9, after linear warm-up)", DefaultText: "6e-5"},
		&ucli.Float64Flag{Name: "weight-decay", Usage: "AdamW weight decay `WD`", DefaultText: "0.05"},
		&ucli.IntFlag{Name: "warmup", Usage: "linear warm-up steps `N`", DefaultText: "min(1500, iters/10)"},
		&ucli.StringFlag{Name: "tasks", Usage: "train only tasks `a,b` (single-task baselines); restoration is always trained", DefaultText: "all of the dataset's"},
		&ucli.StringFlag{Name: "pretrained", Usage: "official InternImage checkpoint `FILE` (.pth) for the encoder"},
		&ucli.IntFlag{Name: "eval-every", Usage: "evaluate on the degraded val split every `N` steps (0 = never)", DefaultText: "4000"},
		&ucli.IntFlag{Name: "eval-limit", Usage: "validation images `N` per evaluation (0 = all)"},
		&ucli.StringFlag{Name: "baseline", Usage: "eval --json report `FILE` (e.g. of a single-task run): record Delta_MTL at each evaluation and keep ckpt/best.safetensors by it"},
		&ucli.StringFlag{Name: "main-metric", Usage: "`TASK` whose main metric picks ckpt/best.safetensors", DefaultText: "semseg, else restored"},
		&ucli.IntFlag{Name: "ckpt-every", Usage: "write ckpt/last.safetensors every `N` steps (0 = at the end only)", DefaultText: "1000"},
		&ucli.IntFlag{Name: "log-every", Usage: "log.jsonl line and progress line every `N` steps", DefaultText: "20"},
		&ucli.StringFlag{Name: "crop", Usage: "training crop `HxW`", DefaultText: "the working size; pascal 512x512"},
		&ucli.Float64Flag{Name: "degrade-scale", Usage: "multiply the spatial degradation ranges (blur and rain lengths, set for 288x384) by `F`, " +
			"for training and the degraded val split (e.g. 0.1667 for 48x64 images)", DefaultText: "1"},
		&ucli.StringFlag{Name: "blur-on-device", Usage: "where training images get their motion blur: `auto` (on the device unless it is the CPU), " +
			"on (on the device through the PSF kernel, engine.PSFConv) or off (on the host, in the loader)", DefaultText: "auto"},
		&ucli.Float64Flag{Name: "semseg-class-balance", Usage: "weigh the semseg loss per class by (median frequency / class frequency)^`P`, " +
			"counted over the training split when the run starts (1: median-frequency balancing, 0.5: its square root; 0 = unweighted)", DefaultText: "0"},
		&ucli.StringFlag{Name: "restore-loss", Usage: "the restoration loss `L`: charbonnier (every pixel's error alike) or psnr " +
			"(minus each image's PSNR, averaged: each image pulls by its own error, as the PSNR metric counts it)", DefaultText: "charbonnier"},
		&ucli.Float64Flag{Name: "degrade-head", Usage: "add the degradation-type head, which classifies each image's degradation " +
			"(clean, noise, haze, rain, blur; cross-entropy of weight `W` against the type drawn) and hands the class probabilities " +
			"to the restoration's full-resolution stage (0 = none)", DefaultText: "0"},
		degradeWeightsFlag("uniform"),
		&ucli.IntFlag{Name: "replicas", Usage: "split each batch over `N` model copies trained side by side (data parallelism on the CPU; " +
			"it uses the cores better than one copy, and each copy's batch norms see its part of the batch)", DefaultText: "1"},
		&ucli.IntFlag{Name: "workers", Usage: "loader goroutines `N`", DefaultText: "GOMAXPROCS"},
		SeedFlag(), DeviceFlag(), JSONFlag(),
	}
	return &ucli.Command{
		Name:  "train",
		Usage: "train ALLNet into a run folder (or continue one with --resume)",
		Description: "Trains with AdamW, poly learning-rate decay after a linear warm-up and gradient clipping " +
			"(ALLNET.md section 2) on images degraded on the fly. Progress goes to stderr; at the end a summary " +
			"(Markdown, or JSON with --json) names the run folder. SIGINT/SIGTERM write a checkpoint and exit 130/143; " +
			"--resume RUNDIR then continues bit-exactly on the CPU.",
		Flags:  append(flags, syntheticFlags()...),
		Action: runTrain,
	}
}

// trainSummary is the JSON shape of `train --json`.
type trainSummary struct {
	RunDir      string   `json:"run_dir"`
	FirstStep   int      `json:"first_step"`
	Step        int      `json:"step"`
	Iters       int      `json:"iters"`
	Loss        float64  `json:"loss"`
	Interrupted bool     `json:"interrupted"`
	BestMetric  string   `json:"best_metric"`
	BestValue   *float64 `json:"best_value,omitempty"`
	BestStep    int      `json:"best_step,omitempty"`
	Seconds     float64  `json:"seconds"`
}

func runTrain(c *ucli.Context) error {
	if err := NoArgs(c); err != nil {
		return err
	}
	cfg, resume, err := trainConfigOf(c)
	if err != nil {
		return err
	}
	trainDS, valDS, err := openTrainSplits(cfg)
	if err != nil {
		return err
	}
	var baseline *metrics.Report
	if f := c.String("baseline"); f != "" {
		rc, _ := cfg.Resolve()
		if baseline, err = readBaseline(f, valDS.Info(), append(slices.Clone(rc.Tasks), metrics.TaskRestored)); err != nil {
			return err
		}
	}
	in := watchInterrupts()
	defer in.stop()
	hooks := allnet.TrainHooks{Context: in.ctx, Resume: resume, TrainData: trainDS, ValData: valDS,
		Baseline: baseline, BaselineName: c.String("baseline"),
		Progress: func(p allnet.TrainProgress) {
			if p.Step%cfg.LogEvery == 0 || p.Step == p.StopAt {
				Logf(c, "train: step %d/%d  loss %.4f  lr %.3g  %.2f images/s  ETA %s", p.Step, p.Iters, p.Loss, p.LR,
					p.ImagesPerSec, p.ETA.Round(time.Second))
			}
		}}
	res, err := allnet.Train(cfg, hooks)
	if err != nil {
		return Errorf("%v", err)
	}
	s := trainSummary{RunDir: res.RunDir, FirstStep: res.FirstStep, Step: res.Step, Iters: res.Iters, Loss: res.Loss,
		Interrupted: res.Interrupted, BestMetric: res.BestMetric, Seconds: res.Seconds}
	if !math.IsNaN(res.BestValue) {
		v := res.BestValue
		s.BestValue, s.BestStep = &v, res.BestStep
	}
	if c.Bool("json") {
		err = WriteJSON(Stdout(c), s)
	} else {
		err = writeTrainMarkdown(c, s)
	}
	if err != nil {
		return err
	}
	if res.Interrupted {
		return in.err("checkpoint of step %d written to %s; continue with --resume %s", res.Step,
			filepath.Join(res.RunDir, allnet.RunLastCkpt), res.RunDir)
	}
	return nil
}

func writeTrainMarkdown(c *ucli.Context, s trainSummary) error {
	w := Stdout(c)
	best := "not evaluated"
	if s.BestValue != nil {
		best = fmt.Sprintf("%s %.4g at step %d (ckpt/best.safetensors)", s.BestMetric, *s.BestValue, s.BestStep)
	}
	status := "finished"
	if s.Interrupted {
		status = "interrupted"
	} else if s.Step < s.Iters {
		status = "stopped (--stop-at)"
	}
	_, err := fmt.Fprintf(w, "# Training run\n\n| | |\n|---|---|\n| run folder | %s |\n| status | %s |\n| steps run | %d-%d of %d |\n"+
		"| final loss | %.4f |\n| best | %s |\n| time | %.1f s |\n\nFiles: report.md, curves.png, panels/, config.yaml, log.jsonl, eval.jsonl, ckpt/last.safetensors.\n",
		s.RunDir, status, s.FirstStep, s.Step, s.Iters, s.Loss, best, s.Seconds)
	return err
}

// trainConfigOf builds the run's config from --resume's config.yaml, or
// from the defaults, --config and the flags; it reports whether to resume.
func trainConfigOf(c *ucli.Context) (allnet.TrainConfig, bool, error) {
	if dir := c.String("resume"); dir != "" {
		for _, f := range trainRunFlags {
			if c.IsSet(f) {
				return allnet.TrainConfig{}, false, UsageErrorf("--%s cannot be given with --resume: the run's %s fixes it", f, allnet.RunConfigFile)
			}
		}
		if out := c.String("out"); out != "" && filepath.Clean(out) != filepath.Clean(dir) {
			return allnet.TrainConfig{}, false, UsageErrorf("--out %s with --resume %s: give only --resume", out, dir)
		}
		path := filepath.Join(dir, allnet.RunConfigFile)
		cfg, err := allnet.ReadTrainConfig(path, allnet.DefaultTrainConfig())
		if err != nil {
			return cfg, false, Errorf("--resume %s: %v", dir, err)
		}
		if _, err := os.Stat(filepath.Join(dir, allnet.RunLastCkpt)); err != nil {
			return cfg, false, Errorf("--resume %s: no %s to continue from", dir, allnet.RunLastCkpt)
		}
		cfg.Out, cfg.StopAt = dir, 0
		if err := applyTrainFlags(c, &cfg); err != nil {
			return cfg, false, err
		}
		return cfg, true, resolveTrain(c, cfg)
	}
	cfg := allnet.DefaultTrainConfig()
	if f := c.String("config"); f != "" {
		var err error
		if cfg, err = allnet.ReadTrainConfig(f, cfg); err != nil {
			return cfg, false, Errorf("--config %v", err)
		}
	}
	if err := applyTrainFlags(c, &cfg); err != nil {
		return cfg, false, err
	}
	switch {
	case cfg.Dataset == "":
		return cfg, false, UsageErrorf("--dataset is required: nyud, pascal or synthetic")
	case cfg.Out == "":
		return cfg, false, UsageErrorf("--out is required: the run folder to create")
	}
	for _, f := range []string{allnet.RunConfigFile, allnet.RunLastCkpt} {
		if _, err := os.Stat(filepath.Join(cfg.Out, f)); err == nil {
			return cfg, false, Errorf("--out %s already holds a run (%s): continue it with --resume %s, or choose another --out", cfg.Out, f, cfg.Out)
		}
	}
	return cfg, false, resolveTrain(c, cfg)
}

// resolveTrain validates cfg, naming the flag of a bad field.
func resolveTrain(c *ucli.Context, cfg allnet.TrainConfig) error {
	if _, err := cfg.Resolve(); err != nil {
		msg := strings.TrimPrefix(err.Error(), "train config: ")
		key, rest, _ := strings.Cut(msg, " ")
		if f := c.String("config"); f != "" {
			rest += " (flag, or key " + key + " of " + f + ")"
		}
		return UsageErrorf("--%s %s", strings.ReplaceAll(key, "_", "-"), rest)
	}
	return nil
}

// applyTrainFlags copies the flags given on the command line into cfg.
func applyTrainFlags(c *ucli.Context, cfg *allnet.TrainConfig) error {
	str := map[string]*string{"model": &cfg.Model, "dataset": &cfg.Dataset, "root": &cfg.Root, "like": &cfg.Like,
		"out": &cfg.Out, "pretrained": &cfg.Pretrained, "main-metric": &cfg.MainMetric, "device": &cfg.Device,
		"blur-on-device": &cfg.BlurOnDevice, "restore-loss": &cfg.RestoreLoss}
	for n, p := range str {
		if c.IsSet(n) {
			*p = c.String(n)
		}
	}
	ints := map[string]*int{"classes": &cfg.Classes, "iters": &cfg.Iters, "stop-at": &cfg.StopAt, "batch": &cfg.Batch,
		"warmup": &cfg.Warmup, "eval-every": &cfg.EvalEvery, "eval-limit": &cfg.EvalLimit, "ckpt-every": &cfg.CkptEvery,
		"log-every": &cfg.LogEvery, "workers": &cfg.Workers, "synth-count": &cfg.SynthCount, "replicas": &cfg.Replicas}
	for n, p := range ints {
		if c.IsSet(n) {
			*p = c.Int(n)
		}
	}
	if c.IsSet("synth-count") {
		cfg.SynthValCount = cfg.SynthCount
	}
	if c.IsSet("lr") {
		cfg.LR = c.Float64("lr")
	}
	if c.IsSet("weight-decay") {
		cfg.WeightDecay = c.Float64("weight-decay")
	}
	if c.IsSet("degrade-scale") {
		cfg.DegradeScale = c.Float64("degrade-scale")
	}
	if c.IsSet("semseg-class-balance") {
		cfg.SemsegClassBalance = c.Float64("semseg-class-balance")
	}
	if c.IsSet("degrade-head") {
		cfg.DegradeHead = c.Float64("degrade-head")
	}
	if w, set, err := degradeWeightsOf(c); err != nil {
		return err
	} else if set {
		cfg.DegradeWeights = w
	}
	if c.IsSet("seed") {
		s := c.Int64("seed")
		if s < 0 {
			return UsageErrorf("--seed %d: expected a number >= 0", s)
		}
		cfg.Seed = uint64(s)
	}
	if c.IsSet("synth-seed") {
		cfg.SynthSeed = c.Uint64("synth-seed")
	}
	if c.IsSet("tasks") {
		cfg.Tasks = nil
		for _, t := range strings.Split(c.String("tasks"), ",") {
			if t = strings.TrimSpace(t); t != "" {
				cfg.Tasks = append(cfg.Tasks, t)
			}
		}
		if len(cfg.Tasks) == 0 {
			return UsageErrorf("--tasks %q: expected task names separated by commas", c.String("tasks"))
		}
	}
	for _, sz := range []struct {
		flag string
		dst  *[2]int
	}{{"crop", &cfg.Crop}, {"synth-size", &cfg.SynthSize}} {
		if c.IsSet(sz.flag) {
			h, w, err := parseSize("--"+sz.flag, c.String(sz.flag))
			if err != nil {
				return err
			}
			*sz.dst = [2]int{h, w}
		}
	}
	return nil
}
