package synth_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/data"
	"allnet/data/nyud"
	"allnet/data/pascal"
	"allnet/data/synth"
)

const testH, testW = 48, 64

// What the NYUD loader reads back from a written NYUD_MT folder is the
// in-memory sample: labels exact through the 40-class storage and the
// 40->13 mapping, depth bit for bit, edges exact, RGB and normals within
// their 8-bit quantisation.
func TestWriteNYUDReadsBack(t *testing.T) {
	root := t.TempDir()
	cfg := synth.Config{H: testH, W: testW}
	var calls []int
	require.NoError(t, synth.WriteNYUD(root, cfg, 7, 2, 1, func(done, total int) {
		assert.Equal(t, 3, total)
		calls = append(calls, done)
	}))
	assert.Equal(t, []int{1, 2, 3}, calls)
	for _, split := range []string{"train", "val"} {
		mem := synth.NewDataset(cfg, 7, split, map[string]int{"train": 2, "val": 1}[split])
		disk, err := nyud.Open(root, split, nyud.Options{Size: [2]int{testH, testW}})
		require.NoError(t, err)
		disk40, err := nyud.Open(root, split, nyud.Options{Classes: 40, Size: [2]int{testH, testW}})
		require.NoError(t, err)
		require.Equal(t, mem.Len(), disk.Len())
		for i := range mem.Len() {
			want, err := mem.Load(i)
			require.NoError(t, err)
			got, err := disk.Load(i)
			require.NoError(t, err)
			require.Equal(t, mem.Name(i), got.Name)
			assert.Equal(t, want.Semseg, got.Semseg, "13-class labels")
			assert.Equal(t, want.Depth, got.Depth, "depth")
			assert.Equal(t, want.Edge, got.Edge, "edges")
			assert.Less(t, maxAbs(want.Image.Pix, got.Image.Pix), 1.0/510+1e-6, "RGB")
			assert.Less(t, maxAbs(want.Normals, got.Normals), 2.0/255, "normals")
			got40, err := disk40.Load(i)
			require.NoError(t, err)
			for p, c := range want.Semseg {
				require.Equal(t, int32(synth.NYU40Of13[c]), got40.Semseg[p], "40-class label at %d", p)
			}
		}
	}
	// The default working resolution reads it too (resized to 288x384).
	disk, err := nyud.Open(root, "val", nyud.Options{})
	require.NoError(t, err)
	s, err := disk.Load(0)
	require.NoError(t, err)
	assert.Equal(t, [2]int{288, 384}, [2]int{s.H(), s.W()})
	names, err := os.ReadFile(filepath.Join(root, "gt_sets", "val.txt"))
	require.NoError(t, err)
	assert.Equal(t, "synth_500000\n", string(names))
	m, err := synth.ReadManifest(root)
	require.NoError(t, err)
	assert.Equal(t, synth.Manifest{Version: 1, Like: "nyud", Seed: 7, Size: [2]int{testH, testW}, Train: 2, Val: 1,
		MinObjects: 3, MaxObjects: 8}, m)
	d, err := synth.Open(m.Config(), m.Seed, "val", m.Val)
	require.NoError(t, err)
	r, err := d.Load(0)
	require.NoError(t, err)
	assert.Equal(t, []int{testH, testW}, []int{r.H(), r.W()}, "the manifest renders the same scenes")
}

// The PASCAL loader reads back the in-memory sample: semantic labels,
// saliency and human parts exact, every normal valid (the LabelMap classes
// are ones whose distilled normals count) within the 8-bit quantisation, the
// RGB within JPEG's error, and edges derived from LabelMap on the synthetic
// edges (within one pixel).
func TestWritePASCALReadsBack(t *testing.T) {
	root := t.TempDir()
	cfg := synth.Config{H: testH, W: testW}
	require.NoError(t, synth.WritePASCAL(root, cfg, 3, 2, 1, nil))
	for _, split := range []string{"train", "val"} {
		mem := synth.NewDataset(synth.Config{Like: synth.LikePASCAL, H: testH, W: testW}, 3, split, map[string]int{"train": 2, "val": 1}[split])
		disk, err := pascal.Open(root, split, pascal.Options{})
		require.NoError(t, err)
		require.Equal(t, mem.Len(), disk.Len())
		for i := range mem.Len() {
			want, err := mem.Load(i)
			require.NoError(t, err)
			got, err := disk.Load(i)
			require.NoError(t, err)
			require.Equal(t, mem.Name(i), got.Name)
			assert.Equal(t, want.Semseg, got.Semseg, "semseg")
			assert.Equal(t, want.Sal, got.Sal, "saliency")
			assert.Equal(t, want.Parts, got.Parts, "parts")
			assert.Contains(t, want.Parts, int32(1), "the figure is in view")
			assert.Less(t, maxAbs(want.Normals, got.Normals), 2.0/255, "normals (all valid)")
			assert.Less(t, meanAbs(want.Image.Pix, got.Image.Pix), 0.02, "JPEG RGB")
			near := edgeAgreement(got.Edge, want.Edge, testH, testW)
			back := edgeAgreement(want.Edge, got.Edge, testH, testW)
			assert.Greater(t, near, 0.95, "loader edges within 1 px of synthetic edges")
			assert.Greater(t, back, 0.9, "synthetic edges within 1 px of loader edges")
		}
	}
}

