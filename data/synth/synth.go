// Package synth renders the built-in synthetic scenes: procedural indoor
// rooms ray cast in memory with exact ground truth for every ALLNet task, so
// the project runs with no download.
//
// A scene is an axis-aligned room seen from inside (floor, ceiling, four
// walls, with paintings and windows as flat rectangles on the walls) holding
// furniture built from analytic boxes, spheres, capped cylinders and
// capsules, textured with solid procedural textures (plain, checker, stripes,
// value noise, wood rings, planks, tiles; several per class so texture is no
// class cue) and lit by one or two point lights under the ceiling (Lambert
// shading, hard shadows from shadow rays), ambient light and a weak
// unshadowed fill light from the camera. The image is exposed to a random
// mean brightness, gamma-encoded, and supersampled 2x2 on label borders.
// The PASCAL-like variant adds a standing articulated person.
//
// Conventions:
//   - Camera frame as OpenCV: x right, y down, z forward. The pinhole has
//     NYUD-v2's Kinect intrinsics (fx 518.86, fy 519.47, cx 325.58, cy 253.74
//     at 640x480) scaled to the requested size; see [Intrinsics].
//   - Depth is z-depth in metres: the distance along the optical axis (z), not
//     along the ray, as NYUD stores it. Every pixel is valid (> 0).
//   - Normals are unit vectors in that camera frame, facing the camera
//     (dot(n, ray) < 0): the floor seen from a level camera is (0, -1, 0).
//   - Semantic classes: [NYUClasses] (13, ids 0..12) or [VOCClasses] (21,
//     0 background, person 15). Every pixel is labelled (none is Ignore).
//     nyud: floor, ceiling, walls, paintings and windows are their classes;
//     tables table, chairs chair, sofas sofa, beds bed, cabinets and
//     bookshelves furniture, TVs tv, rows of books books; balls, lamps, bins,
//     boxes, plants, vases, bottles and pillows objects. pascal: tables
//     diningtable, chairs chair, sofas sofa, TVs tvmonitor, plants
//     pottedplant, bottles bottle, the figure person; everything else
//     (room shell included) background.
//   - Human parts follow the 6-part grouping of the multi-task codebases (see
//     [PartNames]); 0 elsewhere.
//   - Edges are 1 on the pixel whose right or lower 4-neighbour has another
//     class or object instance: one pixel thick, on the upper/left side.
//   - Saliency is 1 on every object (furniture, small items, the person,
//     also those of pascal's background class) and 0 on the room shell
//     (floor, ceiling, walls, paintings, windows).
//
// Determinism: the scene of (Config.Like, seed, index) comes from a private
// splitmix64 stream seeded by hashing the three (not math/rand), and does not
// depend on the image size or the worker count; rendering is a pure function
// of the scene and the size, so the same arguments give bit-identical
// samples on a given platform. (Across CPU architectures the compiler may
// fuse multiply-adds differently, which can change low-order bits.)
package synth

import (
	"fmt"
	"math"
	"runtime"

	"allnet/data"
)

// Variants.
const (
	LikeNYUD   = "nyud"
	LikePASCAL = "pascal"
)

// Default image size (NYUD's working resolution).
const (
	DefaultH = 288
	DefaultW = 384
)

// Config selects the variant and image size of the rendered scenes.
type Config struct {
	Like string // LikeNYUD (default when empty) or LikePASCAL
	H, W int    // image size, default DefaultH x DefaultW

	// MinObjects and MaxObjects bound the number of floor-standing objects
	// (small items placed on tables and shelves come on top); when both are
	// zero, 3 and 8 for nyud, 2 and 6 for pascal (which also has the person).
	// An object that finds no free spot in view after 40 tries is dropped.
	MinObjects, MaxObjects int

	NoShadows   bool // skip shadow rays
	NoAntialias bool // skip the 4-sample supersampling of RGB at object borders
	Workers     int  // goroutines rendering rows; 0 = GOMAXPROCS (no effect on the output)
}

// withDefaults fills zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Like == "" {
		c.Like = LikeNYUD
	}
	if c.Like != LikeNYUD && c.Like != LikePASCAL {
		return c, fmt.Errorf("synth: like %q: want %q or %q", c.Like, LikeNYUD, LikePASCAL)
	}
	if c.H == 0 && c.W == 0 {
		c.H, c.W = DefaultH, DefaultW
	}
	if c.H < 8 || c.W < 8 || c.H > 8192 || c.W > 8192 {
		return c, fmt.Errorf("synth: image size %dx%d: want H and W in [8, 8192]", c.H, c.W)
	}
	if c.MinObjects == 0 && c.MaxObjects == 0 {
		c.MinObjects, c.MaxObjects = 3, 8
		if c.Like == LikePASCAL {
			c.MinObjects, c.MaxObjects = 2, 6
		}
	}
	if c.MinObjects < 0 || c.MaxObjects < c.MinObjects || c.MaxObjects > 40 {
		return c, fmt.Errorf("synth: objects %d..%d: want 0 <= min <= max <= 40", c.MinObjects, c.MaxObjects)
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c, nil
}

// Name returns the sample name of image index: "synth_000123".
func Name(index int) string { return fmt.Sprintf("synth_%06d", index) }

// Tasks returns the ground-truth tasks of a variant, in CONVENTIONS.md names:
// nyud has semseg, depth, normals, edge; pascal has semseg, parts, sal,
// normals, edge.
func Tasks(like string) []string {
	if like == LikePASCAL {
		return []string{"semseg", "parts", "sal", "normals", "edge"}
	}
	return []string{"semseg", "depth", "normals", "edge"}
}

