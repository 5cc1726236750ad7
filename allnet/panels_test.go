package allnet

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/data"
	"allnet/metrics"
)

// TestTrainArtefacts: a tiny run evaluating at steps 2 and 4 writes
// panels, curves.png and report.md, and eval.jsonl carries the baselines.
func TestTrainArtefacts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cfg := tinyTrainConfig(dir)
	cfg.EvalEvery, cfg.EvalLimit = 2, 2
	res, err := Train(cfg, TrainHooks{})
	require.NoError(t, err)
	require.Equal(t, 4, res.Step)
	for _, f := range []string{"panels/step_000002.png", "panels/step_000004.png", "panels/latest.png", RunCurves} {
		fh, err := os.Open(filepath.Join(dir, f))
		require.NoError(t, err, f)
		m, err := png.Decode(fh)
		fh.Close()
		require.NoError(t, err, f)
		if f == "panels/latest.png" {
			// Two rows (EvalLimit 2 < PanelImages: the val split has 2
			// images) of 48-wide tiles: degraded, restored, clean and a
			// prediction + ground truth per task.
			tiles := 3 + 2*len(resolvedTasks(cfg))
			assert.Equal(t, tiles*48+(tiles-1)*4, m.Bounds().Dx())
			assert.Equal(t, 2*(32+16)+4, m.Bounds().Dy())
		}
	}
	_, evals, err := ReadRunLogs(dir)
	require.NoError(t, err)
	require.Len(t, evals, 2)
	require.NotNil(t, evals[1].Baselines)
	require.NotNil(t, evals[1].Baselines.MajorityMIoU)
	require.NotNil(t, evals[1].Baselines.MeanDepthRMSE)
	md, err := os.ReadFile(filepath.Join(dir, RunReport))
	require.NoError(t, err)
	assert.Contains(t, string(md), "## Evaluation at step 4")
	assert.Contains(t, string(md), "(always the mean,")
}

// resolvedTasks returns the tasks a run of cfg predicts.
func resolvedTasks(cfg TrainConfig) []string {
	c, _ := cfg.Resolve()
	return c.Tasks
}

// TestTrainBestByDeltaMTL: with a baseline, best.safetensors follows
// Delta_MTL, which here disagrees with the main metric (semseg).
func TestTrainBestByDeltaMTL(t *testing.T) {
	// Fake evaluations: step 2 has the better semseg, step 4 the better
	// Delta_MTL against the baseline (semseg 0.5, PSNR 20):
	// step 2: (0 - 0.5)/2 = -0.25; step 4: (-0.2 + 0.5)/2 = +0.15.
	calls := 0
	eval := func(m *Model, val data.Dataset, o EvalOptions) (*metrics.Report, error) {
		calls++
		seg, psnr := 0.5, 10.0
		if calls == 2 {
			seg, psnr = 0.4, 30
		}
		return &metrics.Report{Dataset: "synthetic", Split: "val", Count: 2, Tasks: metrics.TaskResults{
			Semseg: &metrics.SegResult{MIoU: metrics.Float(seg)}, Restored: &metrics.RestorationResult{PSNR: metrics.Float(psnr)}}}, nil
	}
	base := &metrics.Report{Tasks: metrics.TaskResults{Semseg: &metrics.SegResult{MIoU: 0.5}, Restored: &metrics.RestorationResult{PSNR: 20}}}
	for _, tc := range []struct {
		baseline *metrics.Report
		metric   string
		step     int
		value    float64
	}{{nil, "semseg", 2, 0.5}, {base, "delta_mtl", 4, 0.15}} {
		calls = 0
		dir := filepath.Join(t.TempDir(), "run")
		cfg := tinyTrainConfig(dir)
		cfg.EvalEvery, cfg.EvalLimit = 2, 1
		res, err := Train(cfg, TrainHooks{Eval: eval, Baseline: tc.baseline, BaselineName: "single.json"})
		require.NoError(t, err)
		assert.Equal(t, tc.metric, res.BestMetric)
		assert.Equal(t, tc.step, res.BestStep, tc.metric)
		assert.InDelta(t, tc.value, res.BestValue, 1e-12)
		_, meta, _, err := LoadModelCheckpoint(filepath.Join(dir, RunBestCkpt))
		require.NoError(t, err)
		assert.Equal(t, tc.step, meta.Step, "best.safetensors is from the best step")
		assert.Equal(t, tc.metric, meta.Extra["best_metric"])
		_, evals, err := ReadRunLogs(dir)
		require.NoError(t, err)
		require.Len(t, evals, 2)
		if tc.baseline != nil {
			require.NotNil(t, evals[1].DeltaMTL)
			assert.InDelta(t, 0.15, float64(evals[1].DeltaMTL.Mean), 1e-12)
			md, err := os.ReadFile(filepath.Join(dir, RunReport))
			require.NoError(t, err)
			assert.Contains(t, string(md), "best by Delta_MTL vs single.json")
			assert.Contains(t, string(md), "**Delta_MTL: +15.00 %**")
		} else {
			assert.Nil(t, evals[1].DeltaMTL)
		}
	}
}
