package synth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"allnet/data"
	"allnet/data/format"
)

// Writing the synthetic dataset to disk in the layouts of the public
// releases, so that the real loaders (data/nyud, data/pascal) read it:
//
// NYUD_MT (like nyud):
//
//	images/NAME.png         8-bit RGB
//	segmentation/NAME.png   the 40-class label NYU40Of13[c] stored + 1 (0 = unlabelled)
//	depth/NAME.npy          float32 H x W, metres
//	normals/NAME.png        8-bit RGB, round((n+1)/2*255) per channel
//	edge/NAME.png           8-bit gray, 255 on edges
//	gt_sets/train.txt, val.txt
//
// PASCAL_MT (like pascal):
//
//	JPEGImages/NAME.jpg                   Go's image/jpeg, quality 95
//	semseg/pascal-context/NAME.png        VOC class ids 0..20 (255 unlabelled)
//	human_parts/NAME.mat                  anno (see annoOf)
//	normals_distill/NAME.png              as NYUD's normals
//	sal_distill/NAME.png                  8-bit gray, 255 salient
//	pascal-context/trainval/NAME.mat      LabelMap uint16 (see labelMapIDs)
//	ImageSets/Context/train.txt, val.txt
//
// and in both, ManifestName (synth.json), describing how the folder was made.
//
// Names are Name(Index(split, i)): train synth_000000.., val synth_500000...
// Every file is written atomically (a temporary file renamed into place) and
// the split files and the manifest are written last, once every sample is on
// disk, so a folder with split files is complete. Images are rendered in parallel (one
// image per goroutine, Config.Workers goroutines, 0 = GOMAXPROCS); the files
// do not depend on the number of goroutines.

// JPEGQuality is the quality of the PASCAL-like JPEGImages.
const JPEGQuality = 95

// WriteNYUD writes nTrain + nVal nyud-like scenes of seed under root in the
// NYUD_MT layout (cfg.Like must be empty or LikeNYUD). progress, if not nil,
// is called (from one goroutine at a time) after each sample with the
// number done and the total.
func WriteNYUD(root string, cfg Config, seed uint64, nTrain, nVal int, progress func(done, total int)) error {
	return writeLike("WriteNYUD", LikeNYUD, root, cfg, seed, nTrain, nVal, progress)
}

// WritePASCAL writes nTrain + nVal pascal-like scenes of seed under root in
// the PASCAL_MT layout (cfg.Like must be empty or LikePASCAL); progress as in
// WriteNYUD.
func WritePASCAL(root string, cfg Config, seed uint64, nTrain, nVal int, progress func(done, total int)) error {
	return writeLike("WritePASCAL", LikePASCAL, root, cfg, seed, nTrain, nVal, progress)
}

// writeLike is Write for the scenes of like, which cfg.Like must name or
// leave empty; fn names the caller in errors.
func writeLike(fn, like, root string, cfg Config, seed uint64, nTrain, nVal int, progress func(done, total int)) error {
	if cfg.Like == "" {
		cfg.Like = like
	}
	if cfg.Like != like {
		return fmt.Errorf("synth: %s with like %q: expected %q", fn, cfg.Like, like)
	}
	return Write(context.Background(), root, cfg, seed, nTrain, nVal, progress)
}

