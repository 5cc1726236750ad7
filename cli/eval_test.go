package cli

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/data"
	"allnet/data/degrade"
	"allnet/data/format"
	"allnet/metrics"
)

var allMemTasks = []string{"semseg", "parts", "depth", "normals", "sal", "edge", "restored"}

func evalMem(t *testing.T, ds data.Dataset, dir string, specs map[string]degrade.Spec, workers int) *metrics.Report {
	t.Helper()
	rep, err := evaluatePred(evalJob{ds: ds, dir: dir, tasks: allMemTasks, specs: specs, workers: workers})
	require.NoError(t, err)
	return rep
}

func TestEvalPerfectPredictions(t *testing.T) {
	ds := newMemDataset(3)
	dir := t.TempDir()
	writeDatasetPreds(t, ds, dir, nil)
	rep := evalMem(t, ds, dir, nil, 2)
	r := rep.Tasks
	assert.Equal(t, 3, rep.Count)
	assert.Equal(t, metrics.Float(1), r.Semseg.MIoU)
	assert.Equal(t, []int{2}, r.Semseg.Absent, "class 2 occurs in neither GT nor prediction")
	assert.Equal(t, metrics.Float(1), r.Parts.MIoU)
	assert.Equal(t, metrics.Float(0), r.Depth.RMSE)
	assert.Equal(t, int64(3*(memH*memW-1)), r.Depth.Pixels, "the invalid pixel is left out")
	assert.Equal(t, metrics.Float(0), r.Normals.Mean)
	assert.Equal(t, metrics.Float(1), r.Sal.MaxF)
	assert.InDelta(t, 1, float64(r.Edge.ODSF), 1e-9)
	assert.InDelta(t, 1, float64(r.Edge.OISF), 1e-9)
	assert.Equal(t, metrics.Float(metrics.MaxPSNR), r.Restored.PSNR)
	assert.InDelta(t, 1, float64(r.Restored.SSIM), 1e-12)
	assert.False(t, r.Restored.InputPSNR.Valid(), "no degradations.json: no degraded input to score")
	assert.Nil(t, rep.ByDegradation)
}

