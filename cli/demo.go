package cli

import (
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	ucli "github.com/urfave/cli/v2"

	"allnet/allnet"
	"allnet/data"
	"allnet/data/synth"
	"allnet/metrics"
)

// `allnet-cli demo` is the project's main job on the built-in data: it
// trains allnet-tiny on the CPU on synthetic NYUD-like scenes (rendered
// once and kept in memory), evaluates it on the seeded degraded synthetic
// val split, writes the run folder and checks the result against simple
// baselines (always the majority class; the mean depth; the degraded input).

func init() { addCommand(demoCommand) }

// demoSettings are the demo's training settings; --short replaces the
// defaults by shortDemo's.
type demoSettings struct {
	Iters, Batch, Warmup  int
	LR                    float64
	Size                  [2]int
	TrainCount, ValCount  int
	EvalLimit             int
	WeightDecay, ClipNorm float64
	PolyPower             float64
	// ScaleRange is the augmentation's rescaling ([1, 1]: none; the short
	// budget learns the scene layout faster without it).
	ScaleRange [2]float64
	// LossWeights override the preset's loss weights: MTL's NYUD weights
	// (normals 10, edge 50) let those two terms dominate the shared
	// gradient, which at this budget slows semseg and depth (measured: 1,000
	// steps, normals 1 and edge 5: mIoU 0.180 vs 0.159).
	LossWeights map[string]float64
	// SemsegClassBalance is the semseg loss's class-balancing power
	// (TrainConfig.SemsegClassBalance).
	SemsegClassBalance float64
	// RestoreLoss is the restoration loss (TrainConfig.RestoreLoss; its
	// weight is LossWeights' restore).
	RestoreLoss string
	// DegradeHead is the degradation-type head's loss weight
	// (TrainConfig.DegradeHead; 0 = no head).
	DegradeHead float64
	// DegradeWeights are the training proportions of the degradation
	// types (TrainConfig.DegradeWeights): the demo draws blur, the type a
	// short run gains least on, 5 times in 8.
	DegradeWeights map[string]float64
	// Replicas is the number of model copies each batch is split over
	// (TrainConfig.Replicas).
	Replicas int
	// TrainMinutes is the training time the step count is sized to when
	// Iters is 0: a few timed steps measure this machine's speed first (see
	// calibrateIters).
	TrainMinutes float64
	// Calibrated is the speed in images/s the calibration measured (0:
	// Iters was fixed).
	Calibrated float64 `json:",omitempty"`
	// DegradeScale multiplies the degradations' spatial ranges (0 = 1:
	// the default ranges, set for 288x384, which at 48x64 blur and streak
	// six times as much of the image).
	DegradeScale float64
}

// fullDemo is `make demo`'s budget: as many steps of 8 images as fit 8
// minutes of training on this machine, so that the whole demo (a cold
// build, 18 s here; rendering, calibration and evaluation, about 15 s)
// stays within 10 minutes on 2 cores, where the engine's speed has ranged from 16 to 39 images/s
// (allnet-tiny, one replica) with the CPU and its load. --iters N fixes
// the count. Blur and rain lengths are scaled to the 48x64 scenes (1/6),
// the restoration trains with the psnr loss and the degradation-type head,
// and blur is drawn 5 times in 8.
var fullDemo = demoSettings{Batch: 8, Warmup: 30, LR: 3e-3, Size: [2]int{48, 64},
	TrainCount: 2000, ValCount: 48, EvalLimit: 48, WeightDecay: 0.01, ClipNorm: 5, PolyPower: 0.9,
	ScaleRange: [2]float64{1, 1}, LossWeights: demoLossWeights, SemsegClassBalance: 0.5, Replicas: 2, TrainMinutes: 8,
	DegradeScale: 1.0 / 6, RestoreLoss: allnet.RestoreLossPSNR, DegradeHead: 0.1, DegradeWeights: demoDegradeWeights}

// The calibrated step count's bounds.
const (
	minDemoIters = 300
	maxDemoIters = 8000
)

