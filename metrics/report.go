package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Task names, the JSON keys of TaskResults and the prediction folder names.
const (
	TaskSemseg   = "semseg"
	TaskParts    = "parts"
	TaskDepth    = "depth"
	TaskNormals  = "normals"
	TaskSal      = "sal"
	TaskEdge     = "edge"
	TaskRestored = "restored"
)

// Tasks lists the task names in report order.
var Tasks = []string{TaskSemseg, TaskParts, TaskDepth, TaskNormals, TaskSal, TaskEdge, TaskRestored}

// TaskResults holds one result per scored task; a task not scored is nil
// and left out of the JSON.
type TaskResults struct {
	Semseg   *SegResult         `json:"semseg,omitempty"`
	Parts    *SegResult         `json:"parts,omitempty"`
	Depth    *DepthResult       `json:"depth,omitempty"`
	Normals  *NormalsResult     `json:"normals,omitempty"`
	Sal      *SalResult         `json:"sal,omitempty"`
	Edge     *EdgeResult        `json:"edge,omitempty"`
	Restored *RestorationResult `json:"restored,omitempty"`
}

// Main returns the task's main metric and whether lower is better
// (CONVENTIONS.md: semseg and parts mIoU, sal maxF, edge odsF, restored PSNR
// higher; depth rmse, normals mErr lower). ok is false when the task is
// absent or unknown.
func (t *TaskResults) Main(task string) (v Float, lowerBetter, ok bool) {
	switch task {
	case TaskSemseg:
		if t.Semseg != nil {
			return t.Semseg.MIoU, false, true
		}
	case TaskParts:
		if t.Parts != nil {
			return t.Parts.MIoU, false, true
		}
	case TaskDepth:
		if t.Depth != nil {
			return t.Depth.RMSE, true, true
		}
	case TaskNormals:
		if t.Normals != nil {
			return t.Normals.Mean, true, true
		}
	case TaskSal:
		if t.Sal != nil {
			return t.Sal.MaxF, false, true
		}
	case TaskEdge:
		if t.Edge != nil {
			return t.Edge.ODSF, false, true
		}
	case TaskRestored:
		if t.Restored != nil {
			return t.Restored.PSNR, false, true
		}
	}
	return NaN(), false, false
}

// DeltaMTLResult is the multi-task gain of a model over a baseline.
type DeltaMTLResult struct {
	PerTask map[string]Float `json:"per_task"`
	Mean    Float            `json:"mean"`
}

// DeltaMTL returns the relative gain per task and their mean [ALLNet SUPP
// eq. 11-12, after Maninis et al. 2019]:
//
//	Delta_j   = (-1)^l_j (M_m,j - M_s,j) / M_s,j,  l_j = 1 where lower is better
//	Delta_MTL = mean_j Delta_j
//
// over the main metric (TaskResults.Main) of every task present in both
// results with finite values and a non-zero baseline; restoration counts as
// a task when both have it. Gains are fractions (0.05 = +5%). Mean is NaN
// when no task qualifies.
func DeltaMTL(model, baseline *TaskResults) DeltaMTLResult {
	r := DeltaMTLResult{PerTask: map[string]Float{}}
	var sum float64
	for _, task := range Tasks {
		m, lower, ok1 := model.Main(task)
		s, _, ok2 := baseline.Main(task)
		if !ok1 || !ok2 || !m.Valid() || !s.Valid() || s == 0 {
			continue
		}
		d := (float64(m) - float64(s)) / float64(s)
		if lower {
			d = -d
		}
		r.PerTask[task] = Float(d)
		sum += d
	}
	r.Mean = ratio(sum, float64(len(r.PerTask)))
	return r
}

// Report is the eval --json document (CONVENTIONS.md): the scores over the
// whole split, per degradation type when the prediction folder describes
// them, and the gain over a baseline report when one is given. A baseline
// file has the same shape.
type Report struct {
	Dataset       string                 `json:"dataset"`
	Split         string                 `json:"split"`
	Count         int                    `json:"count"` // images scored
	Tasks         TaskResults            `json:"tasks"`
	ByDegradation map[string]TaskResults `json:"by_degradation,omitempty"`
	DeltaMTL      *DeltaMTLResult        `json:"delta_mtl,omitempty"`
}

// WriteJSON writes the report as indented JSON and a newline.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ReadReport reads a report (for example a baseline file) from JSON.
func ReadReport(r io.Reader) (*Report, error) {
	var rep Report
	dec := json.NewDecoder(r)
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("metrics: reading report: %w", err)
	}
	return &rep, nil
}

// ReadReportFile reads a report from a file; errors name the file.
func ReadReportFile(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rep, err := ReadReport(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}
