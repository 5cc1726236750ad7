package cli

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/data"
	"allnet/data/format"
	"allnet/data/nyud"
)

// memDataset is an in-memory data.Dataset for the scoring tests.
type memDataset struct {
	info    data.Info
	samples []*data.Sample
}

func (d *memDataset) Len() int                         { return len(d.samples) }
func (d *memDataset) Name(i int) string                { return d.samples[i].Name }
func (d *memDataset) Load(i int) (*data.Sample, error) { return d.samples[i], nil }
func (d *memDataset) Info() data.Info                  { return d.info }

// Sizes of the in-memory samples: large enough for the 11x11 SSIM window.
const (
	memH = 16
	memW = 20
)

// newMemDataset returns n samples with every task, all alike but their
// images (hand-checkable counts, see TestEvalPerturbedHandChecked):
//   - semseg (3 classes): 0 for x < 10, 1 for x >= 10, Ignore at (0, 0);
//     class 2 never occurs;
//   - parts: 0 for y < 8, 2 for y >= 8;
//   - depth 2 m, invalid (0) at (0, 0); normals (0, 0, 1), zero at (0, 0);
//   - edge: the column x = 10 for 5 <= y <= 10 (away from the borders, where
//     the edge NMS fades predictions); sal: 1 for x < 10;
//   - image: values k/255 with k < 200, so that an 8-bit PNG of it or of it
//     plus 10/255 is exact.
func newMemDataset(n int) *memDataset {
	d := &memDataset{info: data.Info{Dataset: "pascal", Split: "val", Classes: 3,
		Tasks: []string{"semseg", "depth", "normals", "edge", "sal", "parts"}}}
	hw := memH * memW
	for s := range n {
		smp := &data.Sample{Name: fmt.Sprintf("img%02d", s), Image: data.NewImage(3, memH, memW),
			Semseg: make([]int32, hw), Parts: make([]int32, hw), Depth: make([]float32, hw),
			Normals: make([]float32, 3*hw), Edge: make([]float32, hw), Sal: make([]float32, hw)}
		for y := range memH {
			for x := range memW {
				i := y*memW + x
				for c := range 3 {
					smp.Image.Pix[c*hw+i] = float32((x+3*y+7*c+11*s)%200) / 255
				}
				if x >= 10 {
					smp.Semseg[i] = 1
				} else {
					smp.Sal[i] = 1
				}
				if y >= 8 {
					smp.Parts[i] = 2
				}
				if x == 10 && y >= 5 && y <= 10 {
					smp.Edge[i] = 1
				}
				smp.Depth[i] = 2
				smp.Normals[2*hw+i] = 1
			}
		}
		smp.Semseg[0], smp.Depth[0], smp.Normals[2*hw] = data.Ignore, 0, 0
		d.samples = append(d.samples, smp)
	}
	return d
}

// predWriter writes a prediction folder.
type predWriter struct {
	t   *testing.T
	dir string
}

func (p predWriter) path(task, name, ext string) string {
	dir := filepath.Join(p.dir, task)
	require.NoError(p.t, os.MkdirAll(dir, 0o755))
	return filepath.Join(dir, name+ext)
}

func (p predWriter) labels(task, name string, h, w int, v []int32) {
	b := make([]uint8, len(v))
	for i, x := range v {
		b[i] = uint8(x)
	}
	require.NoError(p.t, format.WriteLabelPNG(p.path(task, name, ".png"), w, h, b))
}

// unit writes a [0, 1] map as 0-255.
func (p predWriter) unit(task, name string, h, w int, v []float32) {
	b := make([]uint8, len(v))
	for i, x := range v {
		b[i] = uint8(min(max(x, 0), 1)*255 + 0.5)
	}
	require.NoError(p.t, format.WriteLabelPNG(p.path(task, name, ".png"), w, h, b))
}

func (p predWriter) depth(name string, h, w int, v []float32) {
	require.NoError(p.t, format.WriteNpy(p.path("depth", name, ".npy"), []int{h, w}, v))
}

// normals writes channels-first (3, H, W) vectors as H x W x 3.
func (p predWriter) normals(name string, h, w int, v []float32) {
	require.NoError(p.t, format.WriteNpy(p.path("normals", name, ".npy"), []int{h, w, 3}, channelsLast(v, h*w)))
}

func (p predWriter) restored(name string, im data.Image) {
	require.NoError(p.t, format.WriteImagePNG(p.path("restored", name, ".png"), im))
}

func channelsLast(v []float32, hw int) []float32 {
	out := make([]float32, len(v))
	for i := range hw {
		for c := range 3 {
			out[3*i+c] = v[c*hw+i]
		}
	}
	return out
}

