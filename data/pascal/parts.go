package pascal

import (
	"fmt"

	"allnet/data"
	"allnet/data/format"
	"allnet/data/internal/layout"
)

// PartNames are the human-part labels 0..6.
var PartNames = [7]string{"background", "head", "torso", "upper arms", "lower arms", "upper legs", "lower legs"}

// partGroup maps PASCAL-Part's person part names to the six parts.
//
// Source: HUMAN_PART[6] of PASCALContext in
// github.com/SimonVandenhende/Multi-Task-Learning-PyTorch, data/pascal_context.py
// (commit ed3d9ac1c35493d8d22c4e33574919c326d77b6d; taken from ASTMT,
// facebookresearch/astmt), repeated unchanged in MLoRE
// (YuqiYang213/MLoRE, data/pascal_context.py) and the InvPT/ATRC family.
var partGroup = map[string]int32{
	"head": 1, "hair": 1, "leye": 1, "reye": 1, "lear": 1, "rear": 1,
	"lebrow": 1, "rebrow": 1, "nose": 1, "mouth": 1,
	"torso": 2, "neck": 2,
	"luarm": 3, "ruarm": 3,
	"llarm": 4, "rlarm": 4, "lhand": 4, "rhand": 4,
	"luleg": 5, "ruleg": 5,
	"llleg": 6, "rlleg": 6, "lfoot": 6, "rfoot": 6,
}

// PartGroup returns the part label (1..6) of a PASCAL-Part person part name,
// and false for a name outside the mapping.
func PartGroup(name string) (int32, bool) {
	g, ok := partGroup[name]
	return g, ok
}

// personClass is the VOC class index of person (anno.objects(i).class_ind).
const personClass = 15

// readParts decodes human_parts/NAME.mat as the multi-task codebases do
// (PASCALContext._load_human_parts and the AddIgnoreRegions transform of
// Multi-Task-Learning-PyTorch):
//   - the map starts at 0 (background) everywhere;
//   - for every object of class_ind 15 (person), in file order, each of its
//     parts, in order, writes its part label where its mask is set (later
//     parts overwrite earlier ones); person pixels no part covers stay 0;
//   - an image with no person object of positive mask area, or whose map is
//     still all 0 afterwards (persons without parts), is all data.Ignore.
//
// The codebases apply that last rule after cropping during training; here it
// applies to the whole image.
func readParts(path string, want layout.Size) ([]int32, error) {
	f, err := format.ReadMat(path)
	if err != nil {
		return nil, err
	}
	anno, err := f.Var("anno")
	if err != nil {
		return nil, err
	}
	objs, err := anno.Field("objects")
	if err != nil {
		return nil, err
	}
	out := make([]int32, want.H*want.W)
	person := false
	for i := range objs.Len() {
		o, err := objs.Index(i)
		if err != nil {
			return nil, err
		}
		ci, err := o.Field("class_ind")
		if err != nil {
			return nil, err
		}
		cv, err := ci.Float64s()
		if err != nil {
			return nil, err
		}
		if len(cv) != 1 {
			return nil, fmt.Errorf("%s: %s: expected one number, found %d", path, ci, len(cv))
		}
		if cv[0] != personClass {
			continue
		}
		if mask, err := o.Field("mask"); err != nil {
			return nil, err
		} else if area, err := maskArea(mask, path, want); err != nil {
			return nil, err
		} else if area > 0 {
			person = true
		}
		parts, err := o.Field("parts")
		if err != nil {
			return nil, err
		}
		for j := range parts.Len() {
			if err := paintPart(out, parts, j, path, want); err != nil {
				return nil, err
			}
		}
	}
	labelled := false
	for _, v := range out {
		labelled = labelled || v != 0
	}
	if !person || !labelled {
		for i := range out {
			out[i] = data.Ignore
		}
	}
	return out, nil
}

// paintPart writes part j of parts into out.
func paintPart(out []int32, parts *format.MatValue, j int, path string, want layout.Size) error {
	p, err := parts.Index(j)
	if err != nil {
		return err
	}
	pn, err := p.Field("part_name")
	if err != nil {
		return err
	}
	name, err := pn.Text()
	if err != nil {
		return err
	}
	g, ok := partGroup[name]
	if !ok {
		return fmt.Errorf("%s: %s: unknown person part name %q (expected one of PASCAL-Part's: head, hair, torso, luarm, llarm, lhand, luleg, llleg, lfoot, ...)", path, pn, name)
	}
	pm, err := p.Field("mask")
	if err != nil {
		return err
	}
	m, err := int32Matrix(pm, path, want)
	if err != nil {
		return err
	}
	for k, v := range m {
		if v != 0 {
			out[k] = g
		}
	}
	return nil
}

// maskArea counts the set pixels of an object mask.
func maskArea(mask *format.MatValue, path string, want layout.Size) (int, error) {
	m, err := int32Matrix(mask, path, want)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range m {
		if v != 0 {
			n++
		}
	}
	return n, nil
}
