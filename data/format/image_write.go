package format

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"math"

	"allnet/data"
)

// WriteImagePNG writes an RGB image (C = 3) as an 8-bit RGB PNG, or a C = 1
// image as 8-bit gray. Values are clamped to [0, 1] (NaN counts as 0) and
// stored as round(v*255), so ReadImage returns them within 1/510.
func WriteImagePNG(path string, im data.Image) error {
	if err := im.Check(); err != nil {
		return fmt.Errorf("writing %s: %v", path, err)
	}
	if im.C != 3 && im.C != 1 {
		return fmt.Errorf("writing %s: expected an image of 1 or 3 channels, found %d", path, im.C)
	}
	n := im.H * im.W
	var m image.Image
	if im.C == 1 {
		g := image.NewGray(image.Rect(0, 0, im.W, im.H))
		for i := range n {
			g.Pix[i] = to8(im.Pix[i])
		}
		m = g
	} else {
		rgba := image.NewNRGBA(image.Rect(0, 0, im.W, im.H))
		for i := range n {
			p := rgba.Pix[4*i : 4*i+4]
			p[0], p[1], p[2], p[3] = to8(im.Pix[i]), to8(im.Pix[n+i]), to8(im.Pix[2*n+i]), 255
		}
		m = rgba // opaque, so the encoder writes 8-bit RGB without alpha
	}
	return writePNG(path, m)
}

// WriteLabelPNG writes labels (row-major, w x h, e.g. class ids) as an 8-bit
// gray PNG; ReadGray returns them unchanged.
func WriteLabelPNG(path string, w, h int, labels []uint8) error {
	if w <= 0 || h <= 0 || len(labels) != w*h {
		return fmt.Errorf("writing %s: %dx%d labels need %d values, found %d", path, w, h, max(w*h, 0), len(labels))
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	copy(g.Pix, labels)
	return writePNG(path, g)
}

// WriteGray16PNG writes vals (row-major, w x h) as a 16-bit gray PNG;
// ReadGray returns them unchanged with Depth 16.
func WriteGray16PNG(path string, w, h int, vals []uint16) error {
	if w <= 0 || h <= 0 || len(vals) != w*h {
		return fmt.Errorf("writing %s: %dx%d values need %d, found %d", path, w, h, max(w*h, 0), len(vals))
	}
	g := image.NewGray16(image.Rect(0, 0, w, h))
	for i, v := range vals {
		g.Pix[2*i], g.Pix[2*i+1] = uint8(v>>8), uint8(v)
	}
	return writePNG(path, g)
}

func writePNG(path string, m image.Image) error {
	return writeAtomic(path, func(w io.Writer) error { return png.Encode(w, m) })
}

// to8 maps [0, 1] to 0..255 with rounding, clamping outside values and NaN.
func to8(v float32) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(math.Round(float64(v) * 255))
}
