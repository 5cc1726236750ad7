package allnet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"allnet/allnet/vis"
	"allnet/data"
	"allnet/data/format"
	"allnet/data/loader"
	"allnet/metrics"
)

// Run folder artefacts written by the trainer besides logs and checkpoints.
const (
	RunCurves    = "curves.png"
	RunReport    = "report.md"
	RunPanelsDir = "panels"
)

// Baselines are reference scores computed from the validation ground truth
// alone, so a reader can judge a model's numbers: semseg predicting the
// most frequent class everywhere, depth predicting the mean valid depth
// everywhere. A field is nil when the dataset has no such task.
type Baselines struct {
	// MajorityClass and MajorityMIoU: the class with the most ground-truth
	// pixels (ignore label excluded) and the mIoU of predicting it at every
	// pixel (metrics.Segmentation: classes absent from the ground truth are
	// left out of the mean).
	MajorityClass *int           `json:"semseg_majority_class,omitempty"`
	MajorityMIoU  *metrics.Float `json:"semseg_majority_miou,omitempty"`
	// MeanDepth and MeanDepthRMSE: the mean over valid pixels (depth > 0)
	// and the rmse of predicting it everywhere (metrics.Depth).
	MeanDepth     *metrics.Float `json:"depth_mean_m,omitempty"`
	MeanDepthRMSE *metrics.Float `json:"depth_mean_rmse,omitempty"`
}

