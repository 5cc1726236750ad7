package cli

import (
	"fmt"

	"allnet/data"
	"allnet/data/format"
)

// Readers of the prediction files (CONVENTIONS.md "Prediction folder"). Each
// checks that the file has the ground truth's size (h x w, the working
// resolution) and returns the values in the layout the metrics take. Errors
// name the file, what was expected and what was found.

// sizeError reports a prediction whose size differs from the ground truth's.
func sizeError(path string, gotH, gotW, h, w int) error {
	return fmt.Errorf("%s: size %dx%d (HxW), expected %dx%d (the ground truth at the working resolution)", path, gotH, gotW, h, w)
}

// readLabelPred reads semseg/NAME.png or parts/NAME.png: class ids, one per
// pixel, as stored (8 or 16 bit).
func readLabelPred(path string, h, w int) ([]int32, error) {
	g, err := format.ReadGray(path)
	if err != nil {
		return nil, err
	}
	if g.H != h || g.W != w {
		return nil, sizeError(path, g.H, g.W, h, w)
	}
	out := make([]int32, len(g.Pix))
	for i, v := range g.Pix {
		out[i] = int32(v)
	}
	return out, nil
}

// readByteMapPred reads edge/NAME.png or sal/NAME.png: an 8-bit 0-255 map.
func readByteMapPred(path string, h, w int) ([]uint8, error) {
	g, err := format.ReadGray(path)
	if err != nil {
		return nil, err
	}
	if g.Depth != 8 {
		return nil, fmt.Errorf("%s: expected an 8-bit PNG of 0-255 probabilities, found %d-bit", path, g.Depth)
	}
	if g.H != h || g.W != w {
		return nil, sizeError(path, g.H, g.W, h, w)
	}
	out := make([]uint8, len(g.Pix))
	for i, v := range g.Pix {
		out[i] = uint8(v)
	}
	return out, nil
}

// readDepthPred reads depth/NAME.npy: an H x W array of metres (H x W x 1 and
// 1 x H x W are accepted too, as the dataset readers do).
func readDepthPred(path string, h, w int) ([]float32, error) {
	n, err := format.ReadNpy(path)
	if err != nil {
		return nil, err
	}
	s := n.Shape
	var gotH, gotW int
	switch {
	case len(s) == 2:
		gotH, gotW = s[0], s[1]
	case len(s) == 3 && s[2] == 1:
		gotH, gotW = s[0], s[1]
	case len(s) == 3 && s[0] == 1:
		gotH, gotW = s[1], s[2]
	default:
		return nil, fmt.Errorf("%s: shape %s, expected (%d, %d): one depth in metres per pixel", path, shapeString(s), h, w)
	}
	if gotH != h || gotW != w {
		return nil, sizeError(path, gotH, gotW, h, w)
	}
	v, err := n.Float32s()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return v, nil
}

// readNormalsPred reads normals/NAME.npy, an H x W x 3 array, and returns it
// channels-first (3, H, W).
func readNormalsPred(path string, h, w int) ([]float32, error) {
	n, err := format.ReadNpy(path)
	if err != nil {
		return nil, err
	}
	s := n.Shape
	if len(s) != 3 || s[2] != 3 {
		return nil, fmt.Errorf("%s: shape %s, expected (%d, %d, 3): one (x, y, z) normal per pixel, channels last", path, shapeString(s), h, w)
	}
	if s[0] != h || s[1] != w {
		return nil, sizeError(path, s[0], s[1], h, w)
	}
	v, err := n.Float32s()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	hw := h * w
	out := make([]float32, 3*hw)
	for i := range hw {
		out[i], out[hw+i], out[2*hw+i] = v[3*i], v[3*i+1], v[3*i+2]
	}
	return out, nil
}

// readRestoredPred reads restored/NAME.png as RGB in [0, 1], channels-first.
func readRestoredPred(path string, h, w int) (data.Image, error) {
	im, err := format.ReadImage(path)
	if err != nil {
		return data.Image{}, err
	}
	if im.H != h || im.W != w {
		return data.Image{}, sizeError(path, im.H, im.W, h, w)
	}
	return im, nil
}

// shapeString writes a NumPy shape as Python does: (2, 3), (5,), ().
func shapeString(s []int) string {
	switch len(s) {
	case 0:
		return "()"
	case 1:
		return fmt.Sprintf("(%d,)", s[0])
	}
	b := "("
	for i, d := range s {
		if i > 0 {
			b += ", "
		}
		b += fmt.Sprint(d)
	}
	return b + ")"
}
