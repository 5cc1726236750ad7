package allnet

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/data"
	"allnet/data/degrade"
	"allnet/data/synth"
	"allnet/metrics"
)

// evalFixture is a fresh allnet-tiny (random weights) for a small in-memory
// synthetic split of 3 images at 64x96.
func evalFixture(t *testing.T, like string) (*Model, data.Dataset) {
	t.Helper()
	ds, err := synth.Open(synth.Config{Like: like, H: 64, W: 96}, 7, "val", 3)
	require.NoError(t, err)
	dataset := DatasetNYUD
	if like == synth.LikePASCAL {
		dataset = DatasetPASCAL
	}
	cfg := allnetTiny(t, dataset)
	cfg.SemsegClasses = ds.Info().Classes
	return NewModel(cfg, 1), ds
}

func finite(t *testing.T, what string, f metrics.Float) {
	t.Helper()
	require.Truef(t, f.Valid() && !math.IsInf(float64(f), 0), "%s = %v, want a finite value", what, f)
}

func TestEvaluateReportShape(t *testing.T) {
	m, ds := evalFixture(t, synth.LikeNYUD)
	var calls []int
	dir := t.TempDir()
	rep, err := Evaluate(m, ds, EvalOptions{Workers: 1, SavePred: dir}, func(done, total int) {
		require.Equal(t, 3, total)
		calls = append(calls, done)
	})
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3}, calls)
	require.Equal(t, "synthetic", rep.Dataset)
	require.Equal(t, "val", rep.Split)
	require.Equal(t, 3, rep.Count)

	check := func(where string, r metrics.TaskResults, images int) {
		require.NotNil(t, r.Semseg, where)
		require.NotNil(t, r.Depth, where)
		require.NotNil(t, r.Normals, where)
		require.NotNil(t, r.Edge, where)
		require.NotNil(t, r.Restored, where)
		require.Nil(t, r.Sal, where)
		require.Nil(t, r.Parts, where)
		require.Len(t, r.Semseg.PerClass, 13, where)
		require.Equal(t, images, r.Restored.Images, where)
		finite(t, where+" semseg mIoU", r.Semseg.MIoU)
		finite(t, where+" depth rmse", r.Depth.RMSE)
		finite(t, where+" normals mean", r.Normals.Mean)
		finite(t, where+" edge odsF", r.Edge.ODSF)
		finite(t, where+" restored psnr", r.Restored.PSNR)
		finite(t, where+" restored ssim", r.Restored.SSIM)
		finite(t, where+" input psnr", r.Restored.InputPSNR)
	}
	check("total", rep.Tasks, 3)

	// The rows per degradation are those of the seeded split.
	want := map[string]int{}
	for i := range ds.Len() {
		spec, err := degrade.ValSpec(0, ds.Name(i), degrade.AllTypes, degrade.DefaultOptions())
		require.NoError(t, err)
		want[string(spec.Type)]++
	}
	require.Len(t, rep.ByDegradation, len(want))
	for typ, n := range want {
		r, ok := rep.ByDegradation[typ]
		require.True(t, ok, "no row for %s", typ)
		check(typ, r, n)
	}

	// The prediction folder: every task, every image, and the split's specs.
	for _, task := range []string{"semseg", "depth", "normals", "edge", "restored"} {
		for i := range ds.Len() {
			ext := ".png"
			if task == "depth" || task == "normals" {
				ext = ".npy"
			}
			_, err := os.Stat(filepath.Join(dir, task, ds.Name(i)+ext))
			require.NoError(t, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "degradations.json"))
	require.NoError(t, err)
	specs, err := degrade.UnmarshalSpecs(b)
	require.NoError(t, err)
	require.Len(t, specs, 3)
	for i := range ds.Len() {
		spec, err := degrade.ValSpec(0, ds.Name(i), degrade.AllTypes, degrade.DefaultOptions())
		require.NoError(t, err)
		require.Equal(t, spec.Type, specs[ds.Name(i)].Type)
		require.Equal(t, spec.Seed, specs[ds.Name(i)].Seed)
	}
}

func TestEvaluateDeterministicAcrossWorkers(t *testing.T) {
	m, ds := evalFixture(t, synth.LikeNYUD)
	js := func(workers int) string {
		rep, err := Evaluate(m, ds, EvalOptions{Workers: workers, Seed: 3}, nil)
		require.NoError(t, err)
		b, err := json.Marshal(rep)
		require.NoError(t, err)
		return string(b)
	}
	require.Equal(t, js(1), js(3))
}

func TestEvaluateCleanAndLimit(t *testing.T) {
	m, ds := evalFixture(t, synth.LikePASCAL)
	rep, err := Evaluate(m, ds, EvalOptions{Clean: true, Limit: 2}, nil)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Count)
	require.Nil(t, rep.ByDegradation)
	r := rep.Tasks
	require.NotNil(t, r.Semseg)
	require.NotNil(t, r.Parts)
	require.NotNil(t, r.Sal)
	require.NotNil(t, r.Normals)
	require.NotNil(t, r.Edge)
	require.Nil(t, r.Depth)
	require.Equal(t, 2, r.Restored.Images)
	require.False(t, r.Restored.InputPSNR.Valid(), "clean evaluation has no degraded input")
	finite(t, "sal maxF", r.Sal.MaxF)
	finite(t, "parts mIoU", r.Parts.MIoU)
}

func TestEvaluateErrors(t *testing.T) {
	m, ds := evalFixture(t, synth.LikeNYUD)
	_, err := Evaluate(m, ds, EvalOptions{Limit: -1}, nil)
	require.ErrorContains(t, err, "limit -1")

	pascal, err := synth.Open(synth.Config{Like: synth.LikePASCAL, H: 64, W: 96}, 7, "val", 1)
	require.NoError(t, err)
	_, err = Evaluate(m, pascal, EvalOptions{}, nil)
	require.ErrorContains(t, err, "the model predicts depth")

	cfg := m.Config
	cfg.SemsegClasses = 40
	_, err = Evaluate(NewModel(cfg, 1), ds, EvalOptions{}, nil)
	require.ErrorContains(t, err, "40 semantic classes")
}
