package cli

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/data"
	"allnet/data/degrade"
	"allnet/data/format"
	"allnet/data/nyud"
)

// flatPNG writes an h x w RGB image of value v and returns its path.
func flatPNG(t *testing.T, h, w int, v float32) string {
	t.Helper()
	im := data.NewImage(3, h, w)
	for i := range im.Pix {
		im.Pix[i] = v
	}
	path := filepath.Join(t.TempDir(), "in.png")
	require.NoError(t, format.WriteImagePNG(path, im))
	return path
}

func degradeJSON(t *testing.T, args ...string) degradeResult {
	t.Helper()
	r := runCLI(t, append(append([]string{"degrade"}, args...), "--json")...)
	require.Equal(t, 0, r.code, r.stderr)
	var res degradeResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	return res
}

func TestDegradeImageNoise(t *testing.T) {
	in := flatPNG(t, 64, 64, 0.5)
	out := filepath.Join(t.TempDir(), "out.png")
	res := degradeJSON(t, "--type", "noise", "--in", in, "--out", out, "--sigma", "0.1", "--seed", "4")
	assert.Equal(t, degrade.Noise, res.Type)
	assert.Equal(t, uint64(4), res.Seed)
	assert.JSONEq(t, `{"sigma": 0.1}`, string(res.Params))
	assert.Equal(t, []string{"sigma"}, res.Given)
	got, err := format.ReadImage(out)
	require.NoError(t, err)
	var ss float64
	for _, v := range got.Pix {
		ss += float64(v-0.5) * float64(v-0.5)
	}
	assert.InDelta(t, 0.1, math.Sqrt(ss/float64(len(got.Pix))), 0.01, "noise std matches --sigma")

	// The printed spec reproduces the file; the same command the same bytes;
	// another seed another image.
	var spec degrade.Spec
	require.NoError(t, json.Unmarshal([]byte(`{"type":"noise","seed":4,"params":`+string(res.Params)+`}`), &spec))
	src, err := format.ReadImage(in)
	require.NoError(t, err)
	again, err := degrade.ApplySpec(src, nil, spec)
	require.NoError(t, err)
	assert.Less(t, maxDiff(again.Pix, got.Pix), 1.0/510+1e-6)
	first, err := os.ReadFile(out)
	require.NoError(t, err)
	degradeJSON(t, "--type", "noise", "--in", in, "--out", out, "--sigma", "0.1", "--seed", "4")
	second, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(first, second))
	degradeJSON(t, "--type", "noise", "--in", in, "--out", out, "--sigma", "0.1", "--seed", "5")
	third, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.False(t, bytes.Equal(first, third))
}