// demoDegradeWeights are the demo's degradation proportions (see
// demoSettings).
var demoDegradeWeights = map[string]float64{"blur": 5}

// demoLossWeights are the demo's loss weights (see demoSettings).
var demoLossWeights = map[string]float64{allnet.TaskNormals: 1, allnet.TaskEdge: 5, allnet.TaskRestore: 0.01}

// shortDemo is CI's version: it exercises the same path in about a minute
// and is not expected to meet the thresholds.
var shortDemo = demoSettings{Iters: 30, Batch: 4, Warmup: 3, LR: 3e-3, Size: [2]int{48, 64},
	TrainCount: 32, ValCount: 8, EvalLimit: 8, WeightDecay: 0.01, ClipNorm: 5, PolyPower: 0.9,
	ScaleRange: [2]float64{1, 1}, LossWeights: demoLossWeights, SemsegClassBalance: 0.5, Replicas: 2,
	DegradeScale: 1.0 / 6, RestoreLoss: allnet.RestoreLossPSNR, DegradeHead: 0.1, DegradeWeights: demoDegradeWeights}

func demoCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "demo",
		Usage: "train allnet-tiny on built-in synthetic scenes on the CPU, evaluate it on the degraded val split and check it beats simple baselines",
		Description: "Renders synthetic NYUD-like scenes once (kept in memory), trains allnet-tiny on them with " +
			"degradations synthesised on the fly (allnet.Train, high learning rate for a small model from scratch; " +
			"no rescaling augmentation, loss weights normals 1 and edge 5 instead of MTL's 10 and 50; blur and rain " +
			"lengths scaled by 1/6 to the 48x64 scenes; the psnr restoration loss at weight 0.01; the degradation-type head; " +
			"blur drawn 5 times in 8), " +
			"evaluates on the seeded degraded val split and writes a run folder (config.yaml, log.jsonl, eval.jsonl, " +
			"ckpt/, demo.json) whose path it prints. The table compares semseg mIoU with always predicting the " +
			"majority class, depth rmse with predicting the mean depth, and restored PSNR with the degraded input " +
			"per degradation type, each marked PASS or FAIL. With --strict a threshold not met exits 1. --short is a " +
			"quick smoke run (thresholds reported, not checked).",
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "short", Usage: "a short run (about a minute) that only checks the pipeline"},
			&ucli.BoolFlag{Name: "strict", Usage: "exit 1 when a threshold is not met (not with --short)"},
			&ucli.StringFlag{Name: "out", Usage: "run folder `RUNDIR` to create", DefaultText: "runs/demo-TIMESTAMP"},
			&ucli.IntFlag{Name: "iters", Usage: "training steps `N` (fixed; by default as many as fit --minutes at the speed measured first)",
				DefaultText: fmt.Sprintf("calibrated; --short %d", shortDemo.Iters)},
			&ucli.Float64Flag{Name: "minutes", Usage: "without --iters, size the step count to `M` minutes of training",
				DefaultText: fmt.Sprint(fullDemo.TrainMinutes)},
			&ucli.IntFlag{Name: "batch", Usage: "images per step `N`", DefaultText: fmt.Sprint(fullDemo.Batch)},
			&ucli.Float64Flag{Name: "lr", Usage: "peak learning rate `LR`", DefaultText: fmt.Sprint(fullDemo.LR)},
			&ucli.IntFlag{Name: "warmup", Usage: "linear warm-up steps `N`", DefaultText: fmt.Sprint(fullDemo.Warmup)},
			&ucli.StringFlag{Name: "size", Usage: "scene size `HxW` (the training crop is the whole scene)",
				DefaultText: fmt.Sprintf("%dx%d", fullDemo.Size[0], fullDemo.Size[1])},
			&ucli.IntFlag{Name: "train-count", Usage: "training scenes `N`", DefaultText: fmt.Sprint(fullDemo.TrainCount)},
			&ucli.IntFlag{Name: "val-count", Usage: "degraded validation images `N`", DefaultText: fmt.Sprint(fullDemo.ValCount)},
			&ucli.Float64Flag{Name: "degrade-scale", Usage: "multiply the blur and rain lengths (set for 288x384) by `F` " +
				"(the scene size over 288x384, 1/6 at 48x64, keeps their relative extent; 1 = the default ranges)", DefaultText: "0.1667"},
			&ucli.Float64Flag{Name: "semseg-class-balance", Usage: "weigh the semseg loss per class by (median frequency / class frequency)^`P` " +
				"(0 = unweighted)", DefaultText: fmt.Sprint(fullDemo.SemsegClassBalance)},
			&ucli.StringFlag{Name: "restore-loss", Usage: "the restoration loss `L`: charbonnier or psnr (see train --help)", DefaultText: fullDemo.RestoreLoss},
			&ucli.Float64Flag{Name: "restore-weight", Usage: "the restoration loss's weight `W` in the total", DefaultText: fmt.Sprint(fullDemo.LossWeights[allnet.TaskRestore])},
			&ucli.Float64Flag{Name: "degrade-head", Usage: "the degradation-type head's loss weight `W` (0 = no head; see train --help)", DefaultText: fmt.Sprint(fullDemo.DegradeHead)},
			degradeWeightsFlag("blur=5"),
			&ucli.IntFlag{Name: "replicas", Usage: "split each batch over `N` model copies trained side by side", DefaultText: fmt.Sprint(max(fullDemo.Replicas, 1))},
			&ucli.IntFlag{Name: "workers", Usage: "loader goroutines `N`", DefaultText: "GOMAXPROCS"},
			SeedFlag(), JSONFlag(),
		},
		Action: runDemo,
	}
}