// TestEvalPerturbedHandChecked scores predictions whose metrics follow by
// hand from the sample layout of newMemDataset (320 pixels per image, one
// of them ignored or invalid).
func TestEvalPerturbedHandChecked(t *testing.T) {
	ds := newMemDataset(2)
	dir := t.TempDir()
	p := predWriter{t, dir}
	hw := memH * memW
	for _, s := range ds.samples {
		zeros := make([]int32, hw)
		p.labels("semseg", s.Name, memH, memW, zeros)
		p.labels("parts", s.Name, memH, memW, zeros)
		dep := make([]float32, hw)
		nor := make([]float32, 3*hw)
		ones := make([]float32, hw)
		for y := range memH {
			for x := range memW {
				i := y*memW + x
				dep[i] = 3
				if x < 10 {
					nor[2*hw+i] = 1 // = GT: 0 degrees
				} else {
					nor[i] = 1 // (1, 0, 0): 90 degrees
				}
				ones[i] = 1
			}
		}
		p.depth(s.Name, memH, memW, dep)
		p.normals(s.Name, memH, memW, nor)
		p.unit("sal", s.Name, memH, memW, ones)                 // everything salient
		p.unit("edge", s.Name, memH, memW, make([]float32, hw)) // no edge at all
		shifted := s.Image.Clone()
		for i := range shifted.Pix {
			shifted.Pix[i] += 10.0 / 255
		}
		p.restored(s.Name, shifted)
	}
	r := evalMem(t, ds, dir, nil, 3).Tasks

	// semseg: class 0 has 159 GT pixels (one ignored), class 1 160; all
	// predicted 0: IoU0 = 159/319, IoU1 = 0, class 2 absent.
	assert.InDelta(t, 159.0/319/2, float64(r.Semseg.MIoU), 1e-12)
	assert.InDelta(t, 159.0/319, float64(r.Semseg.PixelAcc), 1e-12)
	// parts: 160 pixels of 0 and 160 of 2, all predicted 0.
	assert.InDelta(t, 0.25, float64(r.Parts.MIoU), 1e-12)
	assert.Len(t, r.Parts.Absent, 5)
	// depth 3 against 2.
	assert.InDelta(t, 1, float64(r.Depth.RMSE), 1e-12)
	assert.InDelta(t, 0.5, float64(r.Depth.AbsRel), 1e-12)
	assert.InDelta(t, math.Log(1.5), float64(r.Depth.LogRMSE), 1e-7)
	// normals: 159 valid pixels at 0 degrees, 160 at 90.
	assert.InDelta(t, 90.0*160/319, float64(r.Normals.Mean), 1e-9)
	assert.InDelta(t, 90, float64(r.Normals.Median), 1e-3)
	assert.InDelta(t, math.Sqrt(8100.0*160/319), float64(r.Normals.RMSE), 1e-9)
	assert.InDelta(t, 159.0/319, float64(r.Normals.Within30), 1e-12)
	// sal: P = 0.5, R = 1 at every threshold.
	assert.InDelta(t, 1.3*0.5/(0.3*0.5+1), float64(r.Sal.MaxF), 1e-12)
	assert.InDelta(t, 1.0/255, float64(r.Sal.Threshold), 1e-12)
	// edge: nothing predicted: R = 0 at every threshold.
	assert.Equal(t, metrics.Float(0), r.Edge.ODSF)
	assert.Equal(t, metrics.Float(0), r.Edge.OISF)
	// restored: every value off by 10/255.
	assert.InDelta(t, 20*math.Log10(25.5), float64(r.Restored.PSNR), 1e-4)
	assert.Less(t, float64(r.Restored.SSIM), 1.0)
}

func TestEvalDeterministicAcrossWorkers(t *testing.T) {
	ds := newMemDataset(7)
	dir := t.TempDir()
	writeDatasetPreds(t, ds, dir, rand.New(rand.NewPCG(1, 2)))
	specs := map[string]degrade.Spec{}
	for i, s := range ds.samples {
		spec, err := degrade.ValSpec(uint64(i), s.Name, degrade.AllTypes, degrade.DefaultOptions())
		require.NoError(t, err)
		specs[s.Name] = spec
	}
	var want []byte
	for _, workers := range []int{1, 3, 7, 16} {
		b, err := json.Marshal(evalMem(t, ds, dir, specs, workers))
		require.NoError(t, err)
		if want == nil {
			want = b
			continue
		}
		require.Equal(t, string(want), string(b), "--workers %d gives another report than --workers 1", workers)
	}
}

