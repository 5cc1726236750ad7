package metrics

import "slices"

// TaskSet holds one accumulator per scored task; the tasks not scored are
// nil. Both `allnet-cli eval --pred` and the model evaluation score through
// it, so a prediction is scored alike either way.
type TaskSet struct {
	Semseg, Parts *Segmentation
	Depth         *Depth
	Normals       *Normals
	Sal           *Saliency
	Edge          *Edge
	Restored      *Restoration
}

// TaskSetSpec says which accumulators a TaskSet has and how they are made.
type TaskSetSpec struct {
	Tasks        []string // task names (TaskSemseg, ...); unknown names are ignored
	Classes      int      // semantic classes
	PartsClasses int      // human-part labels, background included
	Edge         EdgeOptions
}

// New returns empty accumulators for the spec's tasks; SSIM uses the
// Gaussian window.
func (s TaskSetSpec) New() *TaskSet {
	a := &TaskSet{}
	for _, t := range s.Tasks {
		switch t {
		case TaskSemseg:
			a.Semseg = NewSegmentation(s.Classes)
		case TaskParts:
			a.Parts = NewSegmentation(s.PartsClasses)
		case TaskDepth:
			a.Depth = NewDepth()
		case TaskNormals:
			a.Normals = NewNormals()
		case TaskSal:
			a.Sal = NewSaliency()
		case TaskEdge:
			a.Edge = NewEdge(s.Edge)
		case TaskRestored:
			a.Restored = NewRestoration(SSIMGaussian)
		}
	}
	return a
}

// Merge adds the counts of o, made by the same spec.
func (a *TaskSet) Merge(o *TaskSet) error {
	for _, s := range [][2]*Segmentation{{a.Semseg, o.Semseg}, {a.Parts, o.Parts}} {
		if s[0] != nil {
			if err := s[0].Merge(s[1]); err != nil {
				return err
			}
		}
	}
	if a.Depth != nil {
		a.Depth.Merge(o.Depth)
	}
	if a.Normals != nil {
		a.Normals.Merge(o.Normals)
	}
	if a.Sal != nil {
		a.Sal.Merge(o.Sal)
	}
	if a.Edge != nil {
		if err := a.Edge.Merge(o.Edge); err != nil {
			return err
		}
	}
	if a.Restored != nil {
		return a.Restored.Merge(o.Restored)
	}
	return nil
}

// Results reads every accumulator.
func (a *TaskSet) Results() TaskResults {
	var r TaskResults
	r.Semseg = resultOf(a.Semseg)
	r.Parts = resultOf(a.Parts)
	r.Depth = resultOf(a.Depth)
	r.Normals = resultOf(a.Normals)
	r.Sal = resultOf(a.Sal)
	r.Edge = resultOf(a.Edge)
	r.Restored = resultOf(a.Restored)
	return r
}

// resultOf returns a pointer to acc's result, or nil for a nil accumulator.
func resultOf[R any, A interface {
	comparable
	Result() R
}](acc A) *R {
	var zero A
	if acc == zero {
		return nil
	}
	v := acc.Result()
	return &v
}

// EdgeMaxDistFor returns the edge match tolerance of a dataset: PASCAL's for
// "pascal" and for pascal-like synthetic scenes (those with saliency or human
// parts), NYUD's otherwise.
func EdgeMaxDistFor(dataset string, tasks []string) float64 {
	pascalLike := dataset == "synthetic" && (slices.Contains(tasks, TaskSal) || slices.Contains(tasks, TaskParts))
	if dataset == "pascal" || pascalLike {
		return EdgeMaxDistPASCAL
	}
	return EdgeMaxDistNYUD
}