// demoCheck is one threshold of the demo.
type demoCheck struct {
	Name     string        `json:"name"`
	Value    metrics.Float `json:"value"`    // null when not measured
	Baseline metrics.Float `json:"baseline"` // null when not measured
	Want     string        `json:"want"`
	Pass     bool          `json:"pass"`
}

// demoResult is the JSON shape of `demo --json` and of RUNDIR/demo.json.
type demoResult struct {
	RunDir   string          `json:"run_dir"`
	Short    bool            `json:"short"`
	Settings demoSettings    `json:"settings"`
	Checks   []demoCheck     `json:"checks"`
	Pass     bool            `json:"pass"`
	Seconds  float64         `json:"seconds"`
	Report   *metrics.Report `json:"report"`
}

func runDemo(c *ucli.Context) error {
	if err := NoArgs(c); err != nil {
		return err
	}
	s, err := demoSettingsOf(c)
	if err != nil {
		return err
	}
	out := c.String("out")
	if out == "" {
		out = filepath.Join("runs", "demo-"+time.Now().Format("20060102-150405"))
	}
	started := time.Now()
	cfg := allnet.DefaultTrainConfig()
	cfg.Model, cfg.Dataset, cfg.Out = "allnet-tiny", "synthetic", out
	cfg.SynthSize, cfg.SynthCount, cfg.SynthValCount = s.Size, s.TrainCount, s.ValCount
	cfg.Batch, cfg.Iters, cfg.LR, cfg.Warmup = s.Batch, max(s.Iters, minDemoIters), s.LR, s.Warmup
	cfg.WeightDecay, cfg.ClipNorm, cfg.PolyPower = s.WeightDecay, s.ClipNorm, s.PolyPower
	cfg.ScaleRange, cfg.DegradeScale, cfg.LossWeights = s.ScaleRange, s.DegradeScale, s.LossWeights
	cfg.SemsegClassBalance, cfg.Replicas, cfg.RestoreLoss = s.SemsegClassBalance, s.Replicas, s.RestoreLoss
	cfg.DegradeHead, cfg.DegradeWeights = s.DegradeHead, s.DegradeWeights
	cfg.EvalLimit, cfg.CkptEvery = s.EvalLimit, 0
	cfg.Workers, cfg.Seed = c.Int("workers"), uint64(c.Int64("seed"))
	if err := resolveTrain(c, cfg); err != nil {
		return err
	}
	for _, f := range []string{allnet.RunConfigFile, allnet.RunLastCkpt} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			return Errorf("--out %s already holds a run (%s): choose another --out", out, f)
		}
	}

	Logf(c, "demo: rendering %d training and %d validation scenes (%dx%d)", s.TrainCount, s.ValCount, s.Size[0], s.Size[1])
	sc := synth.Config{Like: synth.LikeNYUD, H: s.Size[0], W: s.Size[1]}
	trainDS, err := newCachedDataset(sc, cfg.SynthSeed, "train", s.TrainCount)
	if err != nil {
		return Errorf("demo: %v", err)
	}
	valDS, err := newCachedDataset(sc, cfg.SynthSeed, "val", s.ValCount)
	if err != nil {
		return Errorf("demo: %v", err)
	}
	Logf(c, "demo: rendered in %.1f s", time.Since(started).Seconds())
	if s.Iters == 0 {
		if s.Iters, s.Calibrated, err = calibrateIters(cfg, trainDS, valDS, s.TrainMinutes); err != nil {
			return Errorf("demo: %v", err)
		}
		Logf(c, "demo: this machine trains %.1f images/s: %d steps fit %g minutes (--iters %d repeats this run)",
			s.Calibrated, s.Iters, s.TrainMinutes, s.Iters)
	}
	cfg.Iters, cfg.EvalEvery, cfg.LogEvery = s.Iters, s.Iters, max(1, s.Iters/20)
	Logf(c, "demo: training allnet-tiny for %d steps of %d images on the CPU", s.Iters, s.Batch)

	var last *metrics.Report
	hooks := allnet.TrainHooks{TrainData: trainDS, ValData: valDS,
		Eval: func(m *allnet.Model, val data.Dataset, o allnet.EvalOptions) (*metrics.Report, error) {
			Logf(c, "demo: evaluating on the degraded validation images")
			rep, err := allnet.Evaluate(m, val, o, nil)
			last = rep
			return rep, err
		},
		Progress: func(p allnet.TrainProgress) {
			if p.Step%cfg.LogEvery == 0 || p.Step == p.StopAt {
				Logf(c, "demo: step %d/%d  loss %.4f  lr %.3g  %.2f images/s  ETA %s", p.Step, p.Iters, p.Loss, p.LR,
					p.ImagesPerSec, p.ETA.Round(time.Second))
			}
		}}
	in := watchInterrupts()
	defer in.stop()
	hooks.Context = in.ctx
	res, err := allnet.Train(cfg, hooks)
	if err != nil {
		return Errorf("demo: %v", err)
	}
	if res.Interrupted {
		return in.err("demo interrupted at step %d; the run folder is %s", res.Step, res.RunDir)
	}
	if last == nil {
		return Errorf("demo: training finished without an evaluation")
	}
	r := demoResult{RunDir: res.RunDir, Short: c.Bool("short"), Settings: s, Report: last}
	r.Checks = demoChecks(last, valDS, trainDS, s.EvalLimit)
	r.Pass = true
	for _, ch := range r.Checks {
		r.Pass = r.Pass && ch.Pass
	}
	r.Seconds = time.Since(started).Seconds()
	if err := writeJSONFile(filepath.Join(res.RunDir, "demo.json"), r); err != nil {
		return Errorf("demo: %v", err)
	}
	if c.Bool("json") {
		err = WriteJSON(Stdout(c), r)
	} else {
		err = writeDemoMarkdown(c, r)
	}
	if err != nil {
		return err
	}
	if !r.Pass && !r.Short && c.Bool("strict") {
		return Errorf("demo: not every threshold was met (see the table); the run folder is %s", r.RunDir)
	}
	return nil
}

