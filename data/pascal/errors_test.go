package pascal

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/data/internal/fixturetest"
)

// copyFixture copies the fixture tree to a temporary root the test may
// break.
func copyFixture(t *testing.T) string {
	t.Helper()
	return fixturetest.CopyTree(t, fixtureRoot, "PASCAL_MT")
}

const layoutTree = "expected the PASCAL_MT layout:\n  ROOT/\n    JPEGImages/NAME.jpg"

func TestOpenMissing(t *testing.T) {
	t.Run("root", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), "nope")
		_, err := Open(root, "train", Options{})
		assert.ErrorContains(t, err, "pascal: root folder "+root+" does not exist; "+layoutTree)
		assert.ErrorContains(t, err, "human_parts/NAME.mat")
		assert.ErrorContains(t, err, "pascal-context/trainval/NAME.mat")
		assert.ErrorContains(t, err, "ImageSets/Context/train.txt, ImageSets/Context/val.txt")
	})
	t.Run("folder", func(t *testing.T) {
		root := copyFixture(t)
		require.NoError(t, os.RemoveAll(filepath.Join(root, "sal_distill")))
		_, err := Open(root, "val", Options{})
		assert.ErrorContains(t, err, "pascal: missing folder "+filepath.Join(root, "sal_distill")+" under root "+root+"; "+layoutTree)
	})
	t.Run("split file", func(t *testing.T) {
		root := copyFixture(t)
		require.NoError(t, os.Remove(filepath.Join(root, "ImageSets", "Context", "train.txt")))
		_, err := Open(root, "train", Options{})
		assert.ErrorContains(t, err, "pascal: missing split file "+filepath.Join(root, "ImageSets", "Context", "train.txt"))
		assert.ErrorContains(t, err, layoutTree)
	})
	t.Run("files", func(t *testing.T) {
		root := copyFixture(t)
		require.NoError(t, os.Remove(filepath.Join(root, "human_parts", "2008_000003.mat")))
		require.NoError(t, os.Remove(filepath.Join(root, "pascal-context", "trainval", "2008_000003.mat")))
		_, err := Open(root, "train", Options{})
		assert.ErrorContains(t, err, "pascal: missing file "+filepath.Join(root, "human_parts", "2008_000003.mat")+" (and 1 more missing)")
		assert.ErrorContains(t, err, layoutTree)
		_, err = Open(root, "val", Options{})
		assert.NoError(t, err)
	})
	_, err := Open(fixtureRoot, "trainval", Options{})
	assert.EqualError(t, err, `pascal: split "trainval": expected train or val`)
}

func TestSplitFileQuirks(t *testing.T) {
	root := copyFixture(t)
	split := filepath.Join(root, "ImageSets", "Context", "val.txt")
	require.NoError(t, os.WriteFile(split, []byte("\r\n\r\n2008_000003\r\n   \r\n2008_000002"), 0o644))
	d, err := Open(root, "val", Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"2008_000003", "2008_000002"}, []string{d.Name(0), d.Name(1)})
}

func writeLabels(t *testing.T, path string, h, w int, v uint8) {
	t.Helper()
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = v
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, m))
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
}

func TestVOC12Precedence(t *testing.T) {
	root := copyFixture(t)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "semseg", "VOC12"), 0o755))
	writeLabels(t, filepath.Join(root, "semseg", "VOC12", "2008_000007.png"), 20, 28, 7)
	d, err := Open(root, "val", Options{})
	require.NoError(t, err)
	s, err := d.Load(0)
	require.NoError(t, err)
	for _, v := range s.Semseg {
		require.Equal(t, int32(7), v)
	}
}

func TestLoadBadFiles(t *testing.T) {
	root := copyFixture(t)
	d, err := Open(root, "train", Options{})
	require.NoError(t, err)
	img := filepath.Join(root, "JPEGImages", "2008_000002.jpg")

	sem := filepath.Join(root, "semseg", "pascal-context", "2008_000002.png")
	writeLabels(t, sem, 20, 28, 21)
	_, err = d.Load(0)
	assert.EqualError(t, err, sem+": expected labels 0..20 or 255 (ignore), found 21 at (x=0, y=0)")
	writeLabels(t, sem, 19, 28, 0)
	_, err = d.Load(0)
	assert.EqualError(t, err, sem+": expected 20x28 (HxW, the size of "+img+"), found 19x28")
	writeLabels(t, sem, 20, 28, 0)

	// A part name outside the mapping (the fixture's 2008_000002.mat is
	// stored uncompressed, so its text can be edited in place).
	parts := filepath.Join(root, "human_parts", "2008_000002.mat")
	b, err := os.ReadFile(parts)
	require.NoError(t, err)
	require.Equal(t, 1, bytes.Count(b, []byte("lhand")))
	require.NoError(t, os.WriteFile(parts, bytes.Replace(b, []byte("lhand"), []byte("lhanx"), 1), 0o644))
	_, err = d.Load(0)
	assert.ErrorContains(t, err, `unknown person part name "lhanx"`)
	assert.ErrorContains(t, err, parts)

	// A LabelMap of another size than the image.
	lm := filepath.Join(root, "pascal-context", "trainval", "2008_000003.mat")
	require.NoError(t, os.Rename(filepath.Join(root, "human_parts", "2008_000003.mat"), lm))
	_, err = d.Load(1)
	assert.ErrorContains(t, err, lm+`: no variable "LabelMap"`)
}