// TestEvalDegradationRows checks the per-type rows and the degraded inputs
// synthesised from degradations.json: haze, with constant depth 2 m, has
// PSNR computable by hand from J t + A (1 - t).
func TestEvalDegradationRows(t *testing.T) {
	ds := newMemDataset(4)
	dir := t.TempDir()
	writeDatasetPreds(t, ds, dir, nil)
	haze := []degrade.HazeParams{{Beta: 0.3, A: [3]float64{0.8, 0.9, 0.75}}, {Beta: 0.5, A: [3]float64{0.95, 0.7, 0.85}}}
	specs := map[string]degrade.Spec{
		"img00": {Type: degrade.Noise, Seed: 5, Params: degrade.NoiseParams{Sigma: 0.1}},
		"img01": {Type: degrade.Haze, Seed: 6, Params: haze[0]},
		"img02": {Type: degrade.Haze, Seed: 7, Params: haze[1]},
		"img03": {Type: degrade.Blur, Seed: 8, Params: blurParams(t)},
	}
	b, err := degrade.MarshalSpecs(specs)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, specsFile), b, 0o644))
	read, err := readSpecs(dir, ds)
	require.NoError(t, err)

	rep := evalMem(t, ds, dir, read, 2)
	require.Len(t, rep.ByDegradation, 3)
	counts := map[string]int{"noise": 1, "haze": 2, "blur": 1}
	for typ, n := range counts {
		r, ok := rep.ByDegradation[typ]
		require.True(t, ok, "no %s row", typ)
		assert.Equal(t, n, r.Semseg.Images, typ)
		assert.Equal(t, n, r.Restored.Images, typ)
		assert.Equal(t, metrics.Float(1), r.Semseg.MIoU, typ)
		assert.Equal(t, metrics.Float(metrics.MaxPSNR), r.Restored.PSNR, typ)
		assert.Less(t, float64(r.Restored.InputPSNR), 40.0, typ)
		assert.Less(t, float64(r.Restored.InputSSIM), 1.0, typ)
	}
	// Haze by hand: with t = exp(-beta d) (t = 1 where depth is invalid),
	// the error of channel c at a pixel is (A_c - J)(1 - t).
	var want float64
	for k, hp := range haze {
		s := ds.samples[k+1]
		var sse float64
		hw := memH * memW
		for c := range 3 {
			for i := range hw {
				tr := math.Exp(-hp.Beta * float64(s.Depth[i]))
				if s.Depth[i] == 0 {
					tr = 1
				}
				j := float64(s.Image.Pix[c*hw+i])
				e := (hp.A[c] - j) * (1 - tr)
				sse += e * e
			}
		}
		want += 10 * math.Log10(float64(3*hw)/sse) / 2
	}
	assert.InDelta(t, want, float64(rep.ByDegradation["haze"].Restored.InputPSNR), 1e-4)
	all := rep.Tasks.Restored
	assert.Equal(t, 4, all.Images)
}

func blurParams(t *testing.T) degrade.Params {
	p, err := degrade.DefaultOptions().Sample(degrade.Blur, degrade.NewRNG(1, 2))
	require.NoError(t, err)
	return p
}

func TestReadSpecsNamesMissingImages(t *testing.T) {
	ds := newMemDataset(3)
	dir := t.TempDir()
	b, err := degrade.MarshalSpecs(map[string]degrade.Spec{"img01": {Type: degrade.Clean, Params: degrade.CleanParams{}}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, specsFile), b, 0o644))
	_, err = readSpecs(dir, ds)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "img00, img02")
	assert.Contains(t, err.Error(), specsFile)

	require.NoError(t, os.WriteFile(filepath.Join(dir, specsFile), []byte(`{"img00": {"type": "fog"}}`), 0o644))
	_, err = readSpecs(dir, ds)
	require.ErrorContains(t, err, "fog")
}

func TestListNames(t *testing.T) {
	var names []string
	for i := range 25 {
		names = append(names, string(rune('a'+i)))
	}
	assert.Equal(t, "a, b", listNames(names[:2], 20))
	got := listNames(names, 20)
	assert.True(t, strings.HasSuffix(got, "t and 5 more"), got)
}

// CLI tests on a small NYUD_MT tree read by the real loader.

func nyudEval(t *testing.T, root, pred string, extra ...string) result {
	t.Helper()
	return runCLI(t, append([]string{"eval", "--dataset", "nyud", "--root", root, "--pred", pred}, extra...)...)
}

