package allnet

import (
	"slices"

	"allnet/data"
	"allnet/metrics"
)

// evalAccs holds one metrics accumulator per scored task; the others are
// nil. It mirrors the accumulators of `allnet-cli eval --pred`
// (cli/eval_score.go), so that both score a prediction alike.
type evalAccs struct {
	seg, parts *metrics.Segmentation
	depth      *metrics.Depth
	normals    *metrics.Normals
	sal        *metrics.Saliency
	edge       *metrics.Edge
	rest       *metrics.Restoration
}

// newEvalAccs returns empty accumulators for tasks of a dataset: semseg
// with its classes, edges with its match tolerance, SSIM with the Gaussian
// window.
func newEvalAccs(tasks []string, info data.Info) *evalAccs {
	a := &evalAccs{}
	for _, t := range tasks {
		switch t {
		case metrics.TaskSemseg:
			a.seg = metrics.NewSegmentation(info.Classes)
		case metrics.TaskParts:
			a.parts = metrics.NewSegmentation(PartsClasses)
		case metrics.TaskDepth:
			a.depth = metrics.NewDepth()
		case metrics.TaskNormals:
			a.normals = metrics.NewNormals()
		case metrics.TaskSal:
			a.sal = metrics.NewSaliency()
		case metrics.TaskEdge:
			a.edge = metrics.NewEdge(metrics.EdgeOptions{MaxDist: edgeMaxDist(info)})
		case metrics.TaskRestored:
			a.rest = metrics.NewRestoration(metrics.SSIMGaussian)
		}
	}
	return a
}

// edgeMaxDist returns the edge match tolerance of a dataset: PASCAL's for
// pascal and for pascal-like synthetic scenes (with saliency or parts),
// NYUD's otherwise (as eval --pred).
func edgeMaxDist(info data.Info) float64 {
	pascalLike := info.Dataset == "synthetic" &&
		(slices.Contains(info.Tasks, metrics.TaskSal) || slices.Contains(info.Tasks, metrics.TaskParts))
	if info.Dataset == "pascal" || pascalLike {
		return metrics.EdgeMaxDistPASCAL
	}
	return metrics.EdgeMaxDistNYUD
}

// merge adds the counts of o, made for the same tasks and dataset.
func (a *evalAccs) merge(o *evalAccs) error {
	for _, s := range [][2]*metrics.Segmentation{{a.seg, o.seg}, {a.parts, o.parts}} {
		if s[0] != nil {
			if err := s[0].Merge(s[1]); err != nil {
				return err
			}
		}
	}
	if a.depth != nil {
		a.depth.Merge(o.depth)
	}
	if a.normals != nil {
		a.normals.Merge(o.normals)
	}
	if a.sal != nil {
		a.sal.Merge(o.sal)
	}
	if a.edge != nil {
		if err := a.edge.Merge(o.edge); err != nil {
			return err
		}
	}
	if a.rest != nil {
		return a.rest.Merge(o.rest)
	}
	return nil
}

// results reads every accumulator.
func (a *evalAccs) results() metrics.TaskResults {
	var r metrics.TaskResults
	if a.seg != nil {
		v := a.seg.Result()
		r.Semseg = &v
	}
	if a.parts != nil {
		v := a.parts.Result()
		r.Parts = &v
	}
	if a.depth != nil {
		v := a.depth.Result()
		r.Depth = &v
	}
	if a.normals != nil {
		v := a.normals.Result()
		r.Normals = &v
	}
	if a.sal != nil {
		v := a.sal.Result()
		r.Sal = &v
	}
	if a.edge != nil {
		v := a.edge.Result()
		r.Edge = &v
	}
	if a.rest != nil {
		v := a.rest.Result()
		r.Restored = &v
	}
	return r
}