// NumClasses returns the number of semantic classes of a variant (13 or 21).
func NumClasses(like string) int {
	if like == LikePASCAL {
		return len(VOCClasses)
	}
	return len(NYUClasses)
}

// NYUClasses are the 13 classes of the NYUv2 13-class benchmark, in label
// order 0..12.
var NYUClasses = [13]string{"bed", "books", "ceiling", "chair", "floor", "furniture",
	"objects", "painting", "sofa", "table", "tv", "wall", "window"}

// NYUD 13-class label ids.
const (
	NYUBed = iota
	NYUBooks
	NYUCeiling
	NYUChair
	NYUFloor
	NYUFurniture
	NYUObjects
	NYUPainting
	NYUSofa
	NYUTable
	NYUTV
	NYUWall
	NYUWindow
)

// NYU40Of13 gives, for each 13-class label, a representative 0-based label
// of the 40-class NYUv2 set (Gupta et al. 2013) that the 40->13 mapping of
// the 13-class benchmark (Couprie et al. 2013, as in ankurhanda/SceneNetv1.0
// and howard-mahe/nyudv2_class_mapping's map40to13.m) sends back to it: bed
// 4, books 23, ceiling 22, chair 5, floor 2, furniture 3 (cabinet), objects
// 40 (otherprop), painting 11 (picture), sofa 6, table 7, tv 25
// (television), wall 1, window 9 (1-based ids). A writer that stores 40-class
// labels (NYUD_MT's segmentation/) uses it so that `--classes 13` reads the
// rendered labels back.
var NYU40Of13 = [13]int{3, 22, 21, 4, 1, 2, 39, 10, 5, 6, 24, 0, 8}

// VOCClasses are PASCAL's 21 classes: background and the 20 VOC classes.
var VOCClasses = [21]string{"background", "aeroplane", "bicycle", "bird", "boat",
	"bottle", "bus", "car", "cat", "chair", "cow", "diningtable", "dog", "horse",
	"motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"}

// VOC label ids used by the scenes.
const (
	VOCBackground  = 0
	VOCBottle      = 5
	VOCChair       = 9
	VOCDiningTable = 11
	VOCPerson      = 15
	VOCPottedPlant = 16
	VOCSofa        = 18
	VOCTVMonitor   = 20
)

// PartNames are the human-part labels 0..6. The grouping of PASCAL-Part's
// person parts is the one of the multi-task codebases (ASTMT's
// PASCALContext.HUMAN_PART[6], reused by Multi-Task-Learning-PyTorch and
// ATRC): head, hair, ears, eyes, eyebrows, nose, mouth -> 1; torso and neck ->
// 2; upper arms -> 3; lower arms and hands -> 4; upper legs -> 5; lower legs
// and feet -> 6. The figure's parts are labelled accordingly.
var PartNames = [7]string{"background", "head", "torso", "upper arms",
	"lower arms", "upper legs", "lower legs"}

// PartNameOf gives, for each part label 1..6, a PASCAL-Part person part name
// that the grouping above sends back to it (index 0 unused), for writers of
// PASCAL_MT's human_parts/*.mat: the figure does not tell left from right.
var PartNameOf = [7]string{"", "head", "torso", "ruarm", "rlarm", "ruleg", "rlleg"}

// NYUD-v2 Kinect colour intrinsics at 640x480.
const (
	nyuFx, nyuFy = 518.8579, 519.4696
	nyuCx, nyuCy = 325.5824, 253.7362
	nyuW, nyuH   = 640.0, 480.0
)

// Intrinsics returns the pinhole intrinsics (pixels, pixel centres at
// integer coordinates) of an h x w image: NYUD's 640x480 values with x scaled
// by w/640 and y by h/480, centres mapped as in a resize
// (c' = (c + 0.5) * s - 0.5). The field of view is therefore the same at every
// size, about 63 x 50 degrees.
func Intrinsics(h, w int) (fx, fy, cx, cy float64) {
	sx, sy := float64(w)/nyuW, float64(h)/nyuH
	return nyuFx * sx, nyuFy * sy, (nyuCx+0.5)*sx - 0.5, (nyuCy+0.5)*sy - 0.5
}

// Render draws image index of the synthetic dataset with the given seed and
// returns it with the variant's ground truth (see [Tasks]; other tasks nil).
// The result depends only on (cfg.Like, cfg.H, cfg.W, cfg.MinObjects,
// cfg.MaxObjects, the flags, seed, index).
func Render(cfg Config, seed uint64, index int) (*data.Sample, error) {
	sc, err := NewScene(cfg, seed, index)
	if err != nil {
		return nil, err
	}
	return sc.Render().Sample(Name(index), sc.cfg.Like), nil
}

// Sample returns the frame as a data.Sample holding the tasks of variant
// like (see [Tasks]); the slices are shared with the frame.
func (f *Frame) Sample(name, like string) *data.Sample {
	s := &data.Sample{Name: name, Image: f.Image, Semseg: f.Semseg, Normals: f.Normals, Edge: f.Edge}
	if like == LikePASCAL {
		s.Parts, s.Sal = f.Parts, f.Sal
	} else {
		s.Depth = f.Depth
	}
	return s
}

func deg(d float64) float64 { return d * math.Pi / 180 }