// demoSettingsOf returns the defaults (or --short's) with the flags given.
func demoSettingsOf(c *ucli.Context) (demoSettings, error) {
	s := fullDemo
	if c.Bool("short") {
		s = shortDemo
	}
	ints := map[string]*int{"iters": &s.Iters, "batch": &s.Batch, "warmup": &s.Warmup, "train-count": &s.TrainCount, "val-count": &s.ValCount,
		"replicas": &s.Replicas}
	for n, p := range ints {
		if c.IsSet(n) {
			*p = c.Int(n)
		}
	}
	if c.IsSet("val-count") {
		s.EvalLimit = s.ValCount
	}
	if c.IsSet("lr") {
		s.LR = c.Float64("lr")
	}
	if c.IsSet("semseg-class-balance") {
		s.SemsegClassBalance = c.Float64("semseg-class-balance")
	}
	// TrainConfig.Validate checks these two (resolveTrain names the flag).
	if c.IsSet("restore-loss") {
		s.RestoreLoss = c.String("restore-loss")
	}
	if c.IsSet("degrade-head") {
		s.DegradeHead = c.Float64("degrade-head")
	}
	if w, set, err := degradeWeightsOf(c); err != nil {
		return s, err
	} else if set {
		s.DegradeWeights = w
	}
	if c.IsSet("restore-weight") {
		w := c.Float64("restore-weight")
		if !(w > 0) || math.IsInf(w, 0) {
			return s, UsageErrorf("--restore-weight %g: expected a positive number", w)
		}
		s.LossWeights = maps.Clone(s.LossWeights) // shared with shortDemo
		s.LossWeights[allnet.TaskRestore] = w
	}
	if c.IsSet("minutes") {
		if c.IsSet("iters") {
			return s, UsageErrorf("--minutes and --iters: give one (--iters fixes the step count, --minutes sizes it)")
		}
		s.TrainMinutes, s.Iters = c.Float64("minutes"), 0
		if !(s.TrainMinutes > 0 && s.TrainMinutes <= 24*60) {
			return s, UsageErrorf("--minutes %g: expected a positive number of minutes, at most a day", s.TrainMinutes)
		}
	}
	// A calibrated count is at least minDemoIters.
	iters := s.Iters
	if iters == 0 && s.TrainMinutes > 0 && !c.IsSet("iters") {
		iters = minDemoIters
	}
	f, set, err := degradeScaleOf(c)
	if err != nil {
		return s, err
	}
	if set {
		s.DegradeScale = f
	}
	if c.IsSet("size") {
		h, w, err := parseSize("--size", c.String("size"))
		if err != nil {
			return s, err
		}
		s.Size = [2]int{h, w}
	}
	switch {
	case iters < 1:
		return s, UsageErrorf("--iters %d: expected at least 1", s.Iters)
	case s.Batch < 1:
		return s, UsageErrorf("--batch %d: expected at least 1", s.Batch)
	case s.Warmup < 0 || s.Warmup >= iters:
		return s, UsageErrorf("--warmup %d: expected 0 <= warmup < iters (%d)", s.Warmup, iters)
	case !(s.LR > 0) || math.IsInf(s.LR, 0):
		return s, UsageErrorf("--lr %g: expected a positive number", s.LR)
	case s.Size[0] < 32 || s.Size[1] < 32:
		return s, UsageErrorf("--size %dx%d: expected H and W of at least 32", s.Size[0], s.Size[1])
	case s.TrainCount < 1 || s.TrainCount > synth.ValOffset:
		return s, UsageErrorf("--train-count %d: expected 1..%d", s.TrainCount, synth.ValOffset)
	case s.ValCount < 1 || s.ValCount > synth.ValOffset:
		return s, UsageErrorf("--val-count %d: expected 1..%d", s.ValCount, synth.ValOffset)
	case c.Int("workers") < 0:
		return s, UsageErrorf("--workers %d: expected >= 0 (0 = GOMAXPROCS)", c.Int("workers"))
	case c.Int64("seed") < 0:
		return s, UsageErrorf("--seed %d: expected a number >= 0", c.Int64("seed"))
	}
	return s, nil
}

