package cli

import (
	"encoding/json"
	"image"
	"image/jpeg"
	"image/png"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/allnet"
	"allnet/allnet/vis"
	"allnet/data"
	"allnet/data/format"
)

// tinyCheckpoint writes a randomly initialised allnet-tiny for dataset as a
// weights-only checkpoint.
func tinyCheckpoint(t *testing.T, dataset string) string {
	t.Helper()
	cfg, err := allnet.Preset("allnet-tiny", dataset)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "tiny.safetensors")
	require.NoError(t, allnet.SaveModelCheckpoint(path, allnet.NewModel(cfg, 3), nil,
		allnet.CheckpointMeta{Preset: "allnet-tiny", Dataset: dataset}))
	return path
}

// randomPhoto writes a random RGB photo of h x w as PNG or JPEG (by the
// extension of name) into dir.
func randomPhoto(t *testing.T, dir, name string, h, w int, seed int64) string {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(rng.Intn(256))
		if i%4 == 3 {
			m.Pix[i] = 255
		}
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	require.NoError(t, err)
	if strings.HasSuffix(name, ".png") {
		require.NoError(t, png.Encode(f, m))
	} else {
		require.NoError(t, jpeg.Encode(f, m, nil))
	}
	require.NoError(t, f.Close())
	return path
}

// pngSize reads a PNG's width and height.
func pngSize(t *testing.T, path string) (w, h int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	require.NoError(t, err, path)
	return cfg.Width, cfg.Height
}

func TestPredictWritesEveryFile(t *testing.T) {
	for _, dataset := range []string{allnet.DatasetNYUD, allnet.DatasetPASCAL} {
		t.Run(dataset, func(t *testing.T) {
			ckpt := tinyCheckpoint(t, dataset)
			in := t.TempDir()
			randomPhoto(t, in, "b.png", 45, 67, 1)
			randomPhoto(t, in, "a.JPG", 80, 50, 2)
			require.NoError(t, os.WriteFile(filepath.Join(in, "notes.txt"), []byte("skip me"), 0o644))
			out := filepath.Join(t.TempDir(), "new", "pred") // created
			r := runCLI(t, "predict", "--checkpoint", ckpt, "--in", in, "--out", out, "--json")
			require.Equal(t, 0, r.code, r.stderr)
			var res predictResult
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
			assert.Equal(t, dataset, res.Dataset)
			require.Len(t, res.Images, 2)
			assert.Equal(t, "a", res.Images[0].Name, "inputs in name order")
			assert.Equal(t, "b", res.Images[1].Name)
			assert.Contains(t, r.stderr, "predict: [2/2]")

			kinds := []string{"restored", "panel", "semseg", "normals", "edge"}
			if dataset == allnet.DatasetNYUD {
				kinds = append(kinds, "depth", "depth_npy")
			} else {
				kinds = append(kinds, "parts", "sal")
			}
			sizes := map[string][2]int{"a": {80, 50}, "b": {45, 67}}
			for _, im := range res.Images {
				hw := sizes[im.Name]
				assert.Equal(t, hw, im.Size)
				assert.ElementsMatch(t, kinds, slices.Collect(maps.Keys(im.Files)), im.Name)
				for kind, p := range im.Files {
					wantName := im.Name + "_" + strings.Replace(kind, "_npy", "", 1)
					switch kind {
					case "depth_npy":
						assert.Equal(t, filepath.Join(out, wantName+".npy"), p)
						arr, err := format.ReadNpy(p)
						require.NoError(t, err)
						assert.Equal(t, []int{hw[0], hw[1]}, arr.Shape)
						vals, err := arr.Float32s()
						require.NoError(t, err)
						for _, v := range vals {
							require.Greater(t, v, float32(0), "softplus depth is positive")
						}
					case "panel":
						assert.Equal(t, filepath.Join(out, wantName+".png"), p)
						w, h := pngSize(t, p)
						n := len(kinds) // input + every PNG but the panel
						if dataset == allnet.DatasetNYUD {
							n-- // depth_npy is no tile
						}
						assert.Equal(t, n*hw[1]+(n-1)*vis.Gap, w, "panel width")
						assert.Equal(t, hw[0]+vis.LabelHeight, h, "panel height")
					default:
						assert.Equal(t, filepath.Join(out, wantName+".png"), p)
						w, h := pngSize(t, p)
						assert.Equal(t, [2]int{hw[1], hw[0]}, [2]int{w, h}, p)
					}
				}
			}
			ents, err := os.ReadDir(out)
			require.NoError(t, err)
			assert.Len(t, ents, 2*len(kinds), "nothing else written (no temporary files left)")
		})
	}
}