func TestEvalCLIPerfectJSON(t *testing.T) {
	root := writeNYUD(t)
	pred := t.TempDir()
	writeDatasetPreds(t, openNYUD(t, root), pred, nil)
	r := nyudEval(t, root, pred, "--json", "--workers", "2")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "eval: 3/3 images")

	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
	for _, k := range []string{"dataset", "split", "count", "tasks"} {
		assert.Contains(t, doc, k)
	}
	assert.NotContains(t, doc, "by_degradation")
	assert.NotContains(t, doc, "delta_mtl")
	assert.Equal(t, "nyud", doc["dataset"])
	assert.Equal(t, "val", doc["split"])
	assert.Equal(t, 3.0, doc["count"])
	tasks := doc["tasks"].(map[string]any)
	assert.Len(t, tasks, 5, "semseg, depth, normals, edge, restored")
	keys := map[string][]string{
		"semseg":   {"mIoU", "per_class"},
		"depth":    {"rmse", "abs_rel", "log_rmse"},
		"normals":  {"mean", "median", "rmse", "within_11.25", "within_22.5", "within_30"},
		"edge":     {"odsF", "oisF", "AP"},
		"restored": {"psnr", "ssim", "input_psnr"},
	}
	for task, ks := range keys {
		obj, ok := tasks[task].(map[string]any)
		require.True(t, ok, "tasks.%s", task)
		for _, k := range ks {
			assert.Contains(t, obj, k, "tasks.%s", task)
		}
	}
	assert.Len(t, tasks["semseg"].(map[string]any)["per_class"], 13)

	rep, err := metrics.ReadReport(strings.NewReader(r.stdout))
	require.NoError(t, err)
	assert.Equal(t, metrics.Float(1), rep.Tasks.Semseg.MIoU)
	assert.Equal(t, metrics.Float(0), rep.Tasks.Depth.RMSE)
	assert.Equal(t, metrics.Float(0), rep.Tasks.Normals.Mean)
	assert.InDelta(t, 1, float64(rep.Tasks.Edge.ODSF), 0.01)
	assert.Greater(t, float64(rep.Tasks.Restored.PSNR), 50.0, "only 8-bit rounding of the resized image")
	assert.Greater(t, float64(rep.Tasks.Restored.SSIM), 0.999)
}

func TestEvalCLIMarkdownAndTasks(t *testing.T) {
	root := writeNYUD(t)
	pred := t.TempDir()
	writeDatasetPreds(t, openNYUD(t, root), pred, nil)
	r := nyudEval(t, root, pred, "--tasks", "depth,semseg")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "nyud, val split, 3 images.")
	assert.Contains(t, r.stdout, "| semseg | mIoU ↑ | 100.00 % |")
	assert.Contains(t, r.stdout, "| depth | rmse ↓ | 0.0000 m |")
	assert.NotContains(t, r.stdout, "normals")
	assert.NotContains(t, r.stdout, "eval:", "progress goes to stderr")
}

