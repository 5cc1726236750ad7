package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"allnet/allnet"
	"allnet/data"
	"allnet/data/degrade"
	"allnet/engine"
	"allnet/metrics"
)

// `allnet-cli eval --checkpoint FILE` runs a trained model over the seeded
// degraded split (and, with --clean, over the clean images) through
// allnet.Evaluate and prints the same tables as eval --pred. With --json
// the output is one report; with --clean it is {"degraded": report,
// "clean": report}. --save-pred DIR writes the degraded-split predictions
// as a prediction folder (with degradations.json), and with --clean the
// clean ones under DIR/clean/.

// evalCheckpointFlags are the flags eval takes for --checkpoint.
func evalCheckpointFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "checkpoint", Usage: "evaluate the model of safetensors `FILE` (written by train) instead of scoring --pred"},
		&ucli.BoolFlag{Name: "clean", Usage: "with --checkpoint: also evaluate on the clean images (a second report)"},
		&ucli.StringFlag{Name: "save-pred", Usage: "with --checkpoint: write the predictions to `DIR` as a prediction folder (clean ones under DIR/clean/)"},
		&ucli.Float64Flag{Name: "degrade-scale", Usage: "with --checkpoint: multiply the spatial degradation ranges (blur and rain lengths) by `F` " +
			"(degrade.Options.Scaled; for images smaller than 288x384)", DefaultText: "the checkpoint's degrade_scale, else 1"},
		SeedFlag(),
		DeviceFlag(),
	}
}

// checkpointOnly are the flags that only mean something with --checkpoint.
var checkpointOnly = []string{"clean", "save-pred", "degrade-scale"}

// evalReports is the --json output of eval --checkpoint --clean.
type evalReports struct {
	Degraded *metrics.Report `json:"degraded"`
	Clean    *metrics.Report `json:"clean"`
}

func runEvalCheckpoint(c *ucli.Context) error {
	path := c.String("checkpoint")
	switch {
	case c.IsSet("pred"):
		return UsageErrorf("--checkpoint and --pred exclude each other: evaluate a model, or score a prediction folder")
	case path == "":
		return UsageErrorf("--checkpoint: expected a safetensors file, found an empty value")
	case c.IsSet("tasks"):
		return UsageErrorf("--tasks applies to --pred: a checkpoint is evaluated on every task it predicts")
	}
	seed := c.Int64("seed")
	if seed < 0 {
		return UsageErrorf("--seed %d: expected a non-negative seed of the degraded split", seed)
	}
	workers, err := workersOf(c)
	if err != nil {
		return err
	}
	dev, err := OpenDevice(c)
	if err != nil {
		return err
	}
	name := c.String("dataset")
	ds, err := openDataset(name, c.String("root"), c.String("split"), classesOf(c, name), synthOptionsOf(c))
	if err != nil {
		return err
	}
	info := ds.Info()
	m, meta, _, err := allnet.LoadModelCheckpoint(path)
	if err != nil {
		return Errorf("--checkpoint %s: %v", path, err)
	}
	if err := checkModelFits(path, m.Config, info); err != nil {
		return err
	}
	if dev != engine.CPU() {
		for _, p := range append(m.Parameters(), m.Buffers()...) {
			p.MoveTo(dev)
		}
	}
	ranges, err := evalDegradeOptions(c, meta)
	if err != nil {
		return err
	}
	base, basePath := (*metrics.Report)(nil), c.String("baseline")
	if basePath != "" {
		if base, err = readBaseline(basePath, info, inReportOrder(append(slices.Clone(m.Config.Tasks), metrics.TaskRestored))); err != nil {
			return err
		}
	}

	run := func(what string, clean bool, save string) (*metrics.Report, error) {
		n := ds.Len()
		Logf(c, "eval: %s (%s, step %d) on %s %s %s (%d images), device %s", path, meta.Preset, meta.Step,
			info.Dataset, info.Split, what, n, dev.Name())
		start := time.Now()
		step := max(1, n/10)
		rep, err := allnet.Evaluate(m, ds, allnet.EvalOptions{Seed: uint64(seed), Clean: clean, Workers: workers,
			SavePred: save, Device: dev, Degrade: ranges}, func(done, total int) {
			if done%step == 0 || done == total {
				el := time.Since(start).Seconds()
				Logf(c, "eval: %d/%d images (%.1f images/s)", done, total, float64(done)/max(el, 1e-9))
			}
		})
		if err != nil {
			return nil, Errorf("%v", err)
		}
		if base != nil {
			d := metrics.DeltaMTL(&rep.Tasks, &base.Tasks)
			rep.DeltaMTL = &d
		}
		return rep, nil
	}
	save := c.String("save-pred")
	deg, err := run(fmt.Sprintf("degraded split (seed %d)", seed), false, save)
	if err != nil {
		return err
	}
	var clean *metrics.Report
	if c.Bool("clean") {
		if save != "" {
			save = filepath.Join(save, "clean")
		}
		if clean, err = run("clean images", true, save); err != nil {
			return err
		}
	}
	if c.Bool("json") {
		if clean != nil {
			return WriteJSON(Stdout(c), evalReports{Degraded: deg, Clean: clean})
		}
		return WriteJSON(Stdout(c), deg)
	}
	if err := writeEvalMarkdown(Stdout(c), deg, fmt.Sprintf("%s on the degraded split (seed %d)", path, seed), basePath, base); err != nil {
		return err
	}
	if clean == nil {
		return nil
	}
	if _, err := fmt.Fprintln(Stdout(c)); err != nil {
		return err
	}
	return writeEvalMarkdown(Stdout(c), clean, path+" on clean images", basePath, base)
}

// checkModelFits checks that a checkpoint's model predicts tasks the
// dataset has, with its semantic classes, naming the flag to change.
func checkModelFits(path string, cfg allnet.Config, info data.Info) error {
	var missing []string
	for _, t := range cfg.Tasks {
		if !slices.Contains(info.Tasks, t) {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return Errorf("--checkpoint %s predicts %s, which %s has no ground truth for (its tasks: %s; the model was trained on %s)",
			path, strings.Join(missing, ", "), info.Dataset, strings.Join(info.Tasks, ", "), cfg.Dataset)
	}
	if slices.Contains(cfg.Tasks, allnet.TaskSemseg) && cfg.SemsegClasses != info.Classes {
		return Errorf("--checkpoint %s predicts %d semantic classes, %s %s has %d (see --classes)",
			path, cfg.SemsegClasses, info.Dataset, info.Split, info.Classes)
	}
	return nil
}

// evalDegradeOptions returns the degradation ranges of eval --checkpoint:
// --degrade-scale when given, else the degrade_scale of the training run
// stored in the checkpoint (1 when there is none).
func evalDegradeOptions(c *ucli.Context, meta allnet.CheckpointMeta) (degrade.Options, error) {
	var tc allnet.TrainConfig
	if s := meta.Extra["train_config"]; s != "" {
		_ = json.Unmarshal([]byte(s), &tc) // a checkpoint without it evaluates at scale 1
	}
	f, set, err := degradeScaleOf(c)
	if err != nil {
		return degrade.Options{}, err
	}
	if set {
		tc.DegradeScale = f
	}
	return tc.DegradeOptions(), nil
}
