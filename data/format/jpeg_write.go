package format

import (
	"fmt"
	"image"
	"image/jpeg"
	"io"

	"allnet/data"
)

// WriteImageJPEG writes an RGB image (C = 3) as a baseline JPEG of the given
// quality (1..100) with Go's image/jpeg encoder (4:2:0 chroma), atomically.
// Values are clamped to [0, 1] and rounded to 8 bits first, as in
// WriteImagePNG.
func WriteImageJPEG(path string, im data.Image, quality int) error {
	if err := im.Check(); err != nil {
		return fmt.Errorf("writing %s: %v", path, err)
	}
	if im.C != 3 {
		return fmt.Errorf("writing %s: expected an RGB image of 3 channels, found %d", path, im.C)
	}
	if quality < 1 || quality > 100 {
		return fmt.Errorf("writing %s: JPEG quality %d: expected 1..100", path, quality)
	}
	n := im.H * im.W
	m := image.NewNRGBA(image.Rect(0, 0, im.W, im.H))
	for i := range n {
		p := m.Pix[4*i : 4*i+4]
		p[0], p[1], p[2], p[3] = to8(im.Pix[i]), to8(im.Pix[n+i]), to8(im.Pix[2*n+i]), 255
	}
	return writeAtomic(path, func(w io.Writer) error { return jpeg.Encode(w, m, &jpeg.Options{Quality: quality}) })
}