// writePerfect writes predictions equal to the ground truth of every task
// the sample has.
func (p predWriter) writePerfect(s *data.Sample) {
	h, w := s.H(), s.W()
	if s.Semseg != nil {
		p.labels("semseg", s.Name, h, w, s.Semseg)
	}
	if s.Parts != nil {
		p.labels("parts", s.Name, h, w, s.Parts)
	}
	if s.Depth != nil {
		p.depth(s.Name, h, w, s.Depth)
	}
	if s.Normals != nil {
		p.normals(s.Name, h, w, s.Normals)
	}
	if s.Edge != nil {
		p.unit("edge", s.Name, h, w, s.Edge)
	}
	if s.Sal != nil {
		p.unit("sal", s.Name, h, w, s.Sal)
	}
	p.restored(s.Name, s.Image)
}

// writeRandom writes random predictions of every task the sample has.
func (p predWriter) writeRandom(s *data.Sample, rng *rand.Rand, classes int) {
	h, w := s.H(), s.W()
	hw := h * w
	ints := func(k int) []int32 {
		v := make([]int32, hw)
		for i := range v {
			v[i] = int32(rng.IntN(k))
		}
		return v
	}
	floats := func(n int, lo, hi float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = lo + (hi-lo)*rng.Float32()
		}
		return v
	}
	if s.Semseg != nil {
		p.labels("semseg", s.Name, h, w, ints(classes))
	}
	if s.Parts != nil {
		p.labels("parts", s.Name, h, w, ints(partsClasses))
	}
	if s.Depth != nil {
		p.depth(s.Name, h, w, floats(hw, 0.5, 6))
	}
	if s.Normals != nil {
		p.normals(s.Name, h, w, floats(3*hw, -1, 1))
	}
	if s.Edge != nil {
		p.unit("edge", s.Name, h, w, floats(hw, 0, 1))
	}
	if s.Sal != nil {
		p.unit("sal", s.Name, h, w, floats(hw, 0, 1))
	}
	p.restored(s.Name, data.Image{C: 3, H: h, W: w, Pix: floats(3*hw, 0, 1)})
}

// nyudNames are the images of the NYUD_MT fixture's val split.
var nyudNames = []string{"0001", "0002", "0003"}

// writeNYUD writes a small NYUD_MT tree (12x16 files, which the reader
// resizes to 288x384) and returns its root.
func writeNYUD(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	const h, w = 12, 16
	hw := h * w
	for _, dir := range []string{"images", "segmentation", "depth", "normals", "edge", "gt_sets"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, dir), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "gt_sets", "val.txt"), []byte(strings.Join(nyudNames, "\n")+"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "gt_sets", "train.txt"), []byte("0001\n"), 0o644))
	for s, name := range nyudNames {
		rng := rand.New(rand.NewPCG(uint64(s), 7))
		im := data.NewImage(3, h, w)
		for i := range im.Pix {
			im.Pix[i] = rng.Float32()
		}
		sem := make([]uint8, hw)
		edge := make([]uint8, hw)
		dep := make([]float32, hw)
		nor := make([]float32, 3*hw)
		for y := range h {
			for x := range w {
				i := y*w + x
				sem[i] = uint8(1 + (x/4+y/4+s)%40) // 1..40, 0 = unlabelled
				if x%4 == 0 {
					edge[i] = 255
				}
				dep[i] = 1 + float32(x+y+s)/10
				nor[3*i], nor[3*i+1], nor[3*i+2] = float32(x-w/2)/10, float32(y-h/2)/10, 1
			}
		}
		sem[0], dep[1] = 0, 0
		require.NoError(t, format.WriteImagePNG(filepath.Join(root, "images", name+".png"), im))
		require.NoError(t, format.WriteLabelPNG(filepath.Join(root, "segmentation", name+".png"), w, h, sem))
		require.NoError(t, format.WriteLabelPNG(filepath.Join(root, "edge", name+".png"), w, h, edge))
		require.NoError(t, format.WriteNpy(filepath.Join(root, "depth", name+".npy"), []int{h, w}, dep))
		require.NoError(t, format.WriteNpy(filepath.Join(root, "normals", name+".npy"), []int{h, w, 3}, nor))
	}
	return root
}

// openNYUD opens the fixture's val split as eval does.
func openNYUD(t *testing.T, root string) *nyud.Dataset {
	t.Helper()
	ds, err := nyud.Open(root, "val", nyud.Options{Classes: 13})
	require.NoError(t, err)
	return ds
}

// writeDatasetPreds writes perfect (or, with rng, random) predictions of
// every sample of ds under dir.
func writeDatasetPreds(t *testing.T, ds data.Dataset, dir string, rng *rand.Rand) {
	t.Helper()
	p := predWriter{t, dir}
	for i := range ds.Len() {
		s, err := ds.Load(i)
		require.NoError(t, err)
		if rng != nil {
			p.writeRandom(s, rng, ds.Info().Classes)
		} else {
			p.writePerfect(s)
		}
	}
}

// copyTree copies folder src into a new temporary folder and returns it.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	require.NoError(t, err)
	return dst
}
