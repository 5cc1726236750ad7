package format

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/data"
)

func TestReadImageFixtures(t *testing.T) {
	e := loadExpected(t)
	require.Len(t, e.Images, 10)
	for name, want := range e.Images {
		t.Run(name, func(t *testing.T) {
			im, err := ReadImage(testdata(name))
			require.NoError(t, err)
			require.Equal(t, []int{3, want.H, want.W}, []int{im.C, im.H, im.W})
			require.NoError(t, im.Check())
			worst := float32(0)
			for y := range want.H {
				for x := range want.W {
					for c := range 3 {
						w := want.HWC[(y*want.W+x)*3+c] / want.Max
						worst = max(worst, float32(math.Abs(float64(im.At(c, x, y)-w))))
					}
				}
			}
			assert.LessOrEqual(t, worst, want.Tol/255, "largest difference from PIL")
		})
	}
}

func TestReadGrayFixtures(t *testing.T) {
	e := loadExpected(t)
	require.Len(t, e.Gray, 3)
	for name, want := range e.Gray {
		t.Run(name, func(t *testing.T) {
			g, err := ReadGray(testdata(name))
			require.NoError(t, err)
			assert.Equal(t, want.W, g.W)
			assert.Equal(t, want.H, g.H)
			assert.Equal(t, want.BitDepth, g.Depth)
			assert.Equal(t, want.Vals, g.Pix) // palette indices, not colours
		})
	}
}

func TestReadGrayRejectsColour(t *testing.T) {
	_, err := ReadGray(testdata("rgb8.png"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "testdata/rgb8.png: expected a single-channel image (gray or palette), found an 8-bit RGB PNG")
	_, err = ReadGray(testdata("rgb16.png"))
	assert.ErrorContains(t, err, "found a 16-bit RGB PNG")
	_, err = ReadGray(testdata("rgb.jpg"))
	assert.ErrorContains(t, err, "found a colour JPEG")
}

func TestReadImageErrors(t *testing.T) {
	_, err := ReadImage(testdata("f4.npy"))
	assert.ErrorContains(t, err, "testdata/f4.npy: expected a PNG or JPEG image, found neither")
	_, err = ReadImage(testdata("missing.png"))
	assert.ErrorContains(t, err, "missing.png")

	good, err := os.ReadFile(testdata("gray8.png"))
	require.NoError(t, err)
	_, err = DecodeImage("cut.png", good[:len(good)-20])
	assert.ErrorContains(t, err, "cut.png: corrupt PNG")

	// A header claiming 60000x60000 pixels in an 80-byte file is refused
	// before anything that size is allocated.
	huge := pngWithSize(good, 60000, 60000)
	_, err = DecodeImage("huge.png", huge)
	assert.ErrorContains(t, err, "huge.png: image of 60000x60000 pixels: expected 1 to")
	_, err = DecodeGray("big.png", pngWithSize(good, 4000, 4000))
	assert.ErrorContains(t, err, "header claims 4000x4000 pixels, more than a 80-byte file can hold")
}

// pngWithSize returns a copy of a PNG with IHDR's width and height replaced.
func pngWithSize(b []byte, w, h uint32) []byte {
	b = bytes.Clone(b)
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestWriteImagePNGRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	im := data.NewImage(3, 7, 5)
	for i := range im.Pix {
		im.Pix[i] = rng.Float32()*1.2 - 0.1 // some values outside [0, 1]
	}
	im.Pix[3] = float32(math.NaN())
	path := filepath.Join(dir, "rgb.png")
	require.NoError(t, WriteImagePNG(path, im))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, []byte{8, 2}, b[24:26], "8-bit RGB colour type")
	got, err := ReadImage(path)
	require.NoError(t, err)
	require.Equal(t, []int{3, 7, 5}, []int{got.C, got.H, got.W})
	for i, v := range im.Pix {
		want := math.Round(min(max(float64(v), 0), 1)*255) / 255
		if math.IsNaN(float64(v)) {
			want = 0
		}
		require.InDelta(t, want, got.Pix[i], 1e-7, "pixel %d (%v)", i, v)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")

	// One channel: 8-bit gray, read back by both readers.
	g := data.NewImage(1, 2, 3)
	for i := range g.Pix {
		g.Pix[i] = float32(i) / 5
	}
	path = filepath.Join(dir, "gray.png")
	require.NoError(t, WriteImagePNG(path, g))
	gg, err := ReadGray(path)
	require.NoError(t, err)
	assert.Equal(t, []uint16{0, 51, 102, 153, 204, 255}, gg.Pix)

	// A gray map stored as RGB is accepted by ReadGray.
	rgb := data.NewImage(3, 2, 3)
	copy(rgb.Pix, g.Pix)
	copy(rgb.Pix[6:], g.Pix)
	copy(rgb.Pix[12:], g.Pix)
	path = filepath.Join(dir, "grayrgb.png")
	require.NoError(t, WriteImagePNG(path, rgb))
	gg, err = ReadGray(path)
	require.NoError(t, err)
	assert.Equal(t, 8, gg.Depth)
	assert.Equal(t, []uint16{0, 51, 102, 153, 204, 255}, gg.Pix)

	assert.ErrorContains(t, WriteImagePNG(filepath.Join(dir, "x.png"), data.NewImage(2, 2, 2)), "expected an image of 1 or 3 channels, found 2")
	assert.ErrorContains(t, WriteImagePNG(filepath.Join(dir, "no", "x.png"), im), "writing "+filepath.Join(dir, "no", "x.png"))
}

func TestWriteLabelAndGray16RoundTrip(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	w, h := 9, 4
	labels := make([]uint8, w*h)
	vals := make([]uint16, w*h)
	want8 := make([]uint16, w*h)
	for i := range labels {
		labels[i] = uint8(rng.IntN(256))
		vals[i] = uint16(rng.IntN(65536))
		want8[i] = uint16(labels[i])
	}
	labels[0], vals[0], vals[1] = 255, 65535, 0
	want8[0] = 255

	require.NoError(t, WriteLabelPNG(filepath.Join(dir, "l.png"), w, h, labels))
	g, err := ReadGray(filepath.Join(dir, "l.png"))
	require.NoError(t, err)
	assert.Equal(t, Gray{W: w, H: h, Depth: 8, Pix: want8}, g)

	require.NoError(t, WriteGray16PNG(filepath.Join(dir, "d.png"), w, h, vals))
	g, err = ReadGray(filepath.Join(dir, "d.png"))
	require.NoError(t, err)
	assert.Equal(t, Gray{W: w, H: h, Depth: 16, Pix: vals}, g)

	// Overwriting replaces the file.
	require.NoError(t, WriteLabelPNG(filepath.Join(dir, "d.png"), 1, 1, []uint8{7}))
	g, err = ReadGray(filepath.Join(dir, "d.png"))
	require.NoError(t, err)
	assert.Equal(t, []uint16{7}, g.Pix)

	assert.ErrorContains(t, WriteLabelPNG(filepath.Join(dir, "e.png"), 3, 3, labels), "3x3 labels need 9 values, found 36")
	assert.ErrorContains(t, WriteGray16PNG(filepath.Join(dir, "e.png"), 0, 3, nil), "0x3 values")
}