func TestEvalCLIErrors(t *testing.T) {
	root := writeNYUD(t)
	pred := t.TempDir()
	writeDatasetPreds(t, openNYUD(t, root), pred, nil)

	t.Run("missing image", func(t *testing.T) {
		p := copyTree(t, pred)
		require.NoError(t, os.Remove(filepath.Join(p, "depth", "0002.npy")))
		r := nyudEval(t, root, p)
		require.Equal(t, 1, r.code, r.stderr)
		errorLine(t, r.stderr, "^eval: ")
		assert.Contains(t, r.stderr, "depth/ lacks 1 of the 3 images of the split: 0002.npy")
		assert.Empty(t, r.stdout)
	})
	t.Run("size mismatch", func(t *testing.T) {
		p := copyTree(t, pred)
		file := filepath.Join(p, "semseg", "0003.png")
		require.NoError(t, format.WriteLabelPNG(file, 12, 10, make([]uint8, 120)))
		r := nyudEval(t, root, p)
		require.Equal(t, 1, r.code, r.stderr)
		errorLine(t, r.stderr, "^eval: ")
		assert.Contains(t, r.stderr, file+": size 10x12 (HxW), expected 288x384")
	})
	t.Run("normals shape", func(t *testing.T) {
		p := copyTree(t, pred)
		file := filepath.Join(p, "normals", "0001.npy")
		require.NoError(t, format.WriteNpy(file, []int{3, 288, 384}, make([]float32, 3*288*384)))
		r := nyudEval(t, root, p, "--tasks", "normals")
		require.Equal(t, 1, r.code, r.stderr)
		assert.Contains(t, r.stderr, file+": shape (3, 288, 384), expected (288, 384, 3)")
	})
	t.Run("listed task without folder", func(t *testing.T) {
		p := copyTree(t, pred)
		require.NoError(t, os.RemoveAll(filepath.Join(p, "edge")))
		r := nyudEval(t, root, p, "--tasks", "semseg,edge")
		require.Equal(t, 1, r.code, r.stderr)
		assert.Contains(t, r.stderr, "no edge/ folder")
	})
	t.Run("no task folder", func(t *testing.T) {
		r := nyudEval(t, root, t.TempDir())
		require.Equal(t, 1, r.code, r.stderr)
		assert.Contains(t, r.stderr, "expected task folders")
	})
	t.Run("bad degradations.json", func(t *testing.T) {
		p := copyTree(t, pred)
		require.NoError(t, os.WriteFile(filepath.Join(p, specsFile), []byte("{"), 0o644))
		r := nyudEval(t, root, p)
		require.Equal(t, 1, r.code, r.stderr)
		assert.Contains(t, r.stderr, filepath.Join(p, specsFile))
	})
	usage := [][]string{
		{"eval", "--dataset", "kitti", "--root", root, "--pred", pred},
		{"eval", "--root", root, "--pred", pred},
		{"eval", "--dataset", "nyud", "--root", root, "--pred", pred, "--classes", "21"},
		{"eval", "--dataset", "pascal", "--root", root, "--pred", pred, "--classes", "40"},
		{"eval", "--dataset", "nyud", "--root", root},
		{"eval", "--dataset", "nyud", "--pred", pred},
		{"eval", "--dataset", "nyud", "--root", root, "--pred", pred, "--split", "test"},
		{"eval", "--dataset", "nyud", "--root", root, "--pred", pred, "--tasks", "semseg,foo"},
		{"eval", "--dataset", "nyud", "--root", root, "--pred", pred, "--tasks", "parts"},
		{"eval", "--dataset", "nyud", "--root", root, "--pred", pred, "--workers", "-1"},
	}
	for _, args := range usage {
		r := runCLI(t, args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		errorLine(t, r.stderr, "^eval: ")
		assert.Empty(t, r.stdout)
	}
	r := nyudEval(t, filepath.Join(root, "nope"), pred)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--root "+filepath.Join(root, "nope"))
}

func TestEvalCLIBaseline(t *testing.T) {
	root := writeNYUD(t)
	pred := t.TempDir()
	writeDatasetPreds(t, openNYUD(t, root), pred, nil)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}

	// Perfect predictions (mIoU 1, rmse 0) against a baseline of mIoU 0.5
	// and rmse 0.8: semseg +100%, depth -(0 - 0.8)/0.8 = +100%; against
	// mIoU 2 and rmse 0.5 (made up), semseg -50%.
	good := write("good.json", `{"dataset": "nyud", "tasks": {"semseg": {"mIoU": 0.5}, "depth": {"rmse": 0.8}, "sal": {"maxF": 0.7}}}`)
	r := nyudEval(t, root, pred, "--json", "--baseline", good, "--tasks", "semseg,depth")
	require.Equal(t, 0, r.code, r.stderr)
	rep, err := metrics.ReadReport(strings.NewReader(r.stdout))
	require.NoError(t, err)
	require.NotNil(t, rep.DeltaMTL)
	assert.InDelta(t, 1, float64(rep.DeltaMTL.PerTask["semseg"]), 1e-12)
	assert.InDelta(t, 1, float64(rep.DeltaMTL.PerTask["depth"]), 1e-12)
	assert.InDelta(t, 1, float64(rep.DeltaMTL.Mean), 1e-12)
	assert.Len(t, rep.DeltaMTL.PerTask, 2, "sal is not evaluated")

	better := write("better.json", `{"tasks": {"semseg": {"mIoU": 2}}}`)
	r = nyudEval(t, root, pred, "--baseline", better, "--tasks", "semseg,depth")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "| semseg | mIoU ↑ | 200.00 % | 100.00 % | -50.00 % |")
	assert.Contains(t, r.stdout, "**Delta_MTL: -50.00 %**")

	// A report of eval itself is a valid baseline: Delta_MTL 0.
	self := write("self.json", nyudEval(t, root, pred, "--json", "--tasks", "semseg").stdout)
	r = nyudEval(t, root, pred, "--json", "--baseline", self, "--tasks", "semseg")
	require.Equal(t, 0, r.code, r.stderr)
	rep, err = metrics.ReadReport(strings.NewReader(r.stdout))
	require.NoError(t, err)
	assert.Equal(t, metrics.Float(0), rep.DeltaMTL.Mean)

	for body, want := range map[string]string{
		`not json`:                                                  "invalid JSON",
		`{"dataset": "nyud"}`:                                       `no "tasks" object`,
		`{"tasks": [1, 2]}`:                                         `"tasks" that is not an object`,
		`{"tasks": {"semseg": {"miou": 0.5}}}`:                      `without its main metric "mIoU"`,
		`{"tasks": {"segm": {"mIoU": 0.5}}}`:                        `unknown task "segm"`,
		`{"tasks": {"semseg": {"mIoU": "high"}}}`:                   "expected an eval --json report",
		`{"tasks": {"sal": {"maxF": 0.5}}}`:                         "expected a task in common",
		`{"dataset": "pascal", "tasks": {"semseg": {"mIoU": 0.5}}}`: "expected a report on nyud, found one on pascal",
		`{"tasks": {"semseg": {"mIoU": 0.5, "per_class": [1, 2]}}}`: "semseg has 2 classes, expected 13",
	} {
		bad := write("bad.json", body)
		r := nyudEval(t, root, pred, "--baseline", bad, "--tasks", "semseg")
		assert.Equal(t, 1, r.code, "%s: %s", body, r.stderr)
		errorLine(t, r.stderr, "^eval: ")
		assert.Contains(t, r.stderr, "--baseline "+bad, body)
		assert.Contains(t, r.stderr, want, body)
	}
	r = nyudEval(t, root, pred, "--baseline", filepath.Join(dir, "absent.json"))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "absent.json")
}

