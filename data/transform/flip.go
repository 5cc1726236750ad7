package transform

import (
	"math/rand/v2"

	"allnet/data"
)

// HorizontalFlip mirrors every task of s left to right and negates the
// normals' x component (camera frame, x to the right), writing new slices.
func HorizontalFlip(s *data.Sample) error {
	if err := Check(s); err != nil {
		return err
	}
	h, w := s.H(), s.W()
	s.Image = data.Image{C: 3, H: h, W: w, Pix: flipPlanes(s.Image.Pix, 3, h, w)}
	s.Semseg = flipPlanes(s.Semseg, 1, h, w)
	s.Parts = flipPlanes(s.Parts, 1, h, w)
	s.Depth = flipPlanes(s.Depth, 1, h, w)
	s.Edge = flipPlanes(s.Edge, 1, h, w)
	s.Sal = flipPlanes(s.Sal, 1, h, w)
	if s.Normals != nil {
		s.Normals = flipPlanes(s.Normals, 3, h, w)
		for i, v := range s.Normals[:h*w] {
			if v != 0 {
				s.Normals[i] = -v
			}
		}
	}
	return nil
}

// RandomFlip flips s with probability p (one rng.Float64 call) and reports
// whether it did.
func RandomFlip(s *data.Sample, rng *rand.Rand, p float64) (bool, error) {
	if rng.Float64() >= p {
		return false, Check(s)
	}
	return true, HorizontalFlip(s)
}

// flipPlanes returns c planes of h x w with every row reversed (nil stays nil).
func flipPlanes[T int32 | float32](m []T, c, h, w int) []T {
	if m == nil {
		return nil
	}
	out := make([]T, len(m))
	for r := range c * h {
		src, dst := m[r*w:(r+1)*w], out[r*w:(r+1)*w]
		for x, v := range src {
			dst[w-1-x] = v
		}
	}
	return out
}
