package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/data"
	"allnet/data/nyud"
	"allnet/data/pascal"
	"allnet/data/synth"
)

// synthDir writes a small synthetic dataset with `data synth` and returns
// its folder.
func synthDir(t *testing.T, like string, train, val int, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), like)
	r := runCLI(t, "data", "synth", "--like", like, "--out", dir, "--train", itoa(train), "--val", itoa(val), "--size", size, "--seed", "11")
	require.Equal(t, 0, r.code, r.stderr)
	return dir
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// assertFailure checks an error run of a data or degrade command: the exit
// code, nothing on stdout, the error as the last stderr line (after
// progress lines only), containing want.
func assertFailure(t *testing.T, r result, code int, want string) {
	t.Helper()
	assert.Equal(t, code, r.code, "stderr: %s", r.stderr)
	assert.Empty(t, r.stdout)
	assert.Contains(t, errorLine(t, r.stderr, `^(data synth|data inspect|degrade): `), want)
}

// failure is a command line that must fail with exit code code and an
// error containing want.
type failure struct {
	args []string
	code int
	want string
}

// assertFailures runs cmd followed by each case's arguments and checks the
// failure as assertFailure does.
func assertFailures(t *testing.T, cmd []string, cases []failure) {
	t.Helper()
	for _, c := range cases {
		assertFailure(t, runCLI(t, append(slices.Clone(cmd), c.args...)...), c.code, c.want)
	}
}

func TestDataSynthWritesLayouts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nyud")
	r := runCLI(t, "data", "synth", "--out", dir, "--train", "2", "--val", "1", "--size", "24x32", "--seed", "4", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var res dataSynthResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	assert.Equal(t, dataSynthResult{Like: "nyud", Layout: "NYUD_MT", Out: dir, Train: 2, Val: 1, Size: [2]int{24, 32}, Seed: 4, Seconds: res.Seconds}, res)
	assert.Contains(t, r.stderr, "data synth: 3/3 images")
	ds, err := nyud.Open(dir, "train", nyud.Options{Size: [2]int{24, 32}})
	require.NoError(t, err)
	assert.Equal(t, 2, ds.Len())
	got, err := ds.Load(1)
	require.NoError(t, err)
	want, err := synth.Render(synth.Config{H: 24, W: 32}, 4, 1)
	require.NoError(t, err)
	assert.Equal(t, want.Semseg, got.Semseg, "the files hold scene 1 of seed 4")

	pdir := filepath.Join(t.TempDir(), "pascal")
	r = runCLI(t, "data", "synth", "--like", "pascal", "--out", pdir, "--train", "0", "--val", "2", "--size", "24x32", "--workers", "1")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "# Synthetic pascal-like dataset written")
	assert.Contains(t, r.stdout, "| "+pdir+" | PASCAL_MT | 0 | 2 | 24x32 | 0 |")
	pd, err := pascal.Open(pdir, "val", pascal.Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"synth_500000", "synth_500001"}, []string{pd.Name(0), pd.Name(1)})
	_, err = pd.Load(1)
	require.NoError(t, err)

	// An existing dataset is refused without --force and rewritten with it.
	r = runCLI(t, "data", "synth", "--out", dir, "--train", "1", "--val", "1", "--size", "24x32")
	assertFailure(t, r, 1, "--out "+dir+": folder already holds a dataset")
	r = runCLI(t, "data", "synth", "--out", dir, "--train", "1", "--val", "1", "--size", "24x32", "--force")
	require.Equal(t, 0, r.code, r.stderr)
	m, err := synth.ReadManifest(dir)
	require.NoError(t, err)
	assert.Equal(t, 1, m.Train)
}

func TestDataSynthErrors(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	busy := filepath.Join(tmp, "busy")
	require.NoError(t, os.MkdirAll(filepath.Join(busy, "other"), 0o755))
	out := filepath.Join(tmp, "new")
	assertFailures(t, []string{"data", "synth"}, []failure{
		{[]string{"--train", "1"}, 2, "--out is required"},
		{[]string{"--out", file, "--train", "1"}, 1, "--out " + file + ": is a file: expected a new or empty folder"},
		{[]string{"--out", busy, "--train", "1"}, 1, "--out " + busy + ": folder is not empty (found other)"},
		{[]string{"--out", out, "--like", "kitti"}, 2, `--like "kitti": expected nyud or pascal`},
		{[]string{"--out", out, "--size", "288"}, 2, `--size "288": expected HxW`},
		{[]string{"--out", out, "--size", "4x4"}, 2, `--size "4x4"`},
		{[]string{"--out", out, "--train", "-1"}, 2, "--train -1: expected 0..500000 images"},
		{[]string{"--out", out, "--train", "0", "--val", "0"}, 2, "nothing to write"},
		{[]string{"--out", out, "--seed", "-3"}, 2, "--seed -3: expected a non-negative integer"},
		{[]string{"--out", out, "--workers", "-1"}, 2, "--workers -1"},
		{[]string{"--out", out, "extra"}, 2, "takes no arguments"},
		{[]string{"--out", out, "--nope"}, 2, "flag provided but not defined: -nope"},
	})
	_, err := os.Stat(out)
	assert.True(t, os.IsNotExist(err), "nothing written on a usage error")
	assertFailure(t, runCLI(t, "data"), 2, "expected a subcommand, synth or inspect")
	assertFailure(t, runCLI(t, "data", "nope"), 2, `unknown subcommand "nope"`)
}