func TestEvalCLIDegradationsAndWorkers(t *testing.T) {
	root := writeNYUD(t)
	ds := openNYUD(t, root)
	pred := t.TempDir()
	writeDatasetPreds(t, ds, pred, rand.New(rand.NewPCG(3, 4)))
	specs := map[string]degrade.Spec{}
	for i, typ := range []degrade.Type{degrade.Haze, degrade.Noise, degrade.Haze} {
		p, err := degrade.DefaultOptions().Sample(typ, degrade.NewRNG(uint64(i), 9))
		require.NoError(t, err)
		specs[ds.Name(i)] = degrade.Spec{Type: typ, Seed: uint64(i), Params: p}
	}
	b, err := degrade.MarshalSpecs(specs)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(pred, specsFile), b, 0o644))

	// Random edge maps are slow to score at 288x384; TestEvalDeterministicAcrossWorkers
	// covers them.
	tasks := "semseg,depth,normals,restored"
	one := nyudEval(t, root, pred, "--json", "--workers", "1", "--tasks", tasks)
	require.Equal(t, 0, one.code, one.stderr)
	three := nyudEval(t, root, pred, "--json", "--workers", "3", "--tasks", tasks)
	require.Equal(t, 0, three.code, three.stderr)
	assert.Equal(t, one.stdout, three.stdout, "the report depends on --workers")

	var doc struct {
		ByDegradation map[string]map[string]map[string]any `json:"by_degradation"`
	}
	require.NoError(t, json.Unmarshal([]byte(one.stdout), &doc))
	require.Len(t, doc.ByDegradation, 2)
	assert.Equal(t, 2.0, doc.ByDegradation["haze"]["semseg"]["images"])
	assert.Equal(t, 1.0, doc.ByDegradation["noise"]["depth"]["images"])
	assert.NotNil(t, doc.ByDegradation["haze"]["restored"]["input_psnr"])

	md := nyudEval(t, root, pred, "--tasks", tasks)
	require.Equal(t, 0, md.code, md.stderr)
	assert.Contains(t, md.stdout, "## By degradation")
	assert.Contains(t, md.stdout, "| noise | 1 |")
	assert.Contains(t, md.stdout, "| haze | 2 |")
	assert.Contains(t, md.stdout, "### haze (2 images)")
	assert.Contains(t, md.stdout, "### noise (1 image)")
}

