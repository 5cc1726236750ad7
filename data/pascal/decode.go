package pascal

import (
	"fmt"

	"allnet/data"
	"allnet/data/format"
	"allnet/data/internal/layout"
)

// readSemseg decodes a semseg PNG (palette indices or gray values): classes
// 0..20, 255 = data.Ignore; any other value is an error.
func readSemseg(path string, want layout.Size) ([]int32, error) {
	g, err := want.ReadGray(path)
	if err != nil {
		return nil, err
	}
	out := make([]int32, len(g.Pix))
	for i, v := range g.Pix {
		if int(v) >= len(Classes) && v != data.Ignore {
			return nil, fmt.Errorf("%s: expected labels 0..%d or %d (ignore), found %d at (x=%d, y=%d)",
				path, len(Classes)-1, data.Ignore, v, i%g.W, i/g.W)
		}
		out[i] = int32(v)
	}
	return out, nil
}

// readSal decodes sal_distill/NAME.png: 1 where v/vmax > 0.5 (vmax 255 for
// 8-bit files), else 0.
func readSal(path string, want layout.Size) ([]float32, error) {
	g, err := want.ReadGray(path)
	if err != nil {
		return nil, err
	}
	vmax := float64(int(1)<<g.Depth - 1)
	out := make([]float32, len(g.Pix))
	for i, v := range g.Pix {
		if float64(v)/vmax > 0.5 {
			out[i] = 1
		}
	}
	return out, nil
}

// readLabelMap reads LabelMap, PASCAL-Context's 459-class label ids, from
// pascal-context/trainval/NAME.mat.
func readLabelMap(path string, want layout.Size) ([]int32, error) {
	f, err := format.ReadMat(path)
	if err != nil {
		return nil, err
	}
	lm, err := f.Var("LabelMap")
	if err != nil {
		return nil, err
	}
	return int32Matrix(lm, path, want)
}

// int32Matrix returns v, a 2-D integer array (label map or mask) of the file
// path, which must have the size want.
func int32Matrix(v *format.MatValue, path string, want layout.Size) ([]int32, error) {
	h, w, m, err := v.Int32Matrix()
	if err != nil {
		return nil, err
	}
	if err := want.Check(path+": "+fmt.Sprint(v), h, w); err != nil {
		return nil, err
	}
	return m, nil
}