// cachedDataset is a synthetic split rendered once: Load returns a copy of
// the stored sample (the loader's augmentation may modify what it gets).
type cachedDataset struct {
	data.Dataset
	samples []*data.Sample
}

// newCachedDataset renders the n scenes of split in parallel.
func newCachedDataset(cfg synth.Config, seed uint64, split string, n int) (*cachedDataset, error) {
	ds, err := synth.Open(cfg, seed, split, n)
	if err != nil {
		return nil, err
	}
	d := &cachedDataset{Dataset: ds, samples: make([]*data.Sample, n)}
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				d.samples[i], errs[i] = ds.Load(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Load returns a copy of sample i.
func (d *cachedDataset) Load(i int) (*data.Sample, error) {
	if i < 0 || i >= len(d.samples) {
		return d.Dataset.Load(i) // the underlying error
	}
	return d.samples[i].Clone(), nil
}

// demoChecks compares the report with the baselines computed from the
// ground truth of the first limit validation images: semseg by always the
// training set's majority class, depth by the training set's mean depth,
// restoration by the degraded input.
func demoChecks(rep *metrics.Report, val, train *cachedDataset, limit int) []demoCheck {
	var checks []demoCheck
	if limit <= 0 || limit > len(val.samples) {
		limit = len(val.samples)
	}
	vs := val.samples[:limit]
	if seg := rep.Tasks.Semseg; seg != nil {
		base := majorityMIoU(train.samples, vs, val.Info().Classes)
		v := float64(seg.MIoU)
		checks = append(checks, demoCheck{Name: "semseg mIoU", Value: metrics.Float(v), Baseline: metrics.Float(base),
			Want: "≥ 0.25 and ≥ 3 × baseline", Pass: v >= 0.25 && v >= 3*base})
	}
	if dep := rep.Tasks.Depth; dep != nil {
		base := meanDepthRMSE(train.samples, vs)
		v := float64(dep.RMSE)
		checks = append(checks, demoCheck{Name: "depth rmse", Value: metrics.Float(v), Baseline: metrics.Float(base),
			Want: "≤ 0.6 × baseline", Pass: v <= 0.6*base})
	}
	for _, t := range []string{"noise", "haze", "rain", "blur"} {
		row, ok := rep.ByDegradation[t]
		ch := demoCheck{Name: "restored PSNR, " + t, Value: metrics.NaN(), Baseline: metrics.NaN(), Want: "≥ input + 1 dB"}
		if ok && row.Restored != nil {
			ch.Value, ch.Baseline = row.Restored.PSNR, row.Restored.InputPSNR
			ch.Pass = ch.Value >= ch.Baseline+1
		}
		checks = append(checks, ch)
	}
	return checks
}

// majorityMIoU is the mIoU (as metrics.Segmentation computes it) of
// predicting the training set's most frequent class everywhere on val.
func majorityMIoU(train, val []*data.Sample, classes int) float64 {
	counts := make([]int64, classes)
	for _, s := range train {
		for _, l := range s.Semseg {
			if l >= 0 && int(l) < classes {
				counts[l]++
			}
		}
	}
	major := int32(0)
	for k, n := range counts {
		if n > counts[major] {
			major = int32(k)
		}
	}
	acc := metrics.NewSegmentation(classes)
	for _, s := range val {
		pred := make([]int32, len(s.Semseg))
		for i := range pred {
			pred[i] = major
		}
		if err := acc.Add(pred, s.Semseg, s.H(), s.W()); err != nil {
			return math.NaN()
		}
	}
	return float64(acc.Result().MIoU)
}

// meanDepthRMSE is the rmse (as metrics.Depth computes it) of predicting
// the training set's mean valid depth everywhere on val.
func meanDepthRMSE(train, val []*data.Sample) float64 {
	var sum float64
	var n int64
	for _, s := range train {
		for _, d := range s.Depth {
			if d > 0 {
				sum += float64(d)
				n++
			}
		}
	}
	mean := float32(sum / math.Max(float64(n), 1))
	acc := metrics.NewDepth()
	for _, s := range val {
		pred := make([]float32, len(s.Depth))
		for i := range pred {
			pred[i] = mean
		}
		if err := acc.Add(pred, s.Depth, s.H(), s.W()); err != nil {
			return math.NaN()
		}
	}
	return float64(acc.Result().RMSE)
}

func writeJSONFile(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteJSON(f, v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeDemoMarkdown(c *ucli.Context, r demoResult) error {
	w := Stdout(c)
	s := r.Settings
	fmt.Fprintf(w, "# ALLNet demo\n\nallnet-tiny, %d steps of %d synthetic %dx%d scenes (%d rendered), lr %g; "+
		"evaluated on %d degraded validation images; %.0f s in all.", s.Iters, s.Batch, s.Size[0], s.Size[1], s.TrainCount,
		s.LR, min(s.EvalLimit, s.ValCount), r.Seconds)
	if s.Calibrated > 0 {
		fmt.Fprintf(w, " The step count was sized to %g minutes of training at the %.1f images/s this machine "+
			"measured first (`--iters %d` repeats the run).", s.TrainMinutes, s.Calibrated, s.Iters)
	}
	fmt.Fprintf(w, "\n\n")
	fmt.Fprintf(w, "| check | value | baseline | want | result |\n|---|---|---|---|---|\n")
	for _, ch := range r.Checks {
		res := "FAIL"
		if ch.Pass {
			res = "PASS"
		}
		if r.Short {
			res += " (not checked: --short)"
		}
		fmt.Fprintf(w, "| %s | %.4g | %.4g | %s | %s |\n", ch.Name, float64(ch.Value), float64(ch.Baseline), ch.Want, res)
	}
	_, err := fmt.Fprintf(w, "\nBaselines: semseg always predicts the training set's majority class; depth predicts "+
		"its mean depth; restoration's is the degraded input.\n\nRun folder: %s\n", r.RunDir)
	return err
}

// calibrateIters' steps: calibrationWarm untimed, then calibrationSteps
// timed (12 timed steps once measured 61.5 images/s where the run then
// trained at 50, and the demo took 10.5 minutes; 40 take about 6 s).
const (
	calibrationWarm  = 4
	calibrationSteps = 40
)

// calibrateIters trains cfg for a few steps in a temporary run folder,
// times them, and returns the step count that fits minutes of training at
// that speed (demoIters) and the speed in images/s.
func calibrateIters(cfg allnet.TrainConfig, trainDS, valDS data.Dataset, minutes float64) (int, float64, error) {
	tmp, err := os.MkdirTemp("", "allnet-demo-calibration-")
	if err != nil {
		return 0, 0, fmt.Errorf("calibration: %v", err)
	}
	defer os.RemoveAll(tmp)
	cfg.Out = filepath.Join(tmp, "run")
	cfg.Iters, cfg.StopAt, cfg.Warmup = calibrationWarm+calibrationSteps, 0, 0
	cfg.EvalEvery, cfg.CkptEvery, cfg.LogEvery = 0, 0, calibrationWarm+calibrationSteps
	var from, to time.Time
	hooks := allnet.TrainHooks{TrainData: trainDS, ValData: valDS, Progress: func(p allnet.TrainProgress) {
		switch p.Step {
		case calibrationWarm:
			from = time.Now()
		case calibrationWarm + calibrationSteps:
			to = time.Now()
		}
	}}
	if _, err := allnet.Train(cfg, hooks); err != nil {
		return 0, 0, fmt.Errorf("calibration: %v", err)
	}
	rate := float64(calibrationSteps*cfg.Batch) / to.Sub(from).Seconds()
	return demoIters(rate, cfg.Batch, minutes), rate, nil
}

// demoIters is the step count of batch images that fits minutes at rate
// images/s: a multiple of 20 within [minDemoIters, maxDemoIters].
func demoIters(rate float64, batch int, minutes float64) int {
	n := int(minutes*60*rate/float64(batch)) / 20 * 20
	return min(max(n, minDemoIters), maxDemoIters)
}
