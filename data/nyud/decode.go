package nyud

import (
	"fmt"
	"math"
	"path/filepath"

	"allnet/data"
	"allnet/data/format"
	"allnet/data/internal/layout"
)

// readSemseg decodes segmentation/NAME.png: stored 1..40 become 0..39 (or
// their 13-class label), stored 0 (unlabelled) becomes data.Ignore. Any other
// value is an error.
func readSemseg(path string, want layout.Size, classes int) ([]int32, error) {
	g, err := want.ReadGray(path)
	if err != nil {
		return nil, err
	}
	out := make([]int32, len(g.Pix))
	for i, v := range g.Pix {
		switch {
		case v == 0:
			out[i] = data.Ignore
		case v <= 40:
			out[i] = int32(v) - 1
			if classes == 13 {
				out[i] = Map40To13[v-1]
			}
		default:
			return nil, fmt.Errorf("%s: expected labels 0..40 (0 = unlabelled), found %d at (x=%d, y=%d)", path, v, i%g.W, i/g.W)
		}
	}
	return out, nil
}

// plane returns the values of a .npy holding one h x w plane: shape (h, w),
// (h, w, 1) or (1, h, w).
func plane(path string, want layout.Size) ([]float32, error) {
	n, err := format.ReadNpy(path)
	if err != nil {
		return nil, err
	}
	s := n.Shape
	ok := len(s) == 2 || len(s) == 3 && (s[2] == 1 || s[0] == 1)
	if !ok {
		return nil, fmt.Errorf("%s: expected an HxW array, found shape %v", path, s)
	}
	h, w := s[0], s[1]
	if len(s) == 3 && s[2] != 1 {
		h, w = s[1], s[2]
	}
	if err := want.Check(path, h, w); err != nil {
		return nil, err
	}
	return n.Float32s()
}

// readDepth decodes depth/NAME.npy (metres). Zero, negative and non-finite
// values are invalid and come back as 0.
func readDepth(path string, want layout.Size) ([]float32, error) {
	d, err := plane(path, want)
	if err != nil {
		return nil, err
	}
	for i, v := range d {
		if !(v > 0) || math.IsInf(float64(v), 1) {
			d[i] = 0
		}
	}
	return d, nil
}

// readNormals decodes normals/NAME.png (each channel 2*v/vmax - 1, vmax 255
// for 8-bit files) or normals/NAME.npy (H x W x 3 floats) into a (3, h, w)
// map. Zero vectors (possible only in .npy) are invalid; non-finite vectors
// are made zero too.
func readNormals(path string, want layout.Size) ([]float32, error) {
	if filepath.Ext(path) == ".png" {
		img, err := want.ReadImage(path)
		if err != nil {
			return nil, err
		}
		for i, v := range img.Pix {
			img.Pix[i] = 2*v - 1
		}
		return img.Pix, nil
	}
	n, err := format.ReadNpy(path)
	if err != nil {
		return nil, err
	}
	if len(n.Shape) != 3 || n.Shape[2] != 3 {
		return nil, fmt.Errorf("%s: expected an HxWx3 array, found shape %v", path, n.Shape)
	}
	h, w := n.Shape[0], n.Shape[1]
	if err := want.Check(path, h, w); err != nil {
		return nil, err
	}
	hwc, err := n.Float32s()
	if err != nil {
		return nil, err
	}
	hw := h * w
	out := make([]float32, 3*hw)
	for i := range hw {
		x, y, z := hwc[3*i], hwc[3*i+1], hwc[3*i+2]
		if !finite(x) || !finite(y) || !finite(z) {
			continue
		}
		out[i], out[hw+i], out[2*hw+i] = x, y, z
	}
	return out, nil
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

// readEdge decodes edge/NAME.png (v/255, or v/65535 for 16-bit files) or
// edge/NAME.npy (floats, as stored); the release holds 0 and 1.
func readEdge(path string, want layout.Size) ([]float32, error) {
	if filepath.Ext(path) != ".png" {
		return plane(path, want)
	}
	g, err := want.ReadGray(path)
	if err != nil {
		return nil, err
	}
	vmax := float32(int(1)<<g.Depth - 1)
	out := make([]float32, len(g.Pix))
	for i, v := range g.Pix {
		out[i] = float32(v) / vmax
	}
	return out, nil
}