// Write writes the dataset of cfg.Like (nyud by default) under root, in
// NYUD_MT or PASCAL_MT layout, creating the folders. It stops at the first
// error, or when ctx is done (returning ctx.Err()); the samples finished by
// then stay on disk, but the split files are only written when every
// sample is.
func Write(ctx context.Context, root string, cfg Config, seed uint64, nTrain, nVal int, progress func(done, total int)) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	if nTrain < 0 || nVal < 0 || nTrain > ValOffset || nVal > ValOffset {
		return fmt.Errorf("synth: %d train and %d val samples: expected 0..%d each", nTrain, nVal, ValOffset)
	}
	lay := nyudLayout
	if cfg.Like == LikePASCAL {
		lay = pascalLayout
	}
	for _, dir := range lay.dirs {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			return err
		}
	}
	workers := cfg.Workers
	cfg.Workers = 1 // parallel over images, not rows
	type job struct{ index int }
	var jobs []job
	for i := range nTrain {
		jobs = append(jobs, job{Index("train", i)})
	}
	for i := range nVal {
		jobs = append(jobs, job{Index("val", i)})
	}
	total := len(jobs)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan job)
	var (
		mu       sync.Mutex
		firstErr error
		done     int
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for range min(max(workers, 1), max(total, 1), runtime.GOMAXPROCS(0)*4) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				if ctx.Err() != nil {
					continue
				}
				sc, err := NewScene(cfg, seed, j.index)
				if err != nil {
					fail(err)
					continue
				}
				if err := lay.write(root, Name(j.index), sc, sc.Render()); err != nil {
					fail(err)
					continue
				}
				mu.Lock()
				done++
				if progress != nil {
					progress(done, total)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case next <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for split, n := range map[string]int{"train": nTrain, "val": nVal} {
		var b strings.Builder
		for i := range n {
			b.WriteString(Name(Index(split, i)))
			b.WriteByte('\n')
		}
		if err := format.WriteFileAtomic(filepath.Join(root, lay.splits, split+".txt"), []byte(b.String())); err != nil {
			return err
		}
	}
	m := Manifest{Version: ManifestVersion, Like: cfg.Like, Seed: seed, Size: [2]int{cfg.H, cfg.W},
		Train: nTrain, Val: nVal, MinObjects: cfg.MinObjects, MaxObjects: cfg.MaxObjects,
		NoShadows: cfg.NoShadows, NoAntialias: cfg.NoAntialias}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return format.WriteFileAtomic(filepath.Join(root, ManifestName), append(b, '\n'))
}

// ManifestName is the file at the root of a written dataset that records
// how it was made.
const ManifestName = "synth.json"

// ManifestVersion is the current Manifest.Version.
const ManifestVersion = 1

// Manifest is the content of ManifestName: everything that determines the
// written files, so that Config and Seed render the same scenes in memory.
type Manifest struct {
	Version     int    `json:"format_version"`
	Like        string `json:"like"`
	Seed        uint64 `json:"seed"`
	Size        [2]int `json:"size"` // [H, W]
	Train       int    `json:"train"`
	Val         int    `json:"val"`
	MinObjects  int    `json:"min_objects"`
	MaxObjects  int    `json:"max_objects"`
	NoShadows   bool   `json:"no_shadows"`
	NoAntialias bool   `json:"no_antialias"`
}

// Config returns the Config the dataset was rendered with.
func (m Manifest) Config() Config {
	return Config{Like: m.Like, H: m.Size[0], W: m.Size[1], MinObjects: m.MinObjects,
		MaxObjects: m.MaxObjects, NoShadows: m.NoShadows, NoAntialias: m.NoAntialias}
}

// ReadManifest reads root's ManifestName; an error names the file and what
// is wrong with it (fs.ErrNotExist when there is none).
func ReadManifest(root string) (Manifest, error) {
	path := filepath.Join(root, ManifestName)
	b, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, err
	}
	var m Manifest
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("%s: %v", path, err)
	}
	if m.Version != ManifestVersion {
		return Manifest{}, fmt.Errorf("%s: format_version %d: expected %d", path, m.Version, ManifestVersion)
	}
	if _, err := m.Config().withDefaults(); err != nil {
		return Manifest{}, fmt.Errorf("%s: %v", path, err)
	}
	return m, nil
}

// diskLayout is one release's folders and its per-sample writer.
type diskLayout struct {
	dirs   []string
	splits string // folder of train.txt and val.txt
	write  func(root, name string, sc *Scene, f *Frame) error
}

var nyudLayout = diskLayout{
	dirs:   []string{"images", "segmentation", "depth", "normals", "edge", "gt_sets"},
	splits: "gt_sets",
	write:  writeNYUDSample,
}

