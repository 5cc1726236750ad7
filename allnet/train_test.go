package allnet

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/data/degrade"
	"allnet/data/loader"
	"allnet/data/transform"
	"allnet/engine"
	"allnet/nn"
)

// tinyTrainConfig is allnet-tiny on 32x48 synthetic scenes, batch 2, 4
// steps: fast enough for unit tests.
func tinyTrainConfig(out string) TrainConfig {
	c := DefaultTrainConfig()
	c.Model, c.Dataset, c.Out = "allnet-tiny", "synthetic", out
	c.SynthSize, c.SynthCount, c.SynthValCount = [2]int{32, 48}, 4, 2
	c.Batch, c.Iters, c.Warmup, c.LR = 2, 4, 1, 1e-3
	c.Workers, c.EvalEvery, c.CkptEvery, c.LogEvery = 2, 0, 0, 1
	return c
}

// stateOf returns a copy of every model tensor in a checkpoint, as float32
// bits, by name.
func stateOf(t *testing.T, path string) map[string][]float32 {
	m, _, _, err := LoadModelCheckpoint(path)
	require.NoError(t, err)
	out := map[string][]float32{}
	for k, v := range nn.StateDict(m) {
		out[k] = v.Cast(engine.Float32).Float32s()
	}
	return out
}

// bitEqual reports whether two states hold the same tensors bit for bit.
func bitEqual(a, b map[string][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok || len(va) != len(vb) {
			return false
		}
		for i := range va {
			if math.Float32bits(va[i]) != math.Float32bits(vb[i]) {
				return false
			}
		}
	}
	return true
}

func logSteps(t *testing.T, path string) []int {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var steps []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l struct {
			Step  int
			Terms map[string]float64
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l))
		require.Contains(t, l.Terms, TaskRestore)
		steps = append(steps, l.Step)
	}
	return steps
}

func TestTrainResumeIsExact(t *testing.T) {
	dir := t.TempDir()
	full, split := filepath.Join(dir, "full"), filepath.Join(dir, "split")
	res, err := Train(tinyTrainConfig(full), TrainHooks{})
	require.NoError(t, err)
	require.Equal(t, 4, res.Step)
	want := stateOf(t, filepath.Join(full, RunLastCkpt))

	c := tinyTrainConfig(split)
	c.StopAt = 2
	res, err = Train(c, TrainHooks{})
	require.NoError(t, err)
	require.Equal(t, 2, res.Step)
	half := stateOf(t, filepath.Join(split, RunLastCkpt))
	require.False(t, bitEqual(half, want), "2 steps already equal 4 steps: the test cannot tell")
	corrupt := filepath.Join(dir, "corrupt")
	require.NoError(t, exec.Command("cp", "-r", split, corrupt).Run())

	// Resume with the config as the CLI would read it back from config.yaml.
	rc, err := ReadTrainConfig(filepath.Join(split, RunConfigFile), DefaultTrainConfig())
	require.NoError(t, err)
	rc.StopAt = 0
	res, err = Train(rc, TrainHooks{Resume: true})
	require.NoError(t, err)
	require.Equal(t, 3, res.FirstStep)
	require.Equal(t, 4, res.Step)
	require.True(t, bitEqual(stateOf(t, filepath.Join(split, RunLastCkpt)), want), "resumed run differs from the uninterrupted one")
	require.Equal(t, []int{1, 2, 3, 4}, logSteps(t, filepath.Join(split, RunLogFile)))

	// Corrupting the saved Adam moments changes the result: they are
	// really restored.
	p := filepath.Join(corrupt, RunLastCkpt)
	ts, md, err := engine.LoadCheckpoint(p)
	require.NoError(t, err)
	n := 0
	for k, v := range ts {
		if strings.HasPrefix(k, "optim.exp_avg.") {
			ts[k] = engine.Scale(v, -3)
			n++
		}
	}
	require.Positive(t, n)
	require.NoError(t, engine.SaveCheckpoint(p, ts, md))
	rc.Out = corrupt
	_, err = Train(rc, TrainHooks{Resume: true})
	require.NoError(t, err)
	require.False(t, bitEqual(stateOf(t, p), want), "corrupted moments gave the same weights")

	// Resuming a finished run, or changing the schedule, is refused.
	rc.Out = split
	_, err = Train(rc, TrainHooks{Resume: true})
	require.ErrorContains(t, err, "nothing to do")
	rc.LR *= 2
	rc.Out = corrupt
	_, err = Train(rc, TrainHooks{Resume: true})
	require.Error(t, err)
}

