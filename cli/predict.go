package cli

// predict: run a trained ALLNet checkpoint on photos of any size and write
// the restored image, each task's picture and a side-by-side panel.

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"allnet/allnet"
	"allnet/allnet/vis"
	"allnet/data"
	"allnet/data/format"
	"allnet/data/transform"
	"allnet/engine"
	"allnet/engine/backend"
)

func init() { addCommand(predictCommand) }

func predictCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "predict",
		Usage:     "run a checkpoint on photos (PNG or JPEG, any size) and write the restored image, task maps and a panel per photo",
		UsageText: programName + " predict --checkpoint FILE --in IMG|DIR --out DIR [--depth-max M] [--device cpu] [--json]",
		Description: "Reads --in (one image, or every .png, .jpg and .jpeg directly in a directory, in name order), " +
			"normalises it with the ImageNet mean and std and runs the model (inference mode; the model pads to a " +
			"multiple of 32 and crops back). Per image NAME it writes to --out, all at the photo's size: " +
			"NAME_restored.png; NAME_semseg.png and NAME_parts.png (class colours: the NYU40 ScanNet palette for " +
			"NYUD, PASCAL VOC's for PASCAL); NAME_depth.png (turbo, near red, far blue, over 0..--depth-max metres, " +
			"or each image's own range with --depth-max 0) and NAME_depth.npy (float32 HxW, metres); " +
			"NAME_normals.png ((n+1)/2 as RGB); NAME_edge.png and NAME_sal.png (probability as grey); and " +
			"NAME_panel.png (input | restored | each task, labelled). Only the checkpoint's tasks are written. " +
			"An image that cannot be read stops the command with an error naming it (outputs of earlier images stay).",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "checkpoint", Usage: "model checkpoint `FILE` (.safetensors, written by train)"},
			&ucli.StringFlag{Name: "in", Usage: "input `IMG` (PNG or JPEG) or a directory of them"},
			&ucli.StringFlag{Name: "out", Usage: "output `DIR` (created if missing)"},
			&ucli.Float64Flag{Name: "depth-max", Value: vis.DepthMax, Usage: "far end `M` of the depth colour map in metres; 0: each image's own range"},
			DeviceFlag(),
			JSONFlag(),
		},
		Action: runPredict,
	}
}

// predictResult is predict's JSON output.
type predictResult struct {
	Checkpoint string         `json:"checkpoint"`
	Preset     string         `json:"preset"`
	Dataset    string         `json:"dataset"`
	Tasks      []string       `json:"tasks"`
	Out        string         `json:"out"`
	Images     []predictImage `json:"images"`
	Seconds    float64        `json:"seconds"`
}

// predictImage is one input's entry: its size and the files written, by
// kind (restored, a task name, depth_npy, panel).
type predictImage struct {
	Input   string            `json:"input"`
	Name    string            `json:"name"`
	Size    [2]int            `json:"size"` // H, W
	Seconds float64           `json:"seconds"`
	Files   map[string]string `json:"files"`
}

// imageExts are the file extensions predict reads from a directory.
var imageExts = []string{".png", ".jpg", ".jpeg"}

