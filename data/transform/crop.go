package transform

import (
	"fmt"
	"math/rand/v2"

	"allnet/data"
)

// Crop replaces s with its h x w window whose top-left corner is (x0, y0) in
// the sample; the window may extend past the sample (negative offsets
// included), and pixels outside it are padded. Labels (semseg, parts) get
// data.Ignore and depth and normals 0 (invalid), so the losses skip them
// (ALLNET.md section 2). Edge and saliency have no ignore value in
// data.Sample and get 0 (background). The image gets ImageNetMean, which
// Normalize maps to 0: the same network input as MTL/InvPT's padding with 0
// after normalisation, while the clean image stays a valid RGB in [0, 1] for
// the degradations and the restoration target.
func Crop(s *data.Sample, y0, x0, h, w int) error {
	if err := Check(s); err != nil {
		return err
	}
	if h <= 0 || w <= 0 {
		return fmt.Errorf("sample %q: crop to %dx%d: sizes must be positive", s.Name, h, w)
	}
	ih, iw := s.H(), s.W()
	if y0 == 0 && x0 == 0 && h == ih && w == iw {
		return nil
	}
	img := data.NewImage(3, h, w)
	for c := range 3 {
		cropPlane(img.Pix[c*h*w:(c+1)*h*w], s.Image.Pix[c*ih*iw:(c+1)*ih*iw], ih, iw, y0, x0, h, w, ImageNetMean[c])
	}
	s.Image = img
	s.Semseg = cropMap(s.Semseg, 1, ih, iw, y0, x0, h, w, data.Ignore)
	s.Parts = cropMap(s.Parts, 1, ih, iw, y0, x0, h, w, data.Ignore)
	s.Depth = cropMap(s.Depth, 1, ih, iw, y0, x0, h, w, 0)
	s.Normals = cropMap(s.Normals, 3, ih, iw, y0, x0, h, w, 0)
	s.Edge = cropMap(s.Edge, 1, ih, iw, y0, x0, h, w, 0)
	s.Sal = cropMap(s.Sal, 1, ih, iw, y0, x0, h, w, 0)
	return nil
}

// cropMap crops each of c planes of m (nil stays nil).
func cropMap[T int32 | float32](m []T, c, ih, iw, y0, x0, h, w int, pad T) []T {
	if m == nil {
		return nil
	}
	out := make([]T, c*h*w)
	for k := range c {
		cropPlane(out[k*h*w:(k+1)*h*w], m[k*ih*iw:(k+1)*ih*iw], ih, iw, y0, x0, h, w, pad)
	}
	return out
}

// cropPlane copies the h x w window at (x0, y0) of one ih x iw plane into
// dst, filling pixels outside the plane with pad.
func cropPlane[T int32 | float32](dst, src []T, ih, iw, y0, x0, h, w int, pad T) {
	xa, xb := min(max(-x0, 0), w), min(max(iw-x0, 0), w) // dst columns [xa, xb) lie inside
	for y := range h {
		row := dst[y*w : (y+1)*w]
		sy := y0 + y
		if sy < 0 || sy >= ih || xa >= xb {
			fill(row, pad)
			continue
		}
		fill(row[:xa], pad)
		copy(row[xa:xb], src[sy*iw+x0+xa:sy*iw+x0+xb])
		fill(row[xb:], pad)
	}
}

func fill[T any](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

// RandomCrop crops s to h x w at a uniformly drawn position: y0 from
// rng.IntN(max(H-h, 0)+1), then x0 likewise. A sample smaller than the crop
// along an axis is padded at the bottom or right (mmseg's convention), so its
// content keeps its top-left corner.
func RandomCrop(s *data.Sample, rng *rand.Rand, h, w int) error {
	if err := Check(s); err != nil {
		return err
	}
	y0, x0 := drawCrop(rng, s.H(), s.W(), h, w)
	return Crop(s, y0, x0, h, w)
}

// drawCrop draws RandomCrop's offsets for an ih x iw sample.
func drawCrop(rng *rand.Rand, ih, iw, h, w int) (y0, x0 int) {
	y0 = rng.IntN(max(ih-h, 0) + 1)
	x0 = rng.IntN(max(iw-w, 0) + 1)
	return y0, x0
}