func TestTrainNonFiniteLossKeepsLastCheckpoint(t *testing.T) {
	out := t.TempDir()
	c := tinyTrainConfig(out)
	c.CkptEvery = 1
	hook := func(step int, b *loader.Batch) {
		if step == 3 {
			b.Images[5] = float32(math.NaN())
		}
	}
	var hashAt2 [32]byte
	progress := func(p TrainProgress) {
		if p.Step == 2 {
			b, err := os.ReadFile(filepath.Join(out, RunLastCkpt))
			require.NoError(t, err)
			hashAt2 = sha256.Sum256(b)
		}
	}
	_, err := Train(c, TrainHooks{Batch: hook, Progress: progress})
	require.Error(t, err)
	require.Contains(t, err.Error(), "step 3")
	require.Contains(t, err.Error(), "loss term")
	require.Contains(t, err.Error(), "non-finite")
	b, err := os.ReadFile(filepath.Join(out, RunLastCkpt))
	require.NoError(t, err)
	require.Equal(t, hashAt2, sha256.Sum256(b), "last.safetensors changed after the bad step")
	_, meta, _, err := LoadModelCheckpoint(filepath.Join(out, RunLastCkpt))
	require.NoError(t, err)
	require.Equal(t, 2, meta.Step)
}

func TestTrainConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		edit  func(*TrainConfig)
		field string
	}{
		{func(c *TrainConfig) { c.Model = "resnet" }, "model"},
		{func(c *TrainConfig) { c.Dataset = "coco" }, "dataset"},
		{func(c *TrainConfig) { c.Dataset = "nyud" }, "root"},
		{func(c *TrainConfig) { c.Tasks = []string{"parts"} }, "tasks"},
		{func(c *TrainConfig) { c.Batch = 0 }, "batch"},
		{func(c *TrainConfig) { c.StopAt = 9 }, "stop_at"},
		{func(c *TrainConfig) { c.LR = -1 }, "lr"},
		{func(c *TrainConfig) { c.Warmup = 4 }, "warmup"},
		{func(c *TrainConfig) { c.Crop = [2]int{32, 0} }, "crop"},
		{func(c *TrainConfig) { c.ScaleRange = [2]float64{1.5, 1} }, "scale_range"},
		{func(c *TrainConfig) { c.ScaleRange = [2]float64{0, 2} }, "scale_range"},
		{func(c *TrainConfig) { c.DegradeScale = -0.5 }, "degrade_scale"},
		{func(c *TrainConfig) { c.BlurOnDevice = "gpu" }, "blur_on_device"},
		{func(c *TrainConfig) { c.SemsegClassBalance = -1 }, "semseg_class_balance"},
		{func(c *TrainConfig) { c.SemsegClassBalance = math.NaN() }, "semseg_class_balance"},
		{func(c *TrainConfig) { c.SemsegClassBalance, c.Tasks = 0.5, []string{TaskDepth} }, "semseg_class_balance"},
		{func(c *TrainConfig) { c.RestoreLoss = "l2" }, "restore_loss"},
		{func(c *TrainConfig) { c.DegradeHead = -0.1 }, "degrade_head"},
		{func(c *TrainConfig) { c.DegradeHead = math.NaN() }, "degrade_head"},
		{func(c *TrainConfig) { c.DegradeWeights = map[string]float64{"fog": 1} }, "degrade_weights"},
		{func(c *TrainConfig) { c.DegradeWeights = map[string]float64{"clean": 1} }, "degrade_weights"},
		{func(c *TrainConfig) { c.DegradeWeights = map[string]float64{"blur": -1} }, "degrade_weights"},
		{func(c *TrainConfig) { c.DegradeWeights = map[string]float64{"blur": math.Inf(1)} }, "degrade_weights"},
		{func(c *TrainConfig) {
			c.DegradeWeights = map[string]float64{"noise": 0, "haze": 0, "rain": 0, "blur": 0}
		}, "degrade_weights"},
		{func(c *TrainConfig) { c.LogEvery = 0 }, "log_every"},
		{func(c *TrainConfig) { c.Out = "" }, "out"},
	} {
		c := tinyTrainConfig("x")
		tc.edit(&c)
		_, err := c.Resolve()
		require.Error(t, err, tc.field)
		require.Contains(t, err.Error(), tc.field+" is", tc.field)
	}
	c, err := tinyTrainConfig("x").Resolve()
	require.NoError(t, err)
	require.Equal(t, 4, c.StopAt)
	require.Equal(t, TaskSemseg, c.MainMetric)
	c.Tasks = []string{TaskDepth}
	c.MainMetric = ""
	c, err = c.Resolve()
	require.NoError(t, err)
	require.Equal(t, "restored", c.MainMetric)
	// scale_range replaces only the augmentation's scales.
	require.Equal(t, transform.DefaultOptions(), c.augment())
	c.ScaleRange = [2]float64{1, 1.25}
	want := transform.DefaultOptions()
	want.ScaleMin, want.ScaleMax = 1, 1.25
	require.Equal(t, want, c.augment())
	// degrade_scale scales the default degradation ranges (0 and 1: the
	// loader's defaults).
	require.Equal(t, degrade.Options{}, c.DegradeOptions())
	c.DegradeScale = 0.5
	require.Equal(t, degrade.DefaultOptions().Scaled(0.5), c.DegradeOptions())
	// degrade_weights weigh the training types in degrade.AllTypes' order
	// (unnamed ones 1), with the scaled ranges or the defaults.
	require.Nil(t, c.trainDegradeOptions().Weights)
	c.DegradeWeights = map[string]float64{"blur": 3, "noise": 0.5}
	o := c.trainDegradeOptions()
	require.Equal(t, []float64{0.5, 1, 1, 3}, o.Weights)
	o.Weights = nil
	require.Equal(t, degrade.DefaultOptions().Scaled(0.5), o)
	c.DegradeScale = 0
	require.Equal(t, []float64{0.5, 1, 1, 3}, c.trainDegradeOptions().Weights)
	require.Equal(t, degrade.DefaultBlur(), c.trainDegradeOptions().Blur)
}