var pascalLayout = diskLayout{
	dirs: []string{"JPEGImages", "semseg/pascal-context", "human_parts", "normals_distill", "sal_distill",
		"pascal-context/trainval", "ImageSets/Context"},
	splits: "ImageSets/Context",
	write:  writePASCALSample,
}

func writeNYUDSample(root, name string, _ *Scene, f *Frame) error {
	h, w := f.Image.H, f.Image.W
	p := func(dir, ext string) string { return filepath.Join(root, dir, name+ext) }
	seg := make([]uint8, h*w)
	for i, c := range f.Semseg {
		if c >= 0 && int(c) < len(NYU40Of13) {
			seg[i] = uint8(NYU40Of13[c] + 1)
		} // else 0: unlabelled
	}
	for _, write := range []func() error{
		func() error { return format.WriteImagePNG(p("images", ".png"), f.Image) },
		func() error { return format.WriteLabelPNG(p("segmentation", ".png"), w, h, seg) },
		func() error { return format.WriteNpy(p("depth", ".npy"), []int{h, w}, f.Depth) },
		func() error { return format.WriteImagePNG(p("normals", ".png"), normalsImage(f.Normals, h, w)) },
		func() error {
			return format.WriteImagePNG(p("edge", ".png"), data.Image{C: 1, H: h, W: w, Pix: f.Edge})
		},
	} {
		if err := write(); err != nil {
			return err
		}
	}
	return nil
}

func writePASCALSample(root, name string, sc *Scene, f *Frame) error {
	h, w := f.Image.H, f.Image.W
	p := func(dir, ext string) string { return filepath.Join(root, dir, name+ext) }
	seg := make([]uint8, h*w)
	for i, c := range f.Semseg {
		seg[i] = data.Ignore
		if c >= 0 && int(c) < len(VOCClasses) {
			seg[i] = uint8(c)
		}
	}
	ids := labelMapIDs(sc.Instances)
	lm := make([]uint16, h*w)
	for i, k := range f.Instance {
		lm[i] = ids[k]
	}
	for _, write := range []func() error{
		func() error { return format.WriteImageJPEG(p("JPEGImages", ".jpg"), f.Image, JPEGQuality) },
		func() error { return format.WriteLabelPNG(p("semseg/pascal-context", ".png"), w, h, seg) },
		func() error {
			return format.WriteMat(p("human_parts", ".mat"), true, annoOf(name, sc, f).Named("anno"))
		},
		func() error { return format.WriteImagePNG(p("normals_distill", ".png"), normalsImage(f.Normals, h, w)) },
		func() error {
			return format.WriteImagePNG(p("sal_distill", ".png"), data.Image{C: 1, H: h, W: w, Pix: f.Sal})
		},
		func() error {
			return format.WriteMat(p("pascal-context/trainval", ".mat"), true, format.MatUint16Matrix(h, w, lm).Named("LabelMap"))
		},
	} {
		if err := write(); err != nil {
			return err
		}
	}
	return nil
}

// normalsImage encodes unit normals as (n+1)/2 per channel, the 8-bit
// encoding 2*v/255 - 1 of the releases.
func normalsImage(n []float32, h, w int) data.Image {
	im := data.NewImage(3, h, w)
	for i, v := range n {
		im.Pix[i] = (v + 1) / 2
	}
	return im
}

// contextIDs are the PASCAL-Context (459-class) ids of the scene kinds, from
// data/db_info/context_classes.json of Multi-Task-Learning-PyTorch; every
// one is a class whose distilled normals count as ground truth (see
// pascal.NormalsValid), so every synthetic normal is read back. Kinds
// without a context class of their own take the nearest one (bin ->
// container, vase -> pot, lamp -> light).
var contextIDs = map[string]uint16{
	"wall": 440, "floor": 158, "ceiling": 68, "window": 454, "painting": 287, "table": 397,
	"chair": 72, "sofa": 368, "bed": 18, "cabinet": 46, "bookshelf": 349, "tv": 427,
	"books": 33, "ball": 10, "lamp": 232, "bin": 88, "box": 37, "plant": 293, "vase": 307,
	"bottle": 34, "pillow": 290, "person": 284,
}