// TestEvalCLIFixtures scores perfect predictions of the data package's
// NYUD_MT and PASCAL_MT fixtures, read by the real loaders: every task of
// each dataset, PASCAL at each image's own size.
func TestEvalCLIFixtures(t *testing.T) {
	for _, tc := range []struct {
		dataset, release, split string
		tasks                   []string
	}{
		{"nyud", "NYUD_MT", "val", []string{"semseg", "depth", "normals", "edge", "restored"}},
		// The train split, whose images have people (human parts).
		{"pascal", "PASCAL_MT", "train", []string{"semseg", "parts", "normals", "sal", "edge", "restored"}},
	} {
		t.Run(tc.dataset, func(t *testing.T) {
			root := copyTree(t, filepath.Join("..", "data", "testdata", tc.release))
			ds, err := openDataset(tc.dataset, root, tc.split, 0, synthOptions{})
			require.NoError(t, err)
			pred := t.TempDir()
			writeDatasetPreds(t, ds, pred, nil)
			r := runCLI(t, "eval", "--dataset", tc.dataset, "--root", root, "--split", tc.split, "--pred", pred, "--json")
			require.Equal(t, 0, r.code, r.stderr)
			rep, err := metrics.ReadReport(strings.NewReader(r.stdout))
			require.NoError(t, err)
			assert.Equal(t, ds.Len(), rep.Count)
			for _, task := range tc.tasks {
				v, _, ok := rep.Tasks.Main(task)
				require.True(t, ok, "%s missing from %s", task, r.stdout)
				switch task {
				case "depth", "normals":
					assert.Equal(t, metrics.Float(0), v, task)
				case "restored":
					assert.Greater(t, float64(v), 45.0, task)
				case "edge": // the NMS fades predictions near the borders of these tiny images
					assert.InDelta(t, 1, float64(v), 0.1, task)
				default:
					assert.Equal(t, metrics.Float(1), v, task)
				}
			}
		})
	}
}

// TestEvalCLISynthetic scores perfect predictions of the in-memory
// pascal-like synthetic scenes, through the synthetic dataset's flags.
func TestEvalCLISynthetic(t *testing.T) {
	ds, err := openDataset("synthetic", "", "val", 0, synthOptions{like: "pascal", count: 2, size: "40x48"})
	require.NoError(t, err)
	assert.Equal(t, metrics.EdgeMaxDistPASCAL, metrics.EdgeMaxDistFor(ds.Info().Dataset, ds.Info().Tasks))
	pred := t.TempDir()
	writeDatasetPreds(t, ds, pred, nil)
	r := runCLI(t, "eval", "--dataset", "synthetic", "--like", "pascal", "--synth-count", "2", "--synth-size", "40x48",
		"--pred", pred, "--json", "--tasks", "semseg,parts,sal,restored")
	require.Equal(t, 0, r.code, r.stderr)
	rep, err := metrics.ReadReport(strings.NewReader(r.stdout))
	require.NoError(t, err)
	assert.Equal(t, "synthetic", rep.Dataset)
	assert.Equal(t, 2, rep.Count)
	assert.Equal(t, metrics.Float(1), rep.Tasks.Semseg.MIoU)
	assert.Equal(t, metrics.Float(1), rep.Tasks.Sal.MaxF)
	assert.Greater(t, float64(rep.Tasks.Restored.PSNR), 45.0)
}