func TestPredictSingleFileMarkdownAndOutputs(t *testing.T) {
	ckpt := tinyCheckpoint(t, allnet.DatasetNYUD)
	photo := randomPhoto(t, t.TempDir(), "room.png", 33, 41, 4)
	out := t.TempDir()
	r := runCLI(t, "predict", "--checkpoint", ckpt, "--in", photo, "--out", out, "--depth-max", "0")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "| "+photo+" | 33x41 |")
	assert.Contains(t, r.stdout, "room_panel.png")

	// The PNGs agree with the raw outputs: the depth PNG is the colour map
	// of the .npy over its own range (--depth-max 0).
	arr, err := format.ReadNpy(filepath.Join(out, "room_depth.npy"))
	require.NoError(t, err)
	d, err := arr.Float32s()
	require.NoError(t, err)
	lo, hi := vis.DepthRange(d)
	want := vis.Depth(d, 41, 33, lo, hi)
	got, err := format.ReadImage(filepath.Join(out, "room_depth.png"))
	require.NoError(t, err)
	assert.Equal(t, vis.RGB(got).Pix, want.Pix)
	// The restored image is a proper RGB picture of the photo's size.
	rest, err := format.ReadImage(filepath.Join(out, "room_restored.png"))
	require.NoError(t, err)
	assert.Equal(t, [3]int{3, 33, 41}, [3]int{rest.C, rest.H, rest.W})
}

func TestPredictErrors(t *testing.T) {
	ckpt := tinyCheckpoint(t, allnet.DatasetNYUD)
	in := t.TempDir()
	photo := randomPhoto(t, in, "p.png", 20, 24, 5)
	out := t.TempDir()
	file := filepath.Join(out, "file.txt")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	bad := filepath.Join(t.TempDir(), "broken.png")
	require.NoError(t, os.WriteFile(bad, []byte("not a png"), 0o644))
	empty := t.TempDir()
	dup := t.TempDir()
	randomPhoto(t, dup, "x.png", 8, 8, 6)
	randomPhoto(t, dup, "x.jpg", 8, 8, 7)
	badDir := t.TempDir()
	randomPhoto(t, badDir, "a.png", 16, 16, 8)
	require.NoError(t, os.WriteFile(filepath.Join(badDir, "b.png"), []byte("garbage"), 0o644))

	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--in", photo, "--out", out}, 2, "--checkpoint is required"},
		{[]string{"--checkpoint", ckpt, "--out", out}, 2, "--in is required"},
		{[]string{"--checkpoint", ckpt, "--in", photo}, 2, "--out is required"},
		{[]string{"--checkpoint", ckpt, "--in", photo, "--out", out, "extra"}, 2, "takes no arguments"},
		{[]string{"--checkpoint", ckpt, "--in", photo, "--out", out, "--depth-max", "-1"}, 2, "--depth-max"},
		{[]string{"--checkpoint", ckpt, "--in", photo, "--out", file}, 1, "--out " + file + ": is a file"},
		{[]string{"--checkpoint", ckpt, "--in", filepath.Join(in, "nope.png"), "--out", out}, 1, "nope.png"},
		{[]string{"--checkpoint", ckpt, "--in", empty, "--out", out}, 1, "no .png, .jpg or .jpeg files"},
		{[]string{"--checkpoint", ckpt, "--in", dup, "--out", out}, 1, "x.jpg and x.png would write the same outputs"},
		{[]string{"--checkpoint", ckpt, "--in", bad, "--out", out}, 1, "reading " + bad},
		{[]string{"--checkpoint", ckpt, "--in", badDir, "--out", out}, 1, "reading " + filepath.Join(badDir, "b.png")},
		{[]string{"--checkpoint", bad, "--in", photo, "--out", out}, 1, "--checkpoint"},
		{[]string{"--checkpoint", ckpt, "--in", photo, "--out", out, "--device", "tpu"}, 1, "--device tpu"},
	}
	for _, c := range cases {
		r := runCLI(t, append([]string{"predict"}, c.args...)...)
		assert.Equal(t, c.code, r.code, "%v: %s", c.args, r.stderr)
		assert.Empty(t, r.stdout, "%v", c.args)
		assert.Contains(t, errorLine(t, r.stderr, `^predict: \[`), c.want, "%v", c.args)
	}
	// Fail fast: the good image before the broken one was written.
	_, err := os.Stat(filepath.Join(out, "a_panel.png"))
	assert.NoError(t, err)
}

// TestPredictPanelShowsInput checks the panel's first tile is the photo
// as read.
func TestPredictPanelShowsInput(t *testing.T) {
	ckpt := tinyCheckpoint(t, allnet.DatasetPASCAL)
	photo := randomPhoto(t, t.TempDir(), "q.png", 21, 30, 9)
	out := t.TempDir()
	r := runCLI(t, "predict", "--checkpoint", ckpt, "--in", photo, "--out", out)
	require.Equal(t, 0, r.code, r.stderr)
	src, err := format.ReadImage(photo)
	require.NoError(t, err)
	panel, err := format.ReadImage(filepath.Join(out, "q_panel.png"))
	require.NoError(t, err)
	tile := data.NewImage(3, 21, 30)
	for c := range 3 {
		for y := range 21 {
			for x := range 30 {
				tile.Set(c, x, y, panel.At(c, x, y+vis.LabelHeight))
			}
		}
	}
	assert.Equal(t, vis.RGB(src).Pix, vis.RGB(tile).Pix)
}