// spareContextIDs are further context classes with valid distilled normals
// (the rest of pascal.NormalsValid's list), for the second wall, the second
// chair, ...
var spareContextIDs = []uint16{
	3, 4, 6, 9, 11, 13, 15, 17, 22, 23, 29, 30, 36, 38, 39, 41, 43, 49, 50, 51, 53, 55, 56,
	59, 61, 62, 65, 66, 69, 73, 78, 83, 84, 85, 87, 95, 96, 101, 104, 105, 107, 111, 113, 115,
	122, 124, 135, 141, 142, 143, 146, 150, 154, 157, 159, 165, 172, 174, 181, 183, 184, 191,
	193, 195, 197, 199, 202, 213, 215, 216, 219, 220, 223, 225, 228, 230, 233, 238, 239, 242,
	243, 246, 250, 251, 252, 255, 260, 261, 263, 269, 272, 273, 275, 281, 283, 285, 286, 288,
	291, 292, 295, 304, 309, 310, 314, 315, 319, 323, 329, 330, 331, 336, 342, 345, 350, 351,
	352, 355, 357, 370, 371, 374, 379, 380, 383, 384, 401, 403, 405, 407, 408, 411, 412, 413,
	414, 417, 419, 421, 423, 429, 430, 432, 441, 442, 443, 444, 446, 457,
}

// labelMapIDs gives every instance its LabelMap value: the context class of
// its kind for the first instance of that kind, a spare class for later ones.
// Each instance gets its own value, so LabelMap boundaries, from which the
// PASCAL loader derives edges, are the instance boundaries that the synthetic
// edges mark. (Scenes hold a few dozen instances; beyond the pool, values
// repeat.)
func labelMapIDs(insts []Instance) []uint16 {
	ids := make([]uint16, len(insts))
	used := map[uint16]bool{}
	spare := 0
	for k, in := range insts {
		if id, ok := contextIDs[in.Kind]; ok && !used[id] {
			ids[k] = id
		} else {
			for spare < len(spareContextIDs) && used[spareContextIDs[spare]] {
				spare++
			}
			ids[k] = spareContextIDs[spare%len(spareContextIDs)]
			spare++
		}
		used[ids[k]] = true
	}
	return ids
}

// annoOf builds human_parts/NAME.mat's anno as PASCAL-Part stores it:
// anno.imname, and anno.objects, one element per visible object of a VOC
// class (not background) with its class name, class_ind (VOC id), instance
// mask and parts; the person's parts are one element per part label present,
// named PartNameOf[label], with the mask of that label. Other objects have
// a 1x0 parts array.
func annoOf(name string, sc *Scene, f *Frame) *format.MatValue {
	h, w := f.Image.H, f.Image.W
	partFields := []string{"part_name", "mask"}
	var objs [][]*format.MatValue
	for k, in := range sc.Instances {
		if in.Class <= 0 || in.Class >= len(VOCClasses) {
			continue
		}
		mask := make([]bool, h*w)
		any := false
		for i, v := range f.Instance {
			if int(v) == k {
				mask[i], any = true, true
			}
		}
		if !any {
			continue
		}
		var parts [][]*format.MatValue
		if in.Class == VOCPerson {
			for label := 1; label < len(PartNameOf); label++ {
				pm := make([]bool, h*w)
				has := false
				for i, v := range f.Parts {
					if mask[i] && int(v) == label {
						pm[i], has = true, true
					}
				}
				if has {
					parts = append(parts, []*format.MatValue{format.MatString(PartNameOf[label]), format.MatLogicalMatrix(h, w, pm)})
				}
			}
		}
		objs = append(objs, []*format.MatValue{
			format.MatString(VOCClasses[in.Class]), format.MatDoubleScalar(float64(in.Class)),
			format.MatLogicalMatrix(h, w, mask), format.MatStructRow(partFields, parts...),
		})
	}
	objects := format.MatStructRow([]string{"class", "class_ind", "mask", "parts"}, objs...)
	return format.MatStructRow([]string{"imname", "objects"}, []*format.MatValue{format.MatString(name), objects})
}