// ComputeBaselines scores the Baselines over the first limit images of ds
// (0 = all; as Evaluate's Limit) at the working resolution the evaluation
// loader gives.
func ComputeBaselines(ds data.Dataset, limit, workers int) (*Baselines, error) {
	info := ds.Info()
	hasSeg, hasDepth := slices.Contains(info.Tasks, TaskSemseg), slices.Contains(info.Tasks, TaskDepth)
	b := &Baselines{}
	if !hasSeg && !hasDepth {
		return b, nil
	}
	if limit > 0 && limit < ds.Len() {
		ds = firstN{ds, limit}
	}
	hist := make([]int64, max(info.Classes, 1))
	var segN, depN int64
	var sum, sumSq float64
	err := scanGroundTruth(ds, workers, func(bt *loader.Batch) {
		for _, l := range bt.Semseg {
			if l >= 0 && int(l) < len(hist) {
				hist[l]++
				segN++
			}
		}
		for _, d := range bt.Depth {
			if g := float64(d); g > 0 && !math.IsInf(g, 1) {
				sum += g
				sumSq += g * g
				depN++
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("allnet: baselines: %w", err)
	}
	if hasSeg && segN > 0 {
		c, present := 0, 0
		for k, n := range hist {
			if n > hist[c] {
				c = k
			}
			if n > 0 {
				present++
			}
		}
		// Predicting c everywhere: IoU_c = n_c / N; every other class
		// present in the ground truth has IoU 0; absent ones are left out.
		miou := metrics.Float(float64(hist[c]) / float64(segN) / float64(present))
		b.MajorityClass, b.MajorityMIoU = &c, &miou
	}
	if hasDepth && depN > 0 {
		mean := sum / float64(depN)
		rmse := metrics.Float(math.Sqrt(math.Max(sumSq/float64(depN)-mean*mean, 0)))
		m := metrics.Float(mean)
		b.MeanDepth, b.MeanDepthRMSE = &m, &rmse
	}
	return b, nil
}

// EvalRecord is one eval.jsonl line.
type EvalRecord struct {
	Step          int                            `json:"step"`
	Count         int                            `json:"count"`
	Tasks         metrics.TaskResults            `json:"tasks"`
	ByDegradation map[string]metrics.TaskResults `json:"by_degradation,omitempty"`
	MainMetric    string                         `json:"main_metric"`
	MainValue     *float64                       `json:"main_value,omitempty"`
	DeltaMTL      *metrics.DeltaMTLResult        `json:"delta_mtl,omitempty"`
	Baselines     *Baselines                     `json:"baselines,omitempty"`
}

// LogRecord is one log.jsonl line.
type LogRecord struct {
	Step       int                `json:"step"`
	LR         float64            `json:"lr"`
	Loss       float64            `json:"loss"`
	Terms      map[string]float64 `json:"terms"`
	ImagesPerS float64            `json:"images_per_s"`
	TimeS      float64            `json:"time_s"`
}

// ReadRunLogs reads log.jsonl and eval.jsonl of a run folder; a missing
// file reads as empty, an unreadable line is an error naming it.
func ReadRunLogs(dir string) ([]LogRecord, []EvalRecord, error) {
	logs, err := readJSONL[LogRecord](filepath.Join(dir, RunLogFile))
	if err != nil {
		return nil, nil, err
	}
	evals, err := readJSONL[EvalRecord](filepath.Join(dir, RunEvalFile))
	return logs, evals, err
}

func readJSONL[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, line, err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

// curveSize is the size of one subplot of curves.png.
var curveSize = image.Pt(420, 220)

// WriteCurves renders the run's curves.png (atomically) from log.jsonl and
// eval.jsonl: the total loss and each term (log scale), the learning rate,
// and each task's main metric at every evaluation (with Delta_MTL when
// present), two subplots a row.
func WriteCurves(dir string) error {
	logs, evals, err := ReadRunLogs(dir)
	if err != nil {
		return err
	}
	var plots []image.Image
	if len(logs) > 0 {
		steps := make([]float64, len(logs))
		loss, lr := make([]float64, len(logs)), make([]float64, len(logs))
		terms := map[string][]float64{}
		for i, l := range logs {
			steps[i], loss[i], lr[i] = float64(l.Step), l.Loss, l.LR
			for k := range l.Terms {
				if terms[k] == nil {
					terms[k] = nanSlice(len(logs))
				}
			}
		}
		for i, l := range logs {
			for k, v := range l.Terms {
				terms[k][i] = v
			}
		}
		series := []vis.Series{{Name: "total", X: steps, Y: loss}}
		for _, k := range sortedKeys(terms) {
			series = append(series, vis.Series{Name: k, X: steps, Y: terms[k]})
		}
		plots = append(plots, vis.Plot(curveSize.X*2+vis.Gap, curveSize.Y, "loss (log)", true, series...))
		plots = append(plots, vis.Plot(curveSize.X, curveSize.Y, "lr", false, vis.Series{Name: "", X: steps, Y: lr}))
	}
	if len(evals) > 0 {
		steps := make([]float64, len(evals))
		for i, e := range evals {
			steps[i] = float64(e.Step)
		}
		for ti, task := range metrics.Tasks {
			ys, seen, lower := nanSlice(len(evals)), false, false
			for i, e := range evals {
				if v, lo, ok := e.Tasks.Main(task); ok {
					ys[i], seen, lower = float64(v), true, lo
				}
			}
			if !seen {
				continue
			}
			dir := "higher is better"
			if lower {
				dir = "lower is better"
			}
			plots = append(plots, vis.Plot(curveSize.X, curveSize.Y, task+" "+mainMetricName[task]+" ("+dir+")", false,
				vis.Series{X: steps, Y: ys, Color: vis.SeriesColors[ti%len(vis.SeriesColors)]}))
		}
		ys, seen := nanSlice(len(evals)), false
		for i, e := range evals {
			if e.DeltaMTL != nil {
				ys[i], seen = float64(e.DeltaMTL.Mean), true
			}
		}
		if seen {
			plots = append(plots, vis.Plot(curveSize.X, curveSize.Y, "Delta_MTL", false, vis.Series{X: steps, Y: ys}))
		}
	}
	if len(plots) == 0 {
		return nil
	}
	// The loss plot spans a row; the others go two a row.
	rows := []image.Image{plots[0]}
	rest := plots[1:]
	if len(logs) == 0 {
		rows, rest = nil, plots
	}
	rows = append(rows, vis.Grid(rest, 2))
	return writePNGAtomic(filepath.Join(dir, RunCurves), vis.Stack(rows...))
}

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

// writePNGAtomic encodes m and writes it to path atomically.
func writePNGAtomic(path string, m image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		return err
	}
	return format.WriteFileAtomic(path, buf.Bytes())
}

// mainMetricName names each task's main metric in the report.
var mainMetricName = map[string]string{
	metrics.TaskSemseg: "mIoU", metrics.TaskParts: "mIoU", metrics.TaskDepth: "rmse",
	metrics.TaskNormals: "mErr", metrics.TaskSal: "maxF", metrics.TaskEdge: "odsF", metrics.TaskRestored: "PSNR",
}

// fmtMain formats a task's main metric value as the eval tables do.
func fmtMain(task string, v metrics.Float) string {
	if !v.Valid() {
		return "n/a"
	}
	switch task {
	case metrics.TaskSemseg, metrics.TaskParts, metrics.TaskSal, metrics.TaskEdge:
		return fmt.Sprintf("%.2f %%", 100*float64(v))
	case metrics.TaskDepth:
		return fmt.Sprintf("%.4f m", float64(v))
	case metrics.TaskNormals:
		return fmt.Sprintf("%.2f°", float64(v))
	}
	return fmt.Sprintf("%.2f dB", float64(v))
}

// RunSummary is what report.md says about the run besides the evaluation.
type RunSummary struct {
	Config       TrainConfig
	Result       TrainResult
	ImagesPerSec float64 // over this call's steps
	BestCriteria string  // what picks best.safetensors ("semseg mIoU", "Delta_MTL vs FILE")
}

// WriteReport writes the run's report.md (atomically): the run summary,
// the last evaluation of eval.jsonl (task table, main metrics by
// degradation, Delta_MTL), the reference baselines b (may be nil) and
// links to curves.png and panels/.
func WriteReport(dir string, s RunSummary, b *Baselines) error {
	_, evals, err := ReadRunLogs(dir)
	if err != nil {
		return err
	}
	var w strings.Builder
	c, r := s.Config, s.Result
	status := "finished"
	if r.Interrupted {
		status = "interrupted"
	} else if r.Step < r.Iters {
		status = "stopped at --stop-at"
	}
	fmt.Fprintf(&w, "# Training run %s\n\n| | |\n|---|---|\n", filepath.Base(filepath.Clean(dir)))
	row := func(k, v string) { fmt.Fprintf(&w, "| %s | %s |\n", k, v) }
	row("preset", c.Model)
	ds := c.Dataset
	if c.Dataset == "synthetic" {
		ds += " (like " + c.ModelDataset() + ")"
	}
	row("dataset", ds)
	row("tasks", strings.Join(c.Tasks, ", ")+" (+ restoration)")
	row("status", status)
	row("steps", fmt.Sprintf("%d-%d of %d (batch %d)", r.FirstStep, r.Step, r.Iters, c.Batch))
	row("final loss", fmt.Sprintf("%.4f", r.Loss))
	row("time", fmt.Sprintf("%.1f s", r.Seconds))
	row("speed", fmt.Sprintf("%.2f images/s", s.ImagesPerSec))
	best := "not evaluated"
	if !math.IsNaN(r.BestValue) {
		best = fmt.Sprintf("%.4g at step %d (ckpt/best.safetensors)", r.BestValue, r.BestStep)
	}
	row("best by "+s.BestCriteria, best)
	w.WriteString("\n")
	if len(evals) == 0 {
		w.WriteString("No evaluation was run (--eval-every 0).\n")
	} else {
		last := evals[len(evals)-1]
		if b == nil {
			b = last.Baselines
		}
		writeEvalSection(&w, last, b)
	}
	fmt.Fprintf(&w, "\n## Files\n\n- [%s](%s): loss terms, learning rate and main metrics over the steps\n"+
		"- [%s/](%s/): prediction panels of the first validation images at each evaluation (degraded input | restored | clean | each task: prediction, ground truth); [latest](%s/latest.png)\n"+
		"- %s, %s, %s, %s, %s\n", RunCurves, RunCurves, RunPanelsDir, RunPanelsDir, RunPanelsDir,
		RunConfigFile, RunLogFile, RunEvalFile, RunLastCkpt, RunBestCkpt)
	return format.WriteFileAtomic(filepath.Join(dir, RunReport), []byte(w.String()))
}

// writeEvalSection writes the tables of one evaluation.
func writeEvalSection(w *strings.Builder, e EvalRecord, b *Baselines) {
	fmt.Fprintf(w, "## Evaluation at step %d\n\nDegraded validation split, %d images.\n\n", e.Step, e.Count)
	w.WriteString("| Task | Main metric | Value | Reference baseline |\n|---|---|---|---|\n")
	var tasks []string
	for _, t := range metrics.Tasks {
		v, lower, ok := e.Tasks.Main(t)
		if !ok {
			continue
		}
		tasks = append(tasks, t)
		arrow := "↑"
		if lower {
			arrow = "↓"
		}
		ref := ""
		switch {
		case t == metrics.TaskSemseg && b != nil && b.MajorityMIoU != nil:
			ref = fmt.Sprintf("%s (always class %d)", fmtMain(t, *b.MajorityMIoU), *b.MajorityClass)
		case t == metrics.TaskDepth && b != nil && b.MeanDepthRMSE != nil:
			ref = fmt.Sprintf("%s (always the mean, %.3f m)", fmtMain(t, *b.MeanDepthRMSE), float64(*b.MeanDepth))
		case t == metrics.TaskRestored && e.Tasks.Restored != nil && e.Tasks.Restored.InputPSNR.Valid():
			ref = fmtMain(t, e.Tasks.Restored.InputPSNR) + " (the degraded input)"
		}
		fmt.Fprintf(w, "| %s | %s %s | %s | %s |\n", t, mainMetricName[t], arrow, fmtMain(t, v), ref)
	}
	if len(e.ByDegradation) > 0 {
		w.WriteString("\n### By degradation\n\n| Degradation |")
		for _, t := range tasks {
			fmt.Fprintf(w, " %s %s |", t, mainMetricName[t])
		}
		w.WriteString(" input PSNR |\n|---|" + strings.Repeat("---|", len(tasks)+1) + "\n")
		for _, d := range sortedKeys(e.ByDegradation) {
			r := e.ByDegradation[d]
			fmt.Fprintf(w, "| %s |", d)
			for _, t := range tasks {
				v, _, _ := r.Main(t)
				fmt.Fprintf(w, " %s |", fmtMain(t, v))
			}
			in := metrics.NaN()
			if r.Restored != nil {
				in = r.Restored.InputPSNR
			}
			fmt.Fprintf(w, " %s |\n", fmtMain(metrics.TaskRestored, in))
		}
	}
	if d := e.DeltaMTL; d != nil {
		w.WriteString("\n### Gain over the baseline run\n\n| Task | Relative gain |\n|---|---|\n")
		for _, t := range metrics.Tasks {
			if g, ok := d.PerTask[t]; ok {
				fmt.Fprintf(w, "| %s | %+.2f %% |\n", t, 100*float64(g))
			}
		}
		mean := "n/a"
		if d.Mean.Valid() {
			mean = fmt.Sprintf("%+.2f %%", 100*float64(d.Mean))
		}
		fmt.Fprintf(w, "\n**Delta_MTL: %s**\n", mean)
	}
}
