package pascal

import (
	"math"

	"allnet/data/internal/layout"
)

// normalsValid lists the PASCAL-Context classes (the 459-class ids of
// LabelMap) whose distilled normals count as ground truth; elsewhere the
// normals are zero, i.e. ignored.
//
// Source: PASCALContext.__init__ and _load_normals_distilled in
// github.com/SimonVandenhende/Multi-Task-Learning-PyTorch, data/pascal_context.py
// (commit ed3d9ac1c35493d8d22c4e33574919c326d77b6d; also MLoRE): the classes
// whose name appears in both data/db_info/nyu_classes.json and
// data/db_info/context_classes.json, except "unknown", plus "tvmonitor"
// (427); ids from context_classes.json. E.g. wall 440, floor 158, ceiling 68,
// person 284, sofa 368; not sky 360, grass 187, road 324.
var normalsValid = func() [460]bool {
	var v [460]bool
	for _, id := range []int{
		3, 4, 6, 9, 10, 11, 13, 15, 17, 18, 22, 23, 29, 30, 33, 34, 36, 37, 38, 39, 41, 43, 46,
		49, 50, 51, 53, 55, 56, 59, 61, 62, 65, 66, 68, 69, 72, 73, 78, 83, 84, 85, 87, 88, 95,
		96, 101, 104, 105, 107, 111, 113, 115, 122, 124, 135, 141, 142, 143, 146, 150, 154, 157,
		158, 159, 165, 172, 174, 181, 183, 184, 191, 193, 195, 197, 199, 202, 213, 215, 216,
		219, 220, 223, 225, 228, 230, 232, 233, 238, 239, 242, 243, 246, 250, 251, 252, 255,
		260, 261, 263, 269, 272, 273, 275, 281, 283, 284, 285, 286, 287, 288, 290, 291, 292,
		293, 295, 304, 307, 309, 310, 314, 315, 319, 323, 329, 330, 331, 336, 342, 345, 349,
		350, 351, 352, 355, 357, 368, 370, 371, 374, 379, 380, 383, 384, 397, 401, 403, 405,
		407, 408, 411, 412, 413, 414, 417, 419, 421, 423, 427, 429, 430, 432, 440, 441, 442,
		443, 444, 446, 454, 457,
	} {
		v[id] = true
	}
	return v
}()

// NormalsValid reports whether the distilled normals of PASCAL-Context class
// id (a LabelMap value) are used as ground truth.
func NormalsValid(id int32) bool { return id >= 0 && int(id) < len(normalsValid) && normalsValid[id] }

// readNormals decodes normals_distill/NAME.png (each channel 2*v/255 - 1),
// keeps the pixels whose LabelMap class is in normalsValid and scales them
// to unit length; the others are zero vectors (invalid). Returns (3, h, w).
func readNormals(path string, want layout.Size, labels []int32) ([]float32, error) {
	img, err := want.ReadImage(path)
	if err != nil {
		return nil, err
	}
	hw := want.H * want.W
	p := img.Pix
	for i := range hw {
		x, y, z := float64(2*p[i]-1), float64(2*p[hw+i]-1), float64(2*p[2*hw+i]-1)
		l := math.Sqrt(x*x + y*y + z*z)
		if !NormalsValid(labels[i]) || l == 0 {
			p[i], p[hw+i], p[2*hw+i] = 0, 0, 0
			continue
		}
		p[i], p[hw+i], p[2*hw+i] = float32(x/l), float32(y/l), float32(z/l)
	}
	return p, nil
}
