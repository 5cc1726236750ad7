package nyud

import (
	"image"
	"image/color"
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
	return fixturetest.CopyTree(t, fixtureRoot, "NYUD_MT")
}

// The layout tree every missing-path error shows.
const layoutTree = "expected the NYUD_MT layout:\n  ROOT/\n    images/NAME.png (or .jpg)"

func TestOpenMissing(t *testing.T) {
	t.Run("root", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), "nope")
		_, err := Open(root, "train", Options{})
		assert.ErrorContains(t, err, "nyud: root folder "+root+" does not exist; ")
		assert.ErrorContains(t, err, layoutTree)
		assert.ErrorContains(t, err, "depth/NAME.npy")
		assert.ErrorContains(t, err, "gt_sets/train.txt, gt_sets/val.txt")
	})
	t.Run("folder", func(t *testing.T) {
		root := copyFixture(t)
		require.NoError(t, os.RemoveAll(filepath.Join(root, "edge")))
		require.NoError(t, os.RemoveAll(filepath.Join(root, "depth")))
		_, err := Open(root, "train", Options{})
		assert.ErrorContains(t, err, "nyud: missing folder "+filepath.Join(root, "depth")+" (and 1 more missing) under root "+root)
		assert.ErrorContains(t, err, layoutTree)
	})
	t.Run("split file", func(t *testing.T) {
		root := copyFixture(t)
		require.NoError(t, os.Remove(filepath.Join(root, "gt_sets", "val.txt")))
		_, err := Open(root, "val", Options{})
		assert.ErrorContains(t, err, "nyud: missing split file "+filepath.Join(root, "gt_sets", "val.txt"))
		assert.ErrorContains(t, err, layoutTree)
		_, err = Open(root, "train", Options{})
		assert.NoError(t, err)
	})
	t.Run("files", func(t *testing.T) {
		root := copyFixture(t)
		require.NoError(t, os.Remove(filepath.Join(root, "depth", "0002.npy")))
		require.NoError(t, os.Remove(filepath.Join(root, "normals", "0002.png")))
		require.NoError(t, os.Remove(filepath.Join(root, "images", "0001.png")))
		_, err := Open(root, "train", Options{})
		assert.ErrorContains(t, err, "nyud: missing file "+filepath.Join(root, "images", "0001.png")+" (or .jpg) (and 2 more missing)")
		assert.ErrorContains(t, err, layoutTree)
		_, err = Open(root, "val", Options{})
		assert.NoError(t, err, "val has only 0003")
	})
}

func TestOpenBadOptions(t *testing.T) {
	_, err := Open(fixtureRoot, "train", Options{Classes: 21})
	assert.EqualError(t, err, "nyud: classes 21: expected 13 or 40")
	_, err = Open(fixtureRoot, "test", Options{})
	assert.EqualError(t, err, `nyud: split "test": expected train or val`)
	_, err = Open(fixtureRoot, "train", Options{Size: [2]int{0, 10}})
	assert.ErrorContains(t, err, "nyud: size 0x10: expected positive sizes")
}

func TestSplitFileQuirks(t *testing.T) {
	root := copyFixture(t)
	split := filepath.Join(root, "gt_sets", "train.txt")
	require.NoError(t, os.WriteFile(split, []byte("\r\n0002\r\n\r\n  0001 \r\n\r\n"), 0o644))
	d, err := Open(root, "train", Options{})
	require.NoError(t, err)
	require.Equal(t, 2, d.Len())
	assert.Equal(t, []string{"0002", "0001"}, []string{d.Name(0), d.Name(1)})
	s, err := d.Load(1)
	require.NoError(t, err)
	assert.Equal(t, "0001", s.Name)
}

func writeGray(t *testing.T, path string, h, w int, v uint8) {
	t.Helper()
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = v
	}
	m.SetGray(0, 0, color.Gray{Y: 0})
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, m))
	require.NoError(t, f.Close())
}

func TestLoadBadFiles(t *testing.T) {
	root := copyFixture(t)
	seg := filepath.Join(root, "segmentation", "0001.png")
	writeGray(t, seg, 10, 12, 3)
	d, err := Open(root, "train", Options{})
	require.NoError(t, err)
	_, err = d.Load(0)
	assert.EqualError(t, err, seg+": expected 24x32 (HxW, the size of "+filepath.Join(root, "images", "0001.png")+"), found 10x12")

	writeGray(t, seg, 24, 32, 41)
	_, err = d.Load(0)
	assert.EqualError(t, err, seg+": expected labels 0..40 (0 = unlabelled), found 41 at (x=1, y=0)")

	// A .npy of the wrong shape.
	require.NoError(t, os.Rename(filepath.Join(root, "normals", "0001.npy"), filepath.Join(root, "depth", "0002.npy")))
	require.NoError(t, os.WriteFile(filepath.Join(root, "normals", "0001.npy"), nil, 0o644))
	_, err = d.Load(1)
	assert.ErrorContains(t, err, filepath.Join(root, "depth", "0002.npy")+": expected an HxW array, found shape [24 32 3]")
}
