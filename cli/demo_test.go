package cli

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/allnet"
	"allnet/data"
)

// tinyDemo are flags that make the demo run a few steps on tiny scenes.
var tinyDemo = []string{"--iters", "2", "--batch", "2", "--warmup", "0", "--train-count", "3", "--val-count", "2", "--size", "32x48"}

// TestDemoShortWritesRunFolder runs the --short path with a tiny budget:
// it completes, writes the run folder and demo.json, and --json prints
// only the result, with a check per threshold.
func TestDemoShortWritesRunFolder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	r := runCLI(t, append([]string{"demo", "--short", "--json", "--out", out}, tinyDemo...)...)
	require.Equal(t, 0, r.code, r.stderr)
	var res demoResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	require.Equal(t, out, res.RunDir)
	require.True(t, res.Short)
	require.Equal(t, 2, res.Settings.Iters)
	require.Equal(t, [2]int{32, 48}, res.Settings.Size)
	for _, f := range []string{allnet.RunConfigFile, allnet.RunLogFile, allnet.RunEvalFile, allnet.RunLastCkpt, "demo.json"} {
		require.FileExists(t, filepath.Join(out, f))
	}
	names := map[string]bool{}
	for _, ch := range res.Checks {
		names[ch.Name] = true
	}
	for _, n := range []string{"semseg mIoU", "depth rmse", "restored PSNR, noise", "restored PSNR, haze", "restored PSNR, rain", "restored PSNR, blur"} {
		require.True(t, names[n], "missing check %q in %v", n, res.Checks)
	}
	require.NotNil(t, res.Report)
	require.Equal(t, 2, res.Report.Count)
	b, err := os.ReadFile(filepath.Join(out, allnet.RunConfigFile))
	require.NoError(t, err)
	require.Contains(t, string(b), "allnet-tiny")
	// The augmentation does not rescale.
	require.Contains(t, string(b), "scale_range: [1, 1]")
	require.Contains(t, r.stderr, "demo: step 2/2")
}

// TestDemoFailsBelowThresholds: with --strict, a run that cannot meet the
// thresholds (two steps) still writes its folder and table, then exits 1;
// without it the same run reports FAIL rows and exits 0.
func TestDemoFailsBelowThresholds(t *testing.T) {
	lenient := runCLI(t, append([]string{"demo", "--out", filepath.Join(t.TempDir(), "run")}, tinyDemo...)...)
	require.Equal(t, 0, lenient.code, lenient.stderr)
	require.Contains(t, lenient.stdout, "FAIL")

	out := filepath.Join(t.TempDir(), "run")
	r := runCLI(t, append([]string{"demo", "--strict", "--out", out}, tinyDemo...)...)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stdout, "| semseg mIoU |")
	require.Contains(t, r.stdout, "FAIL")
	require.Contains(t, r.stdout, "Run folder: "+out)
	require.Contains(t, errorLine(t, r.stderr, `^demo: `), "not every threshold was met")
	require.FileExists(t, filepath.Join(out, "demo.json"))

	again := runCLI(t, append([]string{"demo", "--short", "--out", out}, tinyDemo...)...)
	require.Equal(t, 1, again.code, again.stderr)
	require.Contains(t, again.stderr, "already holds a run")
}

func TestDemoRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--iters", "0"},
		{"demo", "--batch", "-1"},
		{"demo", "--lr", "0"},
		{"demo", "--size", "16x16"},
		{"demo", "--size", "big"},
		{"demo", "--warmup", "5000"},
		{"demo", "--degrade-scale", "0"},
		{"demo", "--train-count", "0"},
		{"demo", "--val-count", "0"},
		{"demo", "--workers", "-2"},
		{"demo", "--minutes", "0"},
		{"demo", "--minutes", "2", "--iters", "100"},
		{"demo", "--semseg-class-balance", "-1"},
		{"demo", "--replicas", "9"},
		{"demo", "--restore-loss", "l2"},
		{"demo", "--restore-weight", "0"},
		{"demo", "--degrade-head", "-1"},
		{"demo", "--degrade-weights", "blur=x"},
		{"demo", "--degrade-weights", "noise=0,haze=0,rain=0,blur=0"},
	} {
		r := runCLI(t, args...)
		require.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, r.stderr, args[1], "the message names the flag")
		require.Empty(t, r.stdout)
	}
	r := runCLI(t, "demo", "extra")
	require.Equal(t, 2, r.code, r.stderr)
}

// TestDemoCalibratesIters runs the demo without --iters: a few timed
// steps size the step count to --minutes (here the floor, minDemoIters),
// which the log, demo.json and the run's config report.
func TestDemoCalibratesIters(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	r := runCLI(t, "demo", "--json", "--out", out, "--minutes", "0.001", "--batch", "2", "--warmup", "0",
		"--train-count", "3", "--val-count", "2", "--size", "32x48")
	require.Equal(t, 0, r.code, r.stderr)
	var res demoResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	require.Equal(t, minDemoIters, res.Settings.Iters)
	require.Positive(t, res.Settings.Calibrated)
	require.Contains(t, r.stderr, "images/s: 300 steps fit 0.001 minutes (--iters 300 repeats this run)")
	require.Contains(t, r.stderr, "demo: step 300/300")
	b, err := os.ReadFile(filepath.Join(out, allnet.RunConfigFile))
	require.NoError(t, err)
	require.Contains(t, string(b), "iters: 300")
	require.Contains(t, string(b), "replicas: 2")
	require.Contains(t, string(b), "semseg_class_balance: 0.5")
}

func TestDemoIters(t *testing.T) {
	require.Equal(t, 2240, demoIters(40, 8, 7.5)) // 2,250 steps fit; a multiple of 20
	require.Equal(t, 900, demoIters(16, 8, 7.5))
	require.Equal(t, minDemoIters, demoIters(1, 8, 7.5))
	require.Equal(t, maxDemoIters, demoIters(1e4, 8, 7.5))
}

// TestDemoBaselines checks the majority-class mIoU and mean-depth rmse on
// hand-made samples.
func TestDemoBaselines(t *testing.T) {
	s := func(seg []int32, depth []float32) *data.Sample {
		return &data.Sample{Image: data.Image{C: 3, H: 1, W: 4}, Semseg: seg, Depth: depth}
	}
	train := []*data.Sample{s([]int32{2, 2, 2, 1}, []float32{1, 1, 3, 3})} // majority 2, mean depth 2
	val := []*data.Sample{s([]int32{2, 1, 0, 2}, []float32{2, 4, 0, 0})}   // depth 0 = invalid
	// class 2: TP 2, FP 2 -> IoU 0.5; classes 0 and 1: IoU 0; mean over 3 classes.
	require.InDelta(t, 0.5/3, majorityMIoU(train, val, 4), 1e-12)
	require.InDelta(t, math.Sqrt((0+4)/2.0), meanDepthRMSE(train, val), 1e-6)
}