// Parameters not given are drawn from the default ranges by --seed, and the
// draw does not depend on which flags are given.
func TestDegradeImageDrawsMissingParameters(t *testing.T) {
	in := flatPNG(t, 16, 24, 0.2)
	out := filepath.Join(t.TempDir(), "out.png")
	var drawn, half degrade.HazeParams
	res := degradeJSON(t, "--type", "haze", "--in", in, "--out", out, "--seed", "9")
	require.NoError(t, json.Unmarshal(res.Params, &drawn))
	assert.Empty(t, res.Given)
	assert.Equal(t, "proxy", res.Depth)
	assert.True(t, drawn.Beta >= 0.1 && drawn.Beta <= 0.6, "beta %g in the default range", drawn.Beta)
	for _, a := range drawn.A {
		assert.True(t, a >= 0.7 && a <= 1, "A %g in the default range", a)
	}
	res = degradeJSON(t, "--type", "haze", "--in", in, "--out", out, "--seed", "9", "--beta", "0.5")
	require.NoError(t, json.Unmarshal(res.Params, &half))
	assert.Equal(t, 0.5, half.Beta)
	assert.Equal(t, drawn.A, half.A, "A is drawn as without --beta")
	assert.Equal(t, []string{"beta"}, res.Given)

	// With a depth map: I = J t + A (1 - t), t = exp(-beta d); d = 0 is no haze.
	h, w := 16, 24
	depth := make([]float32, h*w)
	for i := range depth {
		if i%w >= w/2 {
			depth[i] = 2
		}
	}
	dpath := filepath.Join(t.TempDir(), "d.npy")
	require.NoError(t, format.WriteNpy(dpath, []int{h, w}, depth))
	res = degradeJSON(t, "--type", "haze", "--in", in, "--out", out, "--depth", dpath, "--beta", "0.5", "--airlight", "0.9,0.8,0.7")
	assert.Equal(t, dpath, res.Depth)
	assert.ElementsMatch(t, []string{"beta", "A"}, res.Given)
	got, err := format.ReadImage(out)
	require.NoError(t, err)
	tr := math.Exp(-0.5 * 2)
	for c, a := range []float64{0.9, 0.8, 0.7} {
		assert.InDelta(t, 0.2, got.At(c, 0, 3), 1.0/255, "no haze at invalid depth")
		assert.InDelta(t, 0.2*tr+a*(1-tr), got.At(c, w-1, 3), 1.0/255, "channel %d at depth 2", c)
	}

	// Rain: a veil strength alone turns the veil on and draws its light.
	var rain degrade.RainParams
	res = degradeJSON(t, "--type", "rain", "--in", in, "--out", out, "--veil", "0.2", "--angle", "10")
	require.NoError(t, json.Unmarshal(res.Params, &rain))
	assert.Equal(t, 0.2, rain.Haze)
	assert.Equal(t, 10.0, rain.Angle)
	assert.True(t, rain.HazeA >= 0.8 && rain.HazeA <= 1, "veil light %g drawn", rain.HazeA)

	// Blur of a flat image stays flat; --shot 0 --read 0 is pure blur.
	var blur degrade.BlurParams
	res = degradeJSON(t, "--type", "blur", "--in", in, "--out", out, "--blur-length", "7", "--blur-angle", "30", "--curvature", "0.1", "--shot", "0", "--read", "0")
	require.NoError(t, json.Unmarshal(res.Params, &blur))
	assert.Equal(t, degrade.BlurParams{Length: 7, Angle: 30, Curvature: 0.1}, blur)
	got, err = format.ReadImage(out)
	require.NoError(t, err)
	for _, v := range got.Pix {
		require.InDelta(t, 0.2, v, 1.0/255)
	}

	r := runCLI(t, "degrade", "--type", "rain", "--in", in, "--out", out, "--seed", "2", "--density", "0.01")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "# degrade: rain")
	assert.Contains(t, r.stdout, "| density | 0.01 | given |")
	assert.Contains(t, r.stdout, "| length | ")
	assert.Contains(t, r.stdout, "drawn (--seed)")
	assert.Empty(t, r.stderr)
}