// The inspect report of a written dataset matches counts made here from the
// loader's samples, and does not depend on the number of workers.
func TestDataInspectNYUD(t *testing.T) {
	dir := synthDir(t, "nyud", 3, 1, "24x32")
	r := runCLI(t, "data", "inspect", "--dataset", "nyud", "--root", dir, "--split", "train", "--json", "--workers", "1")
	require.Equal(t, 0, r.code, r.stderr)
	var rep inspectReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	assert.Equal(t, "nyud", rep.Dataset)
	assert.Equal(t, "train", rep.Split)
	assert.Equal(t, dir, rep.Root)
	assert.Equal(t, 3, rep.Count)
	require.NotNil(t, rep.Size)
	assert.Equal(t, [2]int{288, 384}, *rep.Size, "the loader's working resolution")
	ds, err := nyud.Open(dir, "train", nyud.Options{})
	require.NoError(t, err)
	hist := make([]int64, 13)
	var edges, depthN int64
	dMin, dSum := 1e9, 0.0
	for i := range ds.Len() {
		s, err := ds.Load(i)
		require.NoError(t, err)
		for _, c := range s.Semseg {
			hist[c]++
		}
		for _, e := range s.Edge {
			if e > 0.5 {
				edges++
			}
		}
		for _, d := range s.Depth {
			if d > 0 {
				depthN++
				dSum += float64(d)
				dMin = min(dMin, float64(d))
			}
		}
	}
	px := int64(3 * 288 * 384)
	require.NotNil(t, rep.Tasks.Semseg)
	assert.Equal(t, 13, rep.Tasks.Semseg.Classes)
	assert.Equal(t, hist, rep.Tasks.Semseg.Histogram)
	assert.Equal(t, nyud.Classes13[:], rep.Tasks.Semseg.Names)
	assert.Zero(t, rep.Tasks.Semseg.IgnoredFraction)
	require.NotNil(t, rep.Tasks.Depth)
	assert.Equal(t, px, depthN)
	assert.InDelta(t, dMin, *rep.Tasks.Depth.Min, 1e-9)
	assert.InDelta(t, dSum/float64(depthN), *rep.Tasks.Depth.Mean, 1e-9)
	assert.Greater(t, *rep.Tasks.Depth.Max, *rep.Tasks.Depth.Mean)
	assert.Zero(t, rep.Tasks.Depth.InvalidFraction)
	require.NotNil(t, rep.Tasks.Normals)
	assert.Zero(t, rep.Tasks.Normals.InvalidFraction)
	require.NotNil(t, rep.Tasks.Edge)
	assert.InDelta(t, float64(edges)/float64(px), rep.Tasks.Edge.PositiveFraction, 1e-12)
	assert.Nil(t, rep.Tasks.Sal)
	assert.Nil(t, rep.Tasks.Parts)
	for _, key := range []string{`"size": [`, `"histogram": [`, `"ignored_fraction": 0`, `"invalid_fraction": 0`, `"positive_fraction": `} {
		assert.Contains(t, r.stdout, key, "CONVENTIONS.md shape")
	}

	r2 := runCLI(t, "data", "inspect", "--dataset", "nyud", "--root", dir, "--split", "train", "--json", "--workers", "3")
	require.Equal(t, 0, r2.code, r2.stderr)
	assert.Equal(t, r.stdout, r2.stdout, "same report for every --workers")

	// 40 classes, and the synthetic view of the same folder (at its own size).
	r = runCLI(t, "data", "inspect", "--dataset", "synthetic", "--root", dir, "--split", "val", "--classes", "40", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	rep = inspectReport{}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	assert.Equal(t, "synthetic", rep.Dataset)
	assert.Equal(t, [2]int{24, 32}, *rep.Size)
	assert.Equal(t, 40, rep.Tasks.Semseg.Classes)
	var sum int64
	for k, v := range rep.Tasks.Semseg.Histogram {
		sum += v
		if v > 0 {
			assert.Contains(t, synth.NYU40Of13[:], k, "40-class label %d is one the writer stores", k)
		}
	}
	assert.Equal(t, int64(24*32), sum)

	r = runCLI(t, "data", "inspect", "--dataset", "nyud", "--root", dir, "--split", "val")
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{"# nyud val: 1 images, 288x384", "## semseg: 13 classes", "| 11 | wall |", "## depth", "## normals", "## edge"} {
		assert.Contains(t, r.stdout, want)
	}
	assert.Contains(t, r.stderr, "data inspect: 1/1 samples")
}

// In-memory pascal-like scenes: parts and saliency are summarised, depth is
// absent, and the counts match the rendered samples.
func TestDataInspectSyntheticPascal(t *testing.T) {
	r := runCLI(t, "data", "inspect", "--dataset", "synthetic", "--like", "pascal", "--synth-count", "2", "--synth-size", "24x32", "--synth-seed", "5", "--split", "train", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var rep inspectReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	assert.Equal(t, "synthetic", rep.Dataset)
	assert.Equal(t, "", rep.Root)
	assert.Equal(t, 2, rep.Count)
	parts := make([]int64, 7)
	sem := make([]int64, 21)
	var sal int64
	for i := range 2 {
		s, err := synth.Render(synth.Config{Like: "pascal", H: 24, W: 32}, 5, i)
		require.NoError(t, err)
		for p := range s.Parts {
			parts[s.Parts[p]]++
			sem[s.Semseg[p]]++
			if s.Sal[p] > 0.5 {
				sal++
			}
		}
	}
	require.NotNil(t, rep.Tasks.Parts)
	assert.Equal(t, parts, rep.Tasks.Parts.Histogram)
	assert.Equal(t, pascal.PartNames[:], rep.Tasks.Parts.Names)
	assert.Equal(t, sem, rep.Tasks.Semseg.Histogram)
	assert.InDelta(t, float64(sal)/float64(2*24*32), rep.Tasks.Sal.PositiveFraction, 1e-12)
	assert.Nil(t, rep.Tasks.Depth)
	assert.NotContains(t, r.stdout, `"depth"`)

	// --limit and varying sizes (size null, with the range).
	st := reduceInspect(data.Info{Dataset: "pascal", Split: "val"}, []sampleStats{{h: 4, w: 6}, {h: 5, w: 3}})
	assert.Nil(t, st.Size)
	assert.Equal(t, [2]int{4, 3}, *st.SizeMin)
	assert.Equal(t, [2]int{5, 6}, *st.SizeMax)
	b, err := json.Marshal(st)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"size":null`)
	r = runCLI(t, "data", "inspect", "--dataset", "synthetic", "--synth-count", "5", "--synth-size", "16x16", "--limit", "1")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "# synthetic val: 1 images, 16x16")
}

func TestDataInspectErrors(t *testing.T) {
	dir := synthDir(t, "nyud", 1, 1, "16x16")
	empty := t.TempDir()
	missing := filepath.Join(empty, "none")
	assertFailures(t, []string{"data", "inspect"}, []failure{
		{nil, 2, "--dataset is required: nyud, pascal or synthetic"},
		{[]string{"--dataset", "kitti"}, 2, `--dataset "kitti": expected nyud, pascal or synthetic`},
		{[]string{"--dataset", "nyud"}, 2, "--root is required"},
		{[]string{"--dataset", "nyud", "--root", missing}, 1, "--root " + missing},
		{[]string{"--dataset", "nyud", "--root", empty}, 1, "missing folder " + filepath.Join(empty, "images")},
		{[]string{"--dataset", "nyud", "--root", dir, "--split", "test"}, 2, `--split "test": expected train or val`},
		{[]string{"--dataset", "nyud", "--root", dir, "--classes", "7"}, 2, "--classes 7: expected 13 or 40"},
		{[]string{"--dataset", "synthetic", "--root", dir, "--like", "pascal"}, 2, "--like pascal: --root " + dir + " holds nyud-like scenes"},
		{[]string{"--dataset", "synthetic", "--root", empty}, 1, "--root " + empty + ": no synth.json"},
		{[]string{"--dataset", "synthetic", "--root", dir, "--synth-seed", "3"}, 2, "--synth-seed: applies to the in-memory synthetic dataset"},
		{[]string{"--dataset", "synthetic", "--like", "kitti"}, 2, `--like "kitti": expected nyud or pascal`},
		{[]string{"--dataset", "synthetic", "--synth-size", "3x3"}, 2, `--synth-size "3x3"`},
		{[]string{"--dataset", "synthetic", "--synth-count", "-2"}, 2, "--synth-count -2"},
		{[]string{"--dataset", "synthetic", "--like", "pascal", "--classes", "40"}, 2, "--classes 40: applies to nyud-like scenes only"},
		{[]string{"--dataset", "nyud", "--root", dir, "--limit", "-1"}, 2, "--limit -1"},
	})
	// A corrupt file is an error naming it.
	bad := filepath.Join(dir, "depth", "synth_500000.npy")
	require.NoError(t, os.WriteFile(bad, []byte("not npy"), 0o644))
	assertFailure(t, runCLI(t, "data", "inspect", "--dataset", "nyud", "--root", dir), 1, bad)
}
