package allnet

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/data"
	"allnet/metrics"
)

// fakeGT is a 2-image, 4x4 dataset with semseg (3 classes) and depth only.
type fakeGT struct{ samples []*data.Sample }

func (f fakeGT) Len() int                         { return len(f.samples) }
func (f fakeGT) Name(i int) string                { return f.samples[i].Name }
func (f fakeGT) Load(i int) (*data.Sample, error) { return f.samples[i].Clone(), nil }
func (f fakeGT) Info() data.Info {
	return data.Info{Dataset: "synthetic", Split: "val", Tasks: []string{TaskSemseg, TaskDepth}, Classes: 3, Size: [2]int{4, 4}}
}

// newFakeGT: image 1 has 10 pixels of class 0, 5 of class 1, 1 ignored,
// depth 2 m except 4 invalid (0) pixels; image 2 has 6 of class 0, 10 of
// class 1, depth 4 m everywhere. Class 2 never occurs.
func newFakeGT() fakeGT {
	mk := func(name string, seg []int32, depth []float32) *data.Sample {
		im := data.NewImage(3, 4, 4)
		for i := range im.Pix {
			im.Pix[i] = 0.5
		}
		return &data.Sample{Name: name, Image: im, Semseg: seg, Depth: depth}
	}
	seg1, d1 := make([]int32, 16), make([]float32, 16)
	for i := range 16 {
		switch {
		case i < 10:
			seg1[i] = 0
		case i < 15:
			seg1[i] = 1
		default:
			seg1[i] = data.Ignore
		}
		d1[i] = 2
		if i%4 == 0 {
			d1[i] = 0
		}
	}
	seg2, d2 := make([]int32, 16), make([]float32, 16)
	for i := range 16 {
		if i >= 6 {
			seg2[i] = 1
		}
		d2[i] = 4
	}
	return fakeGT{[]*data.Sample{mk("a", seg1, d1), mk("b", seg2, d2)}}
}

func TestComputeBaselines(t *testing.T) {
	ds := newFakeGT()
	b, err := ComputeBaselines(ds, 0, 1)
	require.NoError(t, err)
	require.NotNil(t, b.MajorityClass)
	// Class 0: 16 pixels, class 1: 15, N = 31; predicting 0 everywhere:
	// IoU_0 = 16/31, IoU_1 = 0, class 2 absent -> mIoU = 8/31.
	assert.Equal(t, 0, *b.MajorityClass)
	assert.InDelta(t, 8.0/31, float64(*b.MajorityMIoU), 1e-12)
	// 12 valid pixels at 2 m, 16 at 4 m: mean 22/7, deviations -8/7 and 6/7.
	assert.InDelta(t, 22.0/7, float64(*b.MeanDepth), 1e-12)
	assert.InDelta(t, math.Sqrt((12*64.0/49+16*36.0/49)/28), float64(*b.MeanDepthRMSE), 1e-12)

	// The same numbers from the metrics package fed constant predictions.
	seg, dep := metrics.NewSegmentation(3), metrics.NewDepth()
	for _, s := range ds.samples {
		pred := make([]int32, 16)
		pd := make([]float32, 16)
		for i := range pd {
			pd[i] = float32(22.0 / 7)
		}
		require.NoError(t, seg.Add(pred, s.Semseg, 4, 4))
		require.NoError(t, dep.Add(pd, s.Depth, 4, 4))
	}
	assert.InDelta(t, float64(seg.Result().MIoU), float64(*b.MajorityMIoU), 1e-12)
	assert.InDelta(t, float64(dep.Result().RMSE), float64(*b.MeanDepthRMSE), 1e-6)

	// Limit 1: image 1 only: class 0 10/15 -> mIoU 1/3; depth constant.
	b, err = ComputeBaselines(ds, 1, 1)
	require.NoError(t, err)
	assert.InDelta(t, 1.0/3, float64(*b.MajorityMIoU), 1e-12)
	assert.InDelta(t, 0, float64(*b.MeanDepthRMSE), 1e-12)
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	b, err := ComputeBaselines(newFakeGT(), 0, 1)
	require.NoError(t, err)
	line := (`{"step": 8, "count": 2, "tasks": {"semseg": {"mIoU": 0.4321}, "depth": {"rmse": 0.5}, "restored": {"psnr": 25.5, "input_psnr": 21.25}}, ` +
		`"by_degradation": {"haze": {"semseg": {"mIoU": 0.3}, "restored": {"psnr": 24, "input_psnr": 20}}}, "main_metric": "semseg", ` +
		`"delta_mtl": {"per_task": {"semseg": 0.1}, "mean": 0.1}}`)
	require.NoError(t, os.WriteFile(filepath.Join(dir, RunEvalFile), []byte(line+"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, RunLogFile), []byte(
		`{"step": 1, "lr": 0.001, "loss": 3, "terms": {"semseg": 2, "depth": 1}}`+"\n"+
			`{"step": 2, "lr": 0.0005, "loss": 1, "terms": {"semseg": 0.5, "depth": 0.5}}`+"\n"), 0o644))
	cfg := tinyTrainConfig(dir)
	cfg, err = cfg.Resolve()
	require.NoError(t, err)
	s := RunSummary{Config: cfg, Result: TrainResult{FirstStep: 1, Step: 8, Iters: 8, Loss: 0.5, BestValue: 0.4321, BestStep: 8, Seconds: 4},
		ImagesPerSec: 4, BestCriteria: "semseg mIoU"}
	require.NoError(t, WriteReport(dir, s, b))
	md, err := os.ReadFile(filepath.Join(dir, RunReport))
	require.NoError(t, err)
	text := string(md)
	for _, want := range []string{
		"| preset | allnet-tiny |", "| steps | 1-8 of 8 (batch 2) |", "| speed | 4.00 images/s |",
		"| semseg | mIoU ↑ | 43.21 % | 25.81 % (always class 0) |",
		"| depth | rmse ↓ | 0.5000 m | 0.9897 m (always the mean, 3.143 m) |",
		"| restored | PSNR ↑ | 25.50 dB | 21.25 dB (the degraded input) |",
		"| haze | 30.00 % | n/a | 24.00 dB | 20.00 dB |",
		"**Delta_MTL: +10.00 %**", "(curves.png)", "(panels/)",
	} {
		assert.Contains(t, text, want)
	}
	assert.True(t, strings.HasPrefix(text, "# Training run "))

	require.NoError(t, WriteCurves(dir))
	st, err := os.Stat(filepath.Join(dir, RunCurves))
	require.NoError(t, err)
	assert.Greater(t, st.Size(), int64(1000))
}