func TestDegradeImageErrors(t *testing.T) {
	in := flatPNG(t, 8, 8, 0.5)
	tmp := t.TempDir()
	out := filepath.Join(tmp, "o.png")
	notImage := filepath.Join(tmp, "a.png")
	require.NoError(t, os.WriteFile(notImage, []byte("hello"), 0o644))
	dirPNG := filepath.Join(tmp, "dir.png")
	require.NoError(t, os.Mkdir(dirPNG, 0o755))
	badDepth := filepath.Join(tmp, "d.npy")
	require.NoError(t, format.WriteNpy(badDepth, []int{4, 8}, make([]float32, 32)))
	assertFailures(t, []string{"degrade"}, []failure{
		{nil, 2, "--type is required"},
		{[]string{"--type", "fog", "--in", in, "--out", out}, 2, `--type "fog": expected noise, haze, rain or blur`},
		{[]string{"--type", "clean", "--in", in, "--out", out}, 2, `--type "clean"`},
		{[]string{"--type", "noise", "--out", out}, 2, "--in is required"},
		{[]string{"--type", "noise", "--in", in}, 2, "--out is required"},
		{[]string{"--type", "noise", "--in", in, "--out", filepath.Join(tmp, "o.jpg")}, 2, "o.jpg: expected a file name ending in .png"},
		{[]string{"--type", "noise", "--in", in, "--out", dirPNG}, 1, "--out " + dirPNG + ": is a folder"},
		{[]string{"--type", "noise", "--in", in, "--out", out, "--sigma", "-0.1"}, 2, "--sigma -0.1: noise sigma = -0.1: must lie in [0, 1]"},
		{[]string{"--type", "rain", "--in", in, "--out", out, "--length", "0"}, 2, "--length 0: rain length = 0: must lie in [1, 200]"},
		{[]string{"--type", "blur", "--in", in, "--out", out, "--curvature", "2"}, 2, "--curvature 2"},
		{[]string{"--type", "noise", "--in", in, "--out", out, "--beta", "1"}, 2, "--beta applies to --type haze, not --type noise"},
		{[]string{"--type", "blur", "--in", in, "--out", out, "--length", "5"}, 2, "--length applies to --type rain, not --type blur"},
		{[]string{"--type", "noise", "--in", in, "--out", out, "--depth", badDepth}, 2, "--depth applies to --type haze"},
		{[]string{"--type", "haze", "--in", in, "--out", out, "--airlight", "1,2"}, 2, `--airlight "1,2": expected R,G,B`},
		{[]string{"--type", "haze", "--in", in, "--out", out, "--airlight", "0.5,x,1"}, 2, `found "x"`},
		{[]string{"--type", "haze", "--in", in, "--out", out, "--depth", badDepth}, 1, "--depth " + badDepth + ": expected a 8x8 array (the image's size), found shape [4 8]"},
		{[]string{"--type", "haze", "--in", in, "--out", out, "--depth", notImage}, 1, "--depth: " + notImage + ": not a .npy file"},
		{[]string{"--type", "noise", "--in", notImage, "--out", out}, 1, "--in: " + notImage + ": expected a PNG or JPEG image"},
		{[]string{"--type", "noise", "--in", filepath.Join(tmp, "none.png"), "--out", out}, 1, "none.png"},
		{[]string{"--type", "noise", "--in", in, "--out", out, "--seed", "-1"}, 2, "--seed -1"},
		{[]string{"--type", "noise", "--in", in, "--out", out, "--split", "val"}, 2, "--split applies to a dataset split"},
	})
	_, err := os.Stat(out)
	assert.True(t, os.IsNotExist(err), "no output written on an error")
}