func TestTrainSingleTaskAndExistingRun(t *testing.T) {
	out := t.TempDir()
	c := tinyTrainConfig(out)
	c.Tasks, c.Iters, c.Warmup = []string{TaskDepth}, 1, 0
	_, err := Train(c, TrainHooks{})
	require.NoError(t, err)
	m, meta, opt, err := LoadModelCheckpoint(filepath.Join(out, RunLastCkpt))
	require.NoError(t, err)
	require.Equal(t, []string{TaskDepth}, m.Config.Tasks)
	require.Equal(t, 1, meta.Step)
	require.NotEmpty(t, opt)
	_, err = Train(c, TrainHooks{})
	require.ErrorContains(t, err, "already holds a run")
}

func TestTrainInterruptAndEval(t *testing.T) {
	out := t.TempDir()
	c := tinyTrainConfig(out)
	c.EvalEvery, c.EvalLimit = 1, 2
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Train(c, TrainHooks{Context: ctx, Progress: func(p TrainProgress) {
		if p.Step == 2 {
			cancel()
		}
	}})
	require.NoError(t, err)
	require.True(t, res.Interrupted)
	require.Equal(t, 2, res.Step)
	_, meta, _, err := LoadModelCheckpoint(filepath.Join(out, RunLastCkpt))
	require.NoError(t, err)
	require.Equal(t, 2, meta.Step)
	ev, err := os.ReadFile(filepath.Join(out, RunEvalFile))
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(string(ev), "\n"))
	require.Contains(t, string(ev), `"main_metric":"semseg"`)
	require.FileExists(t, filepath.Join(out, RunBestCkpt))
	require.False(t, math.IsNaN(res.BestValue))
}

// TestTrainRefusesOneValuePerChannel checks the batch-norm guard: batch 1
// of 32x32 scenes leaves allnet-tiny's 1/32-scale batch norms one value
// per channel, which is refused up front (no run folder) with a message
// naming the fix; batch 2 trains.
func TestTrainRefusesOneValuePerChannel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cfg := tinyTrainConfig(dir)
	cfg.Batch, cfg.SynthSize, cfg.Iters, cfg.Warmup = 1, [2]int{32, 32}, 1, 0
	_, err := Train(cfg, TrainHooks{})
	require.ErrorContains(t, err, "one value per channel")
	require.ErrorContains(t, err, "batch >= 2")
	require.NoDirExists(t, dir)
	cfg.Batch = 2
	_, err = Train(cfg, TrainHooks{})
	require.NoError(t, err)
}
