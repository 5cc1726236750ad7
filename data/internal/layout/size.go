package layout

import (
	"fmt"

	"allnet/data"
	"allnet/data/format"
)

// Size is the size every ground-truth file of a sample must have: that of
// its image, which errors name.
type Size struct {
	H, W  int
	Image string
}

// Check returns an error unless h x w is the size; what names the file (or
// the variable in it) that has h x w.
func (s Size) Check(what string, h, w int) error {
	if h != s.H || w != s.W {
		return fmt.Errorf("%s: expected %dx%d (HxW, the size of %s), found %dx%d", what, s.H, s.W, s.Image, h, w)
	}
	return nil
}

// ReadGray reads a gray (or palette) PNG that must have the size.
func (s Size) ReadGray(path string) (format.Gray, error) {
	g, err := format.ReadGray(path)
	if err != nil {
		return format.Gray{}, err
	}
	if err := s.Check(path, g.H, g.W); err != nil {
		return format.Gray{}, err
	}
	return g, nil
}

// ReadImage reads an RGB image that must have the size.
func (s Size) ReadImage(path string) (data.Image, error) {
	img, err := format.ReadImage(path)
	if err != nil {
		return data.Image{}, err
	}
	if err := s.Check(path, img.H, img.W); err != nil {
		return data.Image{}, err
	}
	return img, nil
}
