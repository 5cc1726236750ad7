// Package data reads the datasets ALLNet trains on (NYUD-v2, PASCAL-Context
// and the built-in synthetic scenes), their file formats, the augmentations,
// and the loader. It knows nothing of the engine: everything is plain
// float32/int32 slices with explicit sizes, channels-first (C, H, W) and
// row-major.
package data

import "fmt"

// Ignore is the label value that marks pixels excluded from segmentation
// and human-parts losses and metrics.
const Ignore = 255

// Image is a float32 image, channels-first: Pix[c*H*W + y*W + x]. RGB
// images hold values in [0, 1].
type Image struct {
	C, H, W int
	Pix     []float32
}

// NewImage returns a zeroed image.
func NewImage(c, h, w int) Image {
	return Image{C: c, H: h, W: w, Pix: make([]float32, c*h*w)}
}

// At returns channel c at (x, y).
func (im Image) At(c, x, y int) float32 { return im.Pix[(c*im.H+y)*im.W+x] }

// Set stores v in channel c at (x, y).
func (im Image) Set(c, x, y int, v float32) { im.Pix[(c*im.H+y)*im.W+x] = v }

// Check returns an error when the pixel slice does not match the sizes.
func (im Image) Check() error {
	if im.C <= 0 || im.H <= 0 || im.W <= 0 || len(im.Pix) != im.C*im.H*im.W {
		return fmt.Errorf("image of %dx%dx%d with %d values", im.C, im.H, im.W, len(im.Pix))
	}
	return nil
}

// Clone returns a deep copy.
func (im Image) Clone() Image {
	return Image{C: im.C, H: im.H, W: im.W, Pix: append([]float32(nil), im.Pix...)}
}

// Sample is one image and its ground truth, all at the same H x W. A task the
// dataset lacks is nil.
type Sample struct {
	Name  string
	Image Image // RGB (3, H, W) in [0, 1]

	Semseg  []int32   // (H, W) class ids, Ignore for unlabelled pixels
	Depth   []float32 // (H, W) metres, 0 = invalid
	Normals []float32 // (3, H, W) unit camera-frame vectors, all zero = invalid
	Edge    []float32 // (H, W) 1 on boundaries, 0 elsewhere
	Sal     []float32 // (H, W) 1 salient, 0 background
	Parts   []int32   // (H, W) 0 background, 1..6 human parts, Ignore where unlabelled
}

// H returns the sample's height.
func (s *Sample) H() int { return s.Image.H }

// W returns the sample's width.
func (s *Sample) W() int { return s.Image.W }

// Clone returns a deep copy; a task the sample lacks stays nil.
func (s *Sample) Clone() *Sample {
	c := *s
	c.Image = s.Image.Clone()
	c.Semseg = append([]int32(nil), s.Semseg...)
	c.Depth = append([]float32(nil), s.Depth...)
	c.Normals = append([]float32(nil), s.Normals...)
	c.Edge = append([]float32(nil), s.Edge...)
	c.Sal = append([]float32(nil), s.Sal...)
	c.Parts = append([]int32(nil), s.Parts...)
	return &c
}
