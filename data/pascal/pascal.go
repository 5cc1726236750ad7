// Package pascal reads PASCAL-Context in the PASCAL_MT layout of the
// multi-task codebases (ASTMT, Multi-Task-Learning-PyTorch, ATRC, InvPT,
// MLoRE):
//
//	ROOT/JPEGImages/NAME.jpg               RGB
//	ROOT/semseg/pascal-context/NAME.png    21 classes 0..20, 255 = ignore
//	ROOT/human_parts/NAME.mat              PASCAL-Part anno (objects, parts)
//	ROOT/normals_distill/NAME.png          RGB, 2*v/255 - 1
//	ROOT/sal_distill/NAME.png              v/255 > 0.5
//	ROOT/pascal-context/trainval/NAME.mat  LabelMap (459-class ids)
//	ROOT/ImageSets/Context/train.txt, val.txt
//
// Every task is decoded as those codebases do (Multi-Task-Learning-PyTorch's
// PASCALContext and AddIgnoreRegions), at each image's own size:
//   - semseg: the stored ids, 0..20, 255 = data.Ignore;
//   - parts: 0 background, 1..6 the person part groups of PartGroup, painted
//     from anno.objects(i).parts(j) of person objects; person pixels no part
//     covers stay 0; an image without part labels is all data.Ignore;
//   - normals: 2*v/255 - 1, kept only on LabelMap classes NormalsValid
//     accepts (zero vectors elsewhere: invalid), scaled to unit length;
//   - sal: 1 where v/255 > 0.5;
//   - edge: thin(|Laplacian(LabelMap)| > 0), the 4-neighbour Laplacian with
//     a reflect-101 border, thinned to one pixel by skimage's thin (Guo and
//     Hall): see edge.go.
package pascal

import (
	"path/filepath"

	"allnet/data"
	"allnet/data/format"
	"allnet/data/internal/layout"
)

// Classes are PASCAL-Context's 21 semantic classes of the multi-task
// benchmark: background and the 20 VOC classes.
var Classes = [21]string{"background", "aeroplane", "bicycle", "bird", "boat",
	"bottle", "bus", "car", "cat", "chair", "cow", "diningtable", "dog", "horse",
	"motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"}

// Options configure Open. The zero value reads the release as the
// multi-task codebases do; there is nothing to set yet.
type Options struct{}

// Dataset is one split of PASCAL_MT. It is safe for concurrent Load calls.
type Dataset struct {
	root, split string
	names       []string
	files       []paths
}

var _ data.Dataset = (*Dataset)(nil)

type paths struct{ image, semseg, parts, normals, sal, labels string }

var tree = layout.Layout{Dataset: "pascal", Release: "PASCAL_MT", Tree: []string{
	"JPEGImages/NAME.jpg                  RGB image",
	"semseg/pascal-context/NAME.png       labels 0..20, 255 = ignore",
	"human_parts/NAME.mat                 anno.objects(i).parts(j).part_name/mask",
	"normals_distill/NAME.png             RGB 2*v/255-1",
	"sal_distill/NAME.png                 v/255 > 0.5",
	"pascal-context/trainval/NAME.mat     LabelMap (edges, normals mask)",
	"ImageSets/Context/train.txt, ImageSets/Context/val.txt   one NAME per line",
}}

// Open reads the split file ImageSets/Context/SPLIT.txt ("train" or "val")
// under root and checks that every folder and every sample's files exist; a
// missing one is an error that names it and shows the expected layout.
//
// Like the codebases, a label map in semseg/VOC12/NAME.png, where one exists,
// is used instead of semseg/pascal-context/NAME.png.
func Open(root, split string, opts Options) (*Dataset, error) {
	dirs := []string{"JPEGImages", "semseg/pascal-context", "human_parts", "normals_distill",
		"sal_distill", "pascal-context/trainval", "ImageSets/Context"}
	names, err := tree.OpenSplit(root, split, dirs, "ImageSets/Context")
	if err != nil {
		return nil, err
	}
	d := &Dataset{root: root, split: split, names: names, files: make([]paths, len(names))}
	var missing []string
	for i, n := range names {
		need := func(dir, ext string) string {
			p := filepath.Join(root, dir, n+ext)
			if !layout.IsFile(p) {
				missing = append(missing, "file "+p)
			}
			return p
		}
		sem := filepath.Join(root, "semseg", "VOC12", n+".png")
		if !layout.IsFile(sem) {
			sem = need("semseg/pascal-context", ".png")
		}
		d.files[i] = paths{
			image:   need("JPEGImages", ".jpg"),
			semseg:  sem,
			parts:   need("human_parts", ".mat"),
			normals: need("normals_distill", ".png"),
			sal:     need("sal_distill", ".png"),
			labels:  need("pascal-context/trainval", ".mat"),
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

// Info describes the split; Size is [0, 0] as images keep their own sizes.
func (d *Dataset) Info() data.Info {
	return data.Info{Dataset: "pascal", Split: d.split, Root: d.root,
		Tasks: []string{"semseg", "normals", "edge", "sal", "parts"}, Classes: len(Classes)}
}

// Load reads sample i at its own size.
func (d *Dataset) Load(i int) (*data.Sample, error) {
	if err := tree.CheckIndex(i, len(d.names), d.split); err != nil {
		return nil, err
	}
	f := d.files[i]
	img, err := format.ReadImage(f.image)
	if err != nil {
		return nil, err
	}
	want := layout.Size{H: img.H, W: img.W, Image: f.image}
	s := &data.Sample{Name: d.names[i], Image: img}
	if s.Semseg, err = readSemseg(f.semseg, want); err != nil {
		return nil, err
	}
	labels, err := readLabelMap(f.labels, want)
	if err != nil {
		return nil, err
	}
	s.Edge = edgesFromLabels(labels, want.H, want.W)
	if s.Normals, err = readNormals(f.normals, want, labels); err != nil {
		return nil, err
	}
	if s.Sal, err = readSal(f.sal, want); err != nil {
		return nil, err
	}
	if s.Parts, err = readParts(f.parts, want); err != nil {
		return nil, err
	}
	return s, nil
}
