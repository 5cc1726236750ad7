package pascal

import (
	"fmt"

	"allnet/data"
	"allnet/data/format"
)

// size is the size every ground-truth file of a sample must have: that of
// its image.
type size struct {
	h, w  int
	image string
}

func (s size) check(what string, h, w int) error {
	if h != s.h || w != s.w {
		return fmt.Errorf("%s: expected %dx%d (HxW, the size of %s), found %dx%d", what, s.h, s.w, s.image, h, w)
	}
	return nil
}

// readSemseg decodes a semseg PNG (palette indices or gray values): classes
// 0..20, 255 = data.Ignore; any other value is an error.
func readSemseg(path string, want size) ([]int32, error) {
	g, err := format.ReadGray(path)
	if err != nil {
		return nil, err
	}
	if err := want.check(path, g.H, g.W); err != nil {
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
func readSal(path string, want size) ([]float32, error) {
	g, err := format.ReadGray(path)
	if err != nil {
		return nil, err
	}
	if err := want.check(path, g.H, g.W); err != nil {
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
func readLabelMap(path string, want size) ([]int32, error) {
	f, err := format.ReadMat(path)
	if err != nil {
		return nil, err
	}
	lm, err := f.Var("LabelMap")
	if err != nil {
		return nil, err
	}
	h, w, labels, err := lm.Int32Matrix()
	if err != nil {
		return nil, err
	}
	if err := want.check(path+": "+fmt.Sprint(lm), h, w); err != nil {
		return nil, err
	}
	return labels, nil
}