// The files do not depend on the number of goroutines, and a second run
// gives the same bytes.
func TestWriteDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	require.NoError(t, synth.WritePASCAL(a, synth.Config{H: 24, W: 32, Workers: 1}, 5, 3, 1, nil))
	require.NoError(t, synth.WritePASCAL(b, synth.Config{H: 24, W: 32, Workers: 3}, 5, 3, 1, nil))
	fa, fb := files(t, a), files(t, b)
	require.Len(t, fa, 4*6+2+1)
	require.Equal(t, keysOf(fa), keysOf(fb))
	for name, content := range fa {
		assert.True(t, bytes.Equal(content, fb[name]), name)
	}
}

func TestWriteErrorsAndCancel(t *testing.T) {
	root := t.TempDir()
	assert.ErrorContains(t, synth.WriteNYUD(root, synth.Config{Like: synth.LikePASCAL}, 0, 1, 1, nil), `WriteNYUD with like "pascal"`)
	assert.ErrorContains(t, synth.WritePASCAL(root, synth.Config{Like: synth.LikeNYUD}, 0, 1, 1, nil), `WritePASCAL with like "nyud"`)
	assert.ErrorContains(t, synth.WriteNYUD(root, synth.Config{H: 4, W: 4}, 0, 1, 1, nil), "image size 4x4")
	assert.ErrorContains(t, synth.WriteNYUD(root, synth.Config{}, 0, -1, 1, nil), "-1 train")
	file := filepath.Join(root, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	assert.Error(t, synth.WriteNYUD(file, synth.Config{H: 16, W: 16}, 0, 1, 0, nil))

	ctx, cancel := context.WithCancel(context.Background())
	out := filepath.Join(root, "cancelled")
	err := synth.Write(ctx, out, synth.Config{H: 16, W: 16, Workers: 1}, 0, 50, 0, func(done, _ int) {
		if done == 2 {
			cancel()
		}
	})
	assert.ErrorIs(t, err, context.Canceled)
	_, err = os.Stat(filepath.Join(out, "gt_sets", "train.txt"))
	assert.True(t, errors.Is(err, fs.ErrNotExist), "no split file after an interruption")
	_, err = synth.ReadManifest(out)
	assert.True(t, errors.Is(err, fs.ErrNotExist), "no manifest after an interruption")
	require.NoError(t, os.WriteFile(filepath.Join(out, synth.ManifestName), []byte(`{"format_version": 2}`), 0o644))
	_, err = synth.ReadManifest(out)
	assert.ErrorContains(t, err, "synth.json: format_version 2: expected 1")
	require.NoError(t, os.WriteFile(filepath.Join(out, synth.ManifestName), []byte(`{"format_version": 1, "like": "kitti"}`), 0o644))
	_, err = synth.ReadManifest(out)
	assert.ErrorContains(t, err, `like "kitti"`)
	pngs, _ := filepath.Glob(filepath.Join(out, "images", "*.png"))
	assert.Less(t, len(pngs), 50)
	assert.GreaterOrEqual(t, len(pngs), 2)
}

func TestDataset(t *testing.T) {
	cfg := synth.Config{Like: synth.LikePASCAL, H: 24, W: 32}
	tr := synth.NewDataset(cfg, 9, "train", 3)
	va := synth.NewDataset(cfg, 9, "val", 2)
	assert.Equal(t, 3, tr.Len())
	assert.Equal(t, "synth_000002", tr.Name(2))
	assert.Equal(t, "synth_500001", va.Name(1))
	assert.Equal(t, data.Info{Dataset: "synthetic", Split: "val", Tasks: synth.Tasks(synth.LikePASCAL),
		Classes: 21, Size: [2]int{24, 32}}, va.Info())
	s, err := va.Load(1)
	require.NoError(t, err)
	r, err := synth.Render(cfg, 9, synth.ValOffset+1)
	require.NoError(t, err)
	assert.Equal(t, r, s)
	assert.Equal(t, "synth_500001", s.Name)
	_, err = va.Load(2)
	assert.ErrorContains(t, err, "sample 2 out of range: the val split has 2")
	t0, err := tr.Load(0)
	require.NoError(t, err)
	v0, err := va.Load(0)
	require.NoError(t, err)
	assert.NotEqual(t, t0.Image.Pix, v0.Image.Pix, "train and val scenes differ")

	_, err = synth.Open(cfg, 0, "test", 1)
	assert.ErrorContains(t, err, `split "test"`)
	_, err = synth.Open(cfg, 0, "train", synth.ValOffset+1)
	assert.ErrorContains(t, err, "expected 0..500000")
	_, err = synth.Open(synth.Config{Like: "kitti"}, 0, "train", 1)
	assert.ErrorContains(t, err, `like "kitti"`)
	assert.Panics(t, func() { synth.NewDataset(cfg, 0, "test", 1) })
}

func maxAbs(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

func meanAbs(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += math.Abs(float64(a[i] - b[i]))
	}
	return s / float64(len(a))
}

// edgeAgreement returns the share of a's edge pixels with an edge of b
// within one pixel (8-neighbourhood).
func edgeAgreement(a, b []float32, h, w int) float64 {
	n, ok := 0, 0
	for y := range h {
		for x := range w {
			if a[y*w+x] < 0.5 {
				continue
			}
			n++
		found:
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					yy, xx := y+dy, x+dx
					if yy >= 0 && yy < h && xx >= 0 && xx < w && b[yy*w+xx] > 0.5 {
						ok++
						break found
					}
				}
			}
		}
	}
	if n == 0 {
		return 1
	}
	return float64(ok) / float64(n)
}

func files(t *testing.T, root string) map[string][]byte {
	out := map[string][]byte{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[strings.TrimPrefix(p, root)] = b
		return err
	}))
	return out
}

func keysOf(m map[string][]byte) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}