func runPredict(c *ucli.Context) error {
	if err := NoArgs(c); err != nil {
		return err
	}
	for _, f := range []string{"checkpoint", "in", "out"} {
		if c.String(f) == "" {
			return UsageErrorf("predict: --%s is required (see '%s predict --help')", f, programName)
		}
	}
	if dm := c.Float64("depth-max"); !(dm >= 0) {
		return UsageErrorf("predict: --depth-max %v: want a distance in metres >= 0", dm)
	}
	inputs, err := predictInputs(c.String("in"))
	if err != nil {
		return err
	}
	out := c.String("out")
	if st, err := os.Stat(out); err == nil && !st.IsDir() {
		return Errorf("--out %s: is a file, want a directory", out)
	}
	dev, err := OpenDevice(c)
	if err != nil {
		return err
	}
	m, meta, _, err := allnet.LoadModelCheckpoint(c.String("checkpoint"))
	if err != nil {
		return Errorf("--checkpoint: %v", err)
	}
	if dev != engine.CPU() {
		for _, t := range append(m.Parameters(), m.Buffers()...) {
			t.MoveTo(dev)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return Errorf("--out: %v", err)
	}
	res := predictResult{Checkpoint: c.String("checkpoint"), Preset: meta.Preset, Dataset: m.Config.Dataset,
		Tasks: m.Config.Tasks, Out: out}
	start := time.Now()
	for i, in := range inputs {
		t0 := time.Now()
		pi, err := predictOne(m, dev, in, out, float32(c.Float64("depth-max")))
		if err != nil {
			return err
		}
		pi.Seconds = time.Since(t0).Seconds()
		Logf(c, "predict: [%d/%d] %s (HxW %dx%d) in %.2fs", i+1, len(inputs), in, pi.Size[0], pi.Size[1], pi.Seconds)
		res.Images = append(res.Images, pi)
	}
	res.Seconds = time.Since(start).Seconds()
	if c.Bool("json") {
		return WriteJSON(Stdout(c), res)
	}
	return writePredictMarkdown(c, res)
}

// predictInputs lists the images of --in: the file itself, or the
// .png/.jpg/.jpeg files directly in the directory (case-insensitive
// extensions), sorted by name. Two inputs with one base name (a.png,
// a.jpg) would write the same outputs and are an error.
func predictInputs(in string) ([]string, error) {
	st, err := os.Stat(in)
	if err != nil {
		return nil, Errorf("--in: %v", err)
	}
	if !st.IsDir() {
		return []string{in}, nil
	}
	ents, err := os.ReadDir(in)
	if err != nil {
		return nil, Errorf("--in: %v", err)
	}
	var files []string
	seen := map[string]string{}
	for _, e := range ents {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || !slices.Contains(imageExts, ext) {
			continue
		}
		stem := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
		if prev, ok := seen[stem]; ok {
			return nil, Errorf("--in %s: %s and %s would write the same outputs (%s_*); rename one", in, prev, e.Name(), stem)
		}
		seen[stem] = e.Name()
		files = append(files, filepath.Join(in, e.Name()))
	}
	if len(files) == 0 {
		return nil, Errorf("--in %s: no .png, .jpg or .jpeg files in the directory", in)
	}
	slices.Sort(files)
	return files, nil
}

// predictOne runs m on one photo and writes its files.
func predictOne(m *allnet.Model, dev backend.Backend, in, out string, depthMax float32) (predictImage, error) {
	img, err := format.ReadImage(in)
	if err != nil {
		return predictImage{}, Errorf("--in: reading %s: %v", in, err)
	}
	name := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
	h, w := img.H, img.W
	pi := predictImage{Input: in, Name: name, Size: [2]int{h, w}, Files: map[string]string{}}
	norm := img.Clone()
	transform.Normalize(norm, transform.ImageNetMean, transform.ImageNetStd)
	var outs predictMaps
	engine.NoGrad(func() {
		x := engine.FromFloat32(dev, norm.Pix, 1, 3, h, w)
		x01 := engine.FromFloat32(dev, img.Pix, 1, 3, h, w)
		o := m.Forward(x, x01, false, nil)
		outs = downloadMaps(o)
	})

	pal := vis.PaletteFor(m.Config.Dataset)
	tiles := []image.Image{vis.RGB(img)}
	labels := []string{"input"}
	write := func(kind string, pic image.Image) error {
		p := filepath.Join(out, name+"_"+kind+".png")
		if err := writeImage(p, pic); err != nil {
			return err
		}
		pi.Files[kind] = p
		if kind != "panel" {
			tiles, labels = append(tiles, pic), append(labels, kind)
		}
		return nil
	}
	if err := write("restored", vis.RGB(data.Image{C: 3, H: h, W: w, Pix: outs.restored})); err != nil {
		return pi, err
	}
	for _, t := range m.Config.Tasks {
		var pic image.Image
		switch v := outs.tasks[t]; t {
		case allnet.TaskSemseg, allnet.TaskParts:
			pic = vis.Segmentation(outs.labels[t], w, h, pal)
		case allnet.TaskDepth:
			lo, hi := float32(0), depthMax
			if depthMax == 0 {
				lo, hi = vis.DepthRange(v)
			}
			pic = vis.Depth(v, w, h, lo, hi)
			p := filepath.Join(out, name+"_depth.npy")
			if err := format.WriteNpy(p, []int{h, w}, v); err != nil {
				return pi, Errorf("--out: %v", err)
			}
			pi.Files["depth_npy"] = p
		case allnet.TaskNormals:
			pic = vis.Normals(v, w, h)
		case allnet.TaskEdge, allnet.TaskSal:
			pic = vis.Gray(v, w, h)
		default:
			continue
		}
		if err := write(t, pic); err != nil {
			return pi, err
		}
	}
	return pi, write("panel", vis.Panel(tiles, labels))
}

// predictMaps are one image's outputs on the CPU: class maps (argmax) for
// semseg and parts, probabilities (sigmoid) for edge and saliency, depth in
// metres, unit normals (3, H, W) and the restored image (3, H, W).
type predictMaps struct {
	labels   map[string][]int32
	tasks    map[string][]float32
	restored []float32
}

func downloadMaps(o *allnet.Outputs) predictMaps {
	pm := predictMaps{labels: map[string][]int32{}, tasks: map[string][]float32{}, restored: o.Restored.Float32s()}
	for t, v := range o.Tasks {
		switch t {
		case allnet.TaskSemseg, allnet.TaskParts:
			pm.labels[t] = engine.ArgMax(v, 1).Int32s()
		case allnet.TaskEdge, allnet.TaskSal:
			pm.tasks[t] = engine.Sigmoid(v).Float32s()
		default:
			pm.tasks[t] = v.Float32s()
		}
	}
	return pm
}

// writeImage writes pic as PNG atomically.
func writeImage(path string, pic image.Image) error {
	var b bytes.Buffer
	if err := png.Encode(&b, pic); err != nil {
		return Errorf("--out: encoding %s: %v", path, err)
	}
	if err := format.WriteFileAtomic(path, b.Bytes()); err != nil {
		return Errorf("--out: %v", err)
	}
	return nil
}

func writePredictMarkdown(c *ucli.Context, res predictResult) error {
	w := Stdout(c)
	fmt.Fprintf(w, "# predict: %s (%s, %s)\n\n%d image(s) in %.2fs, written to %s; tasks: %s\n\n",
		res.Checkpoint, res.Preset, res.Dataset, len(res.Images), res.Seconds, res.Out, strings.Join(res.Tasks, ", "))
	fmt.Fprintf(w, "| input | size (HxW) | seconds | files |\n|---|---|---|---|\n")
	for _, im := range res.Images {
		var fs []string
		for _, k := range slices.Sorted(maps.Keys(im.Files)) {
			fs = append(fs, filepath.Base(im.Files[k]))
		}
		fmt.Fprintf(w, "| %s | %dx%d | %.2f | %s |\n", im.Input, im.Size[0], im.Size[1], im.Seconds, strings.Join(fs, ", "))
	}
	return nil
}
