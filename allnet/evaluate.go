package allnet

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"allnet/data"
	"allnet/data/degrade"
	"allnet/data/format"
	"allnet/data/loader"
	"allnet/data/transform"
	"allnet/engine"
	"allnet/engine/backend"
	"allnet/metrics"
)

// EvalOptions configure Evaluate.
type EvalOptions struct {
	// Seed is the seed of the degraded validation split (CONVENTIONS.md
	// "Seeds and degraded splits"; 0 by default).
	Seed uint64
	// Degrade holds the degradation ranges of the degraded split (zero:
	// degrade.DefaultOptions(); a run trained with degrade_scale evaluates
	// with degrade.DefaultOptions().Scaled(scale)).
	Degrade degrade.Options
	// Clean evaluates on the clean images instead of the degraded split:
	// no per-degradation rows and no input PSNR/SSIM.
	Clean bool
	// Workers are the loader's goroutines (0 = GOMAXPROCS); the report does
	// not depend on it.
	Workers int
	// Limit evaluates the first Limit images only (0 = all).
	Limit int
	// SavePred, when not empty, is a prediction folder (CONVENTIONS.md
	// "Prediction folder") to write: DIR/TASK/NAME.ext for every image and
	// scored task, and, for the degraded split, DIR/degradations.json.
	// `allnet-cli eval --pred DIR` scores it to the same report (restored
	// up to its 8-bit quantisation).
	SavePred string
	// Device is where the model's parameters live and the forward pass
	// runs; nil means the CPU. Degradations are always synthesised on the
	// CPU (by the loader).
	Device backend.Backend
}

// evalBatch is the evaluation batch of datasets with one working size;
// datasets whose images keep their own sizes (PASCAL) take batch 1.
const evalBatch = 4

// evalBatchOf is the evaluation batch for a dataset: evalBatch, or 1 when
// its images keep their own sizes.
func evalBatchOf(info data.Info) int {
	if info.Size == [2]int{} {
		return 1
	}
	return evalBatch
}

// Evaluate runs m (in evaluation mode, without gradients) over ds, the
// seeded degraded split (loader.Options with Train false: every image's
// degradation is degrade.ValSpec(Seed, NAME)) or, with Clean, the clean
// images, and scores its outputs at the working resolution as `eval --pred`
// scores a prediction folder: semseg and parts by the argmax class, depth
// in metres, normals as predicted (unit vectors), edge and saliency as
// sigmoid probabilities quantised to 0-255 (as the PNGs store them), the
// restored image clamped to [0, 1] (against the degraded input, synthesised
// again from the clean image by its spec, for input_psnr/input_ssim).
//
// The tasks scored are the model's tasks (each must be one of the
// dataset's) and restored. The report has the CONVENTIONS.md shape with
// rows per degradation type unless Clean; Count is the number of images
// evaluated. progress, when not nil, is called after each image with the
// images done and the total.
func Evaluate(m *Model, ds data.Dataset, opts EvalOptions, progress func(done, total int)) (rep *metrics.Report, err error) {
	info := ds.Info()
	tasks, err := evalTasks(m.Config, info)
	if err != nil {
		return nil, err
	}
	if opts.Limit < 0 {
		return nil, fmt.Errorf("allnet: evaluate: limit %d, want >= 0 (0 = all images)", opts.Limit)
	}
	if opts.Limit > 0 && opts.Limit < ds.Len() {
		ds = firstN{ds, opts.Limit}
	}
	dev := opts.Device
	if dev == nil {
		dev = engine.CPU()
	}
	ld, err := loader.New(ds, loader.Options{Batch: evalBatchOf(info), Workers: opts.Workers, Seed: opts.Seed, Clean: opts.Clean, Degrade: opts.Degrade})
	if err != nil {
		return nil, fmt.Errorf("allnet: evaluate: %w", err)
	}
	defer ld.Close()
	if opts.SavePred != "" {
		for _, t := range tasks {
			if err := os.MkdirAll(filepath.Join(opts.SavePred, t), 0o755); err != nil {
				return nil, fmt.Errorf("allnet: evaluate: --save-pred: %w", err)
			}
		}
	}
	defer func() { // engine ops panic on shape errors; report them as errors
		if r := recover(); r != nil {
			rep, err = nil, fmt.Errorf("allnet: evaluate: %v", r)
		}
	}()

	spec := metrics.TaskSetSpec{Tasks: tasks, Classes: info.Classes, PartsClasses: PartsClasses,
		Edge: metrics.EdgeOptions{MaxDist: metrics.EdgeMaxDistFor(info.Dataset, info.Tasks)}}
	mk := spec.New
	total := mk()
	byType := map[string]*metrics.TaskSet{}
	specs := map[string]degrade.Spec{}
	n, done := ds.Len(), 0
	for {
		b, err := ld.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("allnet: evaluate: %w", err)
		}
		p := predict(m, b, dev, tasks)
		for i := range b.B {
			img := p.scoreImage(b, i, mk())
			if err := img.err; err != nil {
				return nil, fmt.Errorf("allnet: evaluate: image %s: %w", b.Names[i], err)
			}
			if opts.SavePred != "" {
				if err := p.save(opts.SavePred, b, i); err != nil {
					return nil, fmt.Errorf("allnet: evaluate: --save-pred: %w", err)
				}
			}
			if err := total.Merge(img.acc); err != nil {
				return nil, err
			}
			if !opts.Clean {
				specs[b.Names[i]] = b.Specs[i]
				a := byType[b.Types[i]]
				if a == nil {
					a = mk()
					byType[b.Types[i]] = a
				}
				if err := a.Merge(img.acc); err != nil {
					return nil, err
				}
			}
			done++
			if progress != nil {
				progress(done, n)
			}
		}
	}
	if opts.SavePred != "" && !opts.Clean {
		js, err := degrade.MarshalSpecs(specs)
		if err != nil {
			return nil, fmt.Errorf("allnet: evaluate: %w", err)
		}
		if err := format.WriteFileAtomic(filepath.Join(opts.SavePred, "degradations.json"), js); err != nil {
			return nil, fmt.Errorf("allnet: evaluate: --save-pred: %w", err)
		}
	}
	rep = &metrics.Report{Dataset: info.Dataset, Split: info.Split, Count: done, Tasks: total.Results()}
	if !opts.Clean {
		rep.ByDegradation = map[string]metrics.TaskResults{}
		for t, a := range byType {
			rep.ByDegradation[t] = a.Results()
		}
	}
	return rep, nil
}

