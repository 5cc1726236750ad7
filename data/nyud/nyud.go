// Package nyud reads NYUD-v2 in the NYUD_MT layout of the multi-task
// codebases (MTI-Net / Multi-Task-Learning-PyTorch, ATRC, InvPT):
//
//	ROOT/images/NAME.png (or .jpg)   RGB
//	ROOT/segmentation/NAME.png       40 classes stored as 1..40, 0 = unlabelled
//	ROOT/depth/NAME.npy              float metres, 0 = invalid
//	ROOT/normals/NAME.png (or .npy)  2*v/255 - 1 per channel (.npy: H x W x 3 floats)
//	ROOT/edge/NAME.png (or .npy)     v/255 (.npy: H x W floats)
//	ROOT/gt_sets/train.txt, val.txt  one NAME per line
//
// Decoding follows those codebases: semantic labels are the stored value
// minus one, with 0 (unlabelled) becoming data.Ignore; with Options.Classes
// 13 the 40 classes are merged by Map40To13 (the 13-class benchmark).
// Depth 0 is invalid; normals are unit vectors, zero where invalid (only a
// .npy can hold zero vectors: no PNG value decodes to 0); edges keep their
// stored values (0 and 1 in the release).
//
// Samples come at the working resolution of CONVENTIONS.md, 288x384 by
// default (Options.Size), resized as follows (half-pixel centres, as
// cv2.resize and torch's interpolate with align_corners=False):
//   - image: bilinear;
//   - semantic labels and edges: nearest neighbour, source pixel
//     floor(d * src/dst), so labels are never mixed and edges stay 0/1;
//   - depth: masked bilinear: depth*valid and the validity mask are resized
//     with the same weights and divided, so a valid output is a weighted mean
//     of valid inputs only (never pulled toward 0 at the border of an invalid
//     region); an output is valid when the resized mask exceeds 0.5, i.e.
//     more than half its interpolation weight falls on valid pixels;
//   - normals: bilinear, then renormalised to unit length, with the same
//     masking (zero vectors add nothing; an output is valid when the resized
//     mask exceeds 0.5, else the zero vector).
//
// Resizing to the native size is the identity (normals still come out unit
// length).
package nyud

import (
	"fmt"
	"path/filepath"

	"allnet/data"
	"allnet/data/format"
	"allnet/data/internal/layout"
)

// The default working resolution (CONVENTIONS.md "Resolution").
const (
	Height = 288
	Width  = 384
)

// Options configure Open. The zero value reads 13 classes at 288x384.
type Options struct {
	// Classes is 13 (the default when 0) or 40.
	Classes int
	// Size is the working resolution [H, W]; [0, 0] means [Height, Width].
	Size [2]int
}

// Dataset is one split of NYUD_MT. It is safe for concurrent Load calls.
type Dataset struct {
	root, split string
	classes     int
	h, w        int
	names       []string
	files       []paths
}

var _ data.Dataset = (*Dataset)(nil)

// paths are the files of one sample.
type paths struct{ image, semseg, depth, normals, edge string }

var tree = layout.Layout{Dataset: "nyud", Release: "NYUD_MT", Tree: []string{
	"images/NAME.png (or .jpg)       RGB image",
	"segmentation/NAME.png           labels 1..40, 0 = unlabelled",
	"depth/NAME.npy                  float32 metres, 0 = invalid",
	"normals/NAME.png (or .npy)      RGB 2*v/255-1 (npy: HxWx3)",
	"edge/NAME.png (or .npy)         v/255 (npy: HxW)",
	"gt_sets/train.txt, gt_sets/val.txt   one NAME per line",
}}

// Open reads the split file gt_sets/SPLIT.txt ("train" or "val") under root
// and checks that every folder and every sample's files exist; a missing one
// is an error that names it and shows the expected layout.
func Open(root, split string, opts Options) (*Dataset, error) {
	d := &Dataset{root: root, split: split, classes: opts.Classes, h: opts.Size[0], w: opts.Size[1]}
	if d.classes == 0 {
		d.classes = 13
	}
	if d.classes != 13 && d.classes != 40 {
		return nil, fmt.Errorf("nyud: classes %d: expected 13 or 40", opts.Classes)
	}
	if d.h == 0 && d.w == 0 {
		d.h, d.w = Height, Width
	}
	if d.h <= 0 || d.w <= 0 {
		return nil, fmt.Errorf("nyud: size %dx%d: expected positive sizes (or 0x0 for %dx%d)", d.h, d.w, Height, Width)
	}
	names, err := tree.OpenSplit(root, split, []string{"images", "segmentation", "depth", "normals", "edge", "gt_sets"}, "gt_sets")
	if err != nil {
		return nil, err
	}
	d.names = names
	d.files = make([]paths, len(names))
	var missing []string
	for i, n := range names {
		pick := func(dir string, exts ...string) string {
			for _, e := range exts {
				if p := filepath.Join(root, dir, n+e); layout.IsFile(p) {
					return p
				}
			}
			p := filepath.Join(root, dir, n+exts[0])
			if len(exts) > 1 {
				p += " (or " + exts[1] + ")"
			}
			missing = append(missing, "file "+p)
			return ""
		}
		d.files[i] = paths{
			image:   pick("images", ".png", ".jpg"),
			semseg:  pick("segmentation", ".png"),
			depth:   pick("depth", ".npy"),
			normals: pick("normals", ".png", ".npy"),
			edge:    pick("edge", ".png", ".npy"),
		}
	}
	if len(missing) > 0 {
		return nil, tree.Missing(root, missing[0], len(missing)-1)
	}
	return d, nil
}

// Len returns the number of samples in the split.
func (d *Dataset) Len() int { return len(d.names) }

// Name returns sample i's name.
func (d *Dataset) Name(i int) string { return d.names[i] }

// Info describes the split.
func (d *Dataset) Info() data.Info {
	return data.Info{Dataset: "nyud", Split: d.split, Root: d.root,
		Tasks: []string{"semseg", "depth", "normals", "edge"}, Classes: d.classes, Size: [2]int{d.h, d.w}}
}

// Load reads sample i at the working resolution: the image resized
// bilinearly, semantic labels and edges by nearest neighbour, depth and
// normals with their invalid pixels masked out (resize.go).
func (d *Dataset) Load(i int) (*data.Sample, error) {
	if err := tree.CheckIndex(i, len(d.names), d.split); err != nil {
		return nil, err
	}
	f := d.files[i]
	img, err := format.ReadImage(f.image)
	if err != nil {
		return nil, err
	}
	h, w := img.H, img.W
	want := layout.Size{H: h, W: w, Image: f.image}
	sem, err := readSemseg(f.semseg, want, d.classes)
	if err != nil {
		return nil, err
	}
	dep, err := readDepth(f.depth, want)
	if err != nil {
		return nil, err
	}
	nor, err := readNormals(f.normals, want)
	if err != nil {
		return nil, err
	}
	edge, err := readEdge(f.edge, want)
	if err != nil {
		return nil, err
	}
	H, W := d.h, d.w
	return &data.Sample{
		Name:    d.names[i],
		Image:   data.Image{C: 3, H: H, W: W, Pix: resizeBilinear(img.Pix, 3, h, w, H, W)},
		Semseg:  resizeNearest(sem, 1, h, w, H, W),
		Depth:   resizeDepth(dep, h, w, H, W),
		Normals: resizeNormals(nor, h, w, H, W),
		Edge:    resizeNearest(edge, 1, h, w, H, W),
	}, nil
}
