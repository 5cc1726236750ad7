package allnet

import (
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"

	"allnet/allnet/vis"
	"allnet/data"
	"allnet/data/degrade"
	"allnet/data/loader"
	"allnet/engine"
	"allnet/engine/backend"
	"allnet/metrics"
)

// PanelImages is how many validation images the trainer's panels show.
const PanelImages = 4

// WritePanels runs m on the first n images of the degraded validation
// split of val (seed 0 and the degradation ranges deg, zero for the
// defaults, as Evaluate) and writes one picture, a row per
// image: degraded input | restored | clean | each task's prediction and
// ground truth, to DIR/panels/step_NNNNNN.png and DIR/panels/latest.png
// (atomically).
func WritePanels(m *Model, val data.Dataset, dir string, step, n int, dev backend.Backend, deg degrade.Options) (err error) {
	if dev == nil {
		dev = engine.CPU()
	}
	if n < 1 {
		return nil
	}
	info := val.Info()
	tasks, err := evalTasks(m.Config, info)
	if err != nil {
		return err
	}
	if n < val.Len() {
		val = firstN{val, n}
	}
	batch := n
	if info.Size == [2]int{} {
		batch = 1
	}
	ld, err := loader.New(val, loader.Options{Batch: batch, Workers: 1, Degrade: deg})
	if err != nil {
		return fmt.Errorf("allnet: panels: %w", err)
	}
	defer ld.Close()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("allnet: panels: %v", r)
		}
	}()
	pal := vis.PaletteFor(info.Dataset)
	if info.Dataset == "synthetic" && info.Classes != 21 {
		pal = vis.NYUDPalette()
	}
	var rows []image.Image
	for {
		b, err := ld.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("allnet: panels: %w", err)
		}
		p := predict(m, b, dev, tasks)
		d01 := denormalized(b)
		h, w := b.H, b.W
		hw := h * w
		for i := range b.B {
			img := func(s []float32) image.Image {
				return vis.RGB(data.Image{C: 3, H: h, W: w, Pix: s[i*3*hw : (i+1)*3*hw]})
			}
			ims := []image.Image{img(d01), img(p.rgb), img(b.Clean)}
			labels := []string{b.Types[i], "restored", "clean"}
			add := func(name string, pred, gt image.Image) {
				ims, labels = append(ims, pred, gt), append(labels, name, name+" GT")
			}
			one := func(s []int32) []int32 { return s[i*hw : (i+1)*hw] }
			onef := func(s []float32, c int) []float32 { return s[i*c*hw : (i+1)*c*hw] }
			gray := func(s []uint8) []float32 {
				out := make([]float32, hw)
				for j, v := range s[i*hw : (i+1)*hw] {
					out[j] = float32(v) / 255
				}
				return out
			}
			for _, t := range tasks {
				switch t {
				case metrics.TaskSemseg:
					add(t, vis.Segmentation(one(p.semseg), w, h, pal), vis.Segmentation(one(b.Semseg), w, h, pal))
				case metrics.TaskParts:
					add(t, vis.Segmentation(one(p.parts), w, h, vis.VOCPalette()), vis.Segmentation(one(b.Parts), w, h, vis.VOCPalette()))
				case metrics.TaskDepth:
					gt := onef(b.Depth, 1)
					lo, hi := vis.DepthRange(gt)
					add(t, vis.Depth(onef(p.depth, 1), w, h, lo, hi), vis.Depth(gt, w, h, lo, hi))
				case metrics.TaskNormals:
					add(t, vis.Normals(onef(p.normals, 3), w, h), vis.Normals(onef(b.Normals, 3), w, h))
				case metrics.TaskEdge:
					add(t, vis.Gray(gray(p.edge), w, h), vis.Gray(onef(b.Edge, 1), w, h))
				case metrics.TaskSal:
					add(t, vis.Gray(gray(p.sal), w, h), vis.Gray(onef(b.Sal, 1), w, h))
				}
			}
			rows = append(rows, vis.Panel(ims, labels))
		}
	}
	out := vis.Stack(rows...)
	pd := filepath.Join(dir, RunPanelsDir)
	if err := os.MkdirAll(pd, 0o755); err != nil {
		return fmt.Errorf("allnet: panels: %w", err)
	}
	for _, name := range []string{fmt.Sprintf("step_%06d.png", step), "latest.png"} {
		if err := writePNGAtomic(filepath.Join(pd, name), out); err != nil {
			return fmt.Errorf("allnet: panels: %w", err)
		}
	}
	return nil
}