// The degraded split holds, for every image, ValSpec's entry and the image
// ApplySpec makes from the loader's sample, whatever the number of workers.
func TestDegradeDataset(t *testing.T) {
	root := synthDir(t, "nyud", 1, 4, "24x32")
	out := filepath.Join(t.TempDir(), "deg")
	r := runCLI(t, "degrade", "--dataset", "nyud", "--root", root, "--out", out, "--seed", "2", "--json", "--workers", "1")
	require.Equal(t, 0, r.code, r.stderr)
	var res degradeSplitResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	assert.Equal(t, 4, res.Count)
	assert.Equal(t, "val", res.Split)
	total := 0
	for _, n := range res.Types {
		total += n
	}
	assert.Equal(t, 4, total)
	b, err := os.ReadFile(filepath.Join(out, "degradations.json"))
	require.NoError(t, err)
	specs, err := degrade.UnmarshalSpecs(b)
	require.NoError(t, err)
	require.Len(t, specs, 4)
	ds, err := nyud.Open(root, "val", nyud.Options{})
	require.NoError(t, err)
	for i := range ds.Len() {
		s, err := ds.Load(i)
		require.NoError(t, err)
		want, err := degrade.ValSpec(2, s.Name, degrade.AllTypes, degrade.DefaultOptions())
		require.NoError(t, err)
		wb, _ := json.Marshal(want)
		gb, _ := json.Marshal(specs[s.Name])
		assert.JSONEq(t, string(wb), string(gb), s.Name)
		img, err := degrade.ApplySpec(s.Image, s.Depth, want)
		require.NoError(t, err)
		got, err := format.ReadImage(filepath.Join(out, "images", s.Name+".png"))
		require.NoError(t, err)
		assert.Equal(t, [2]int{288, 384}, [2]int{got.H, got.W}, "the working resolution")
		assert.Less(t, maxDiff(img.Pix, got.Pix), 1.0/510+1e-6, s.Name)
	}

	// The same split read at its own size (synthetic --root) on 1 and 3
	// workers gives the same files.
	var outs []string
	for _, workers := range []string{"1", "3"} {
		o := filepath.Join(t.TempDir(), "deg")
		r = runCLI(t, "degrade", "--dataset", "synthetic", "--root", root, "--out", o, "--seed", "2", "--workers", workers)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "# Degraded val split of synthetic")
		assert.Contains(t, r.stdout, "| noise | ")
		assert.Contains(t, r.stderr, "degrade: 4/4 images")
		outs = append(outs, o)
	}
	for _, f := range []string{"degradations.json", "images/synth_500000.png", "images/synth_500003.png"} {
		a, err := os.ReadFile(filepath.Join(outs[0], f))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(outs[1], f))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(a, b), f)
	}
	a, err := os.ReadFile(filepath.Join(out, "degradations.json"))
	require.NoError(t, err)
	b, err = os.ReadFile(filepath.Join(outs[0], "degradations.json"))
	require.NoError(t, err)
	assert.Equal(t, string(a), string(b), "the specs depend on the names and the seed only")

	// In-memory pascal-like scenes (haze from the depth proxy).
	out3 := filepath.Join(t.TempDir(), "deg3")
	r = runCLI(t, "degrade", "--dataset", "synthetic", "--like", "pascal", "--synth-count", "3", "--synth-size", "16x24", "--split", "train", "--out", out3, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	names, err := filepath.Glob(filepath.Join(out3, "images", "*.png"))
	require.NoError(t, err)
	assert.Len(t, names, 3)
}

func TestDegradeDatasetErrors(t *testing.T) {
	root := synthDir(t, "nyud", 1, 1, "16x16")
	tmp := t.TempDir()
	file := filepath.Join(tmp, "f")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	busy := filepath.Join(tmp, "busy")
	require.NoError(t, os.MkdirAll(filepath.Join(busy, "x"), 0o755))
	out := filepath.Join(tmp, "out")
	assertFailures(t, []string{"degrade"}, []failure{
		{[]string{"--dataset", "nyud", "--root", root}, 2, "--out is required"},
		{[]string{"--dataset", "nyud", "--root", root, "--out", file}, 1, "--out " + file + ": is a file"},
		{[]string{"--dataset", "nyud", "--root", root, "--out", busy}, 1, "--out " + busy + ": folder is not empty"},
		{[]string{"--dataset", "nyud", "--root", root, "--out", out, "--sigma", "0.1"}, 2, "--sigma applies to one image (--in)"},
		{[]string{"--dataset", "nyud", "--root", root, "--out", out, "--type", "noise"}, 2, "--type applies to one image"},
		{[]string{"--dataset", "voc", "--root", root, "--out", out}, 2, `--dataset "voc"`},
		{[]string{"--root", root, "--out", out}, 2, "--dataset is required"},
		{[]string{"--dataset", "nyud", "--root", root, "--out", out, "--split", "test"}, 2, `--split "test"`},
		{[]string{"--dataset", "pascal", "--root", root, "--out", out}, 1, "missing folder " + filepath.Join(root, "JPEGImages")},
	})
	_, err := os.Stat(out)
	assert.True(t, os.IsNotExist(err), "nothing written on an error")
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}