// evalTasks returns the tasks Evaluate scores, in metrics.Tasks order: the
// model's tasks, each of which the dataset must have (semseg with the same
// classes), and restored.
func evalTasks(cfg Config, info data.Info) ([]string, error) {
	for _, t := range cfg.Tasks {
		if !slices.Contains(info.Tasks, t) {
			return nil, fmt.Errorf("allnet: evaluate: the model predicts %s, which %s has no ground truth for (its tasks: %v)",
				t, info.Dataset, info.Tasks)
		}
	}
	if slices.Contains(cfg.Tasks, TaskSemseg) && cfg.SemsegClasses != info.Classes {
		return nil, fmt.Errorf("allnet: evaluate: the model predicts %d semantic classes, %s %s has %d",
			cfg.SemsegClasses, info.Dataset, info.Split, info.Classes)
	}
	var out []string
	for _, t := range metrics.Tasks {
		if t == metrics.TaskRestored || slices.Contains(cfg.Tasks, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// firstN is the first n samples of a dataset.
type firstN struct {
	data.Dataset
	n int
}

func (f firstN) Len() int { return f.n }

// batchPred is one batch's predictions on the host, in the layouts the
// metrics take: (B, H, W) class ids, depth and 0-255 maps, (B, 3, H, W)
// normals and restored images.
type batchPred struct {
	semseg, parts       []int32
	depth, normals, rgb []float32
	edge, sal           []uint8
}

// predict runs the model on a batch without gradients and downloads its
// outputs.
func predict(m *Model, b *loader.Batch, dev backend.Backend, tasks []string) *batchPred {
	var p batchPred
	engine.NoGrad(func() {
		x := engine.FromFloat32(dev, b.Images, b.B, 3, b.H, b.W)
		d01 := engine.FromFloat32(dev, denormalized(b), b.B, 3, b.H, b.W)
		out := m.Forward(x, d01, false, nil)
		for _, t := range tasks {
			switch t {
			case metrics.TaskSemseg:
				p.semseg = engine.ArgMax(out.Tasks[TaskSemseg], 1).Int32s()
			case metrics.TaskParts:
				p.parts = engine.ArgMax(out.Tasks[TaskParts], 1).Int32s()
			case metrics.TaskDepth:
				p.depth = out.Tasks[TaskDepth].Float32s()
			case metrics.TaskNormals:
				p.normals = out.Tasks[TaskNormals].Float32s()
			case metrics.TaskEdge:
				p.edge = toBytes(engine.Sigmoid(out.Tasks[TaskEdge]).Float32s())
			case metrics.TaskSal:
				p.sal = toBytes(engine.Sigmoid(out.Tasks[TaskSal]).Float32s())
			case metrics.TaskRestored:
				p.rgb = engine.Clamp(out.Restored, 0, 1).Float32s()
			}
		}
	})
	return &p
}

// denormalized returns the batch's ImageNet-normalised images (B, 3, H, W)
// mapped back to [0, 1] (transform.Denormalize), the restoration base.
func denormalized(b *loader.Batch) []float32 {
	out := slices.Clone(b.Images)
	n := 3 * b.H * b.W
	for i := range b.B {
		transform.Denormalize(data.Image{C: 3, H: b.H, W: b.W, Pix: out[i*n : (i+1)*n]}, transform.ImageNetMean, transform.ImageNetStd)
	}
	return out
}

// toBytes maps probabilities to 0-255 as the PNG writer does: round(v*255),
// clamped, NaN as 0.
func toBytes(v []float32) []uint8 {
	out := make([]uint8, len(v))
	for i, x := range v {
		switch {
		case !(x > 0):
		case x >= 1:
			out[i] = 255
		default:
			out[i] = uint8(math.Round(float64(x) * 255))
		}
	}
	return out
}

// imgScore is one image's scores in accumulators of its own.
type imgScore struct {
	acc *metrics.TaskSet
	err error
}

// scoreImage scores image i of the batch into fresh accumulators. Merging
// per-image accumulators in image order is what `eval --pred` does, so the
// sums, and the report, come out the same.
func (p *batchPred) scoreImage(b *loader.Batch, i int, a *metrics.TaskSet) imgScore {
	h, w := b.H, b.W
	hw := h * w
	one := func(s []int32) []int32 { return s[i*hw : (i+1)*hw] }
	onef := func(s []float32, c int) []float32 { return s[i*c*hw : (i+1)*c*hw] }
	oneb := func(s []uint8) []uint8 { return s[i*hw : (i+1)*hw] }
	var err error
	add := func(e error) {
		if err == nil {
			err = e
		}
	}
	if a.Semseg != nil && b.Semseg != nil {
		add(a.Semseg.Add(one(p.semseg), one(b.Semseg), h, w))
	}
	if a.Parts != nil && b.Parts != nil {
		add(a.Parts.Add(one(p.parts), one(b.Parts), h, w))
	}
	if a.Depth != nil && b.Depth != nil {
		add(a.Depth.Add(onef(p.depth, 1), onef(b.Depth, 1), h, w))
	}
	if a.Normals != nil && b.Normals != nil {
		add(a.Normals.Add(onef(p.normals, 3), onef(b.Normals, 3), h, w))
	}
	if a.Sal != nil && b.Sal != nil {
		add(a.Sal.Add(oneb(p.sal), onef(b.Sal, 1), h, w))
	}
	if a.Edge != nil && b.Edge != nil {
		add(a.Edge.AddUint8(oneb(p.edge), onef(b.Edge, 1), h, w))
	}
	if a.Restored != nil {
		clean := onef(b.Clean, 3)
		var degraded []float32
		if spec := b.Specs[i]; spec.Type != degrade.Clean {
			var depth []float32
			if b.Depth != nil {
				depth = onef(b.Depth, 1)
			}
			// The loader's degraded image, before normalisation: the same
			// synthesis eval --pred repeats from degradations.json.
			d, e := degrade.ApplySpec(data.Image{C: 3, H: h, W: w, Pix: clean}, depth, spec)
			add(e)
			degraded = d.Pix
		}
		if err == nil {
			add(a.Restored.Add(onef(p.rgb, 3), degraded, clean, 3, h, w))
		}
	}
	return imgScore{acc: a, err: err}
}

// save writes image i's predictions into the prediction folder dir.
func (p *batchPred) save(dir string, b *loader.Batch, i int) error {
	h, w := b.H, b.W
	hw := h * w
	name := b.Names[i]
	path := func(task, ext string) string { return filepath.Join(dir, task, name+ext) }
	labels := func(task string, v []int32) error {
		u := make([]uint8, hw)
		for k, c := range v[i*hw : (i+1)*hw] {
			u[k] = uint8(c)
		}
		return format.WriteLabelPNG(path(task, ".png"), w, h, u)
	}
	var errs []error
	if p.semseg != nil {
		errs = append(errs, labels(metrics.TaskSemseg, p.semseg))
	}
	if p.parts != nil {
		errs = append(errs, labels(metrics.TaskParts, p.parts))
	}
	if p.depth != nil {
		errs = append(errs, format.WriteNpy(path(metrics.TaskDepth, ".npy"), []int{h, w}, p.depth[i*hw:(i+1)*hw]))
	}
	if p.normals != nil {
		v := p.normals[i*3*hw : (i+1)*3*hw]
		last := make([]float32, 3*hw)
		for k := range hw {
			last[3*k], last[3*k+1], last[3*k+2] = v[k], v[hw+k], v[2*hw+k]
		}
		errs = append(errs, format.WriteNpy(path(metrics.TaskNormals, ".npy"), []int{h, w, 3}, last))
	}
	if p.edge != nil {
		errs = append(errs, format.WriteLabelPNG(path(metrics.TaskEdge, ".png"), w, h, p.edge[i*hw:(i+1)*hw]))
	}
	if p.sal != nil {
		errs = append(errs, format.WriteLabelPNG(path(metrics.TaskSal, ".png"), w, h, p.sal[i*hw:(i+1)*hw]))
	}
	if p.rgb != nil {
		im := data.Image{C: 3, H: h, W: w, Pix: p.rgb[i*3*hw : (i+1)*3*hw]}
		errs = append(errs, format.WriteImagePNG(path(metrics.TaskRestored, ".png"), im))
	}
	return errors.Join(errs...)
}
