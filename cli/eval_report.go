package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"allnet/data"
	"allnet/data/degrade"
	"allnet/metrics"
)

// mainMetricKey is the JSON key of each task's main metric
// (CONVENTIONS.md "Main metric per task").
var mainMetricKey = map[string]string{
	metrics.TaskSemseg: "mIoU", metrics.TaskParts: "mIoU", metrics.TaskDepth: "rmse",
	metrics.TaskNormals: "mean", metrics.TaskSal: "maxF", metrics.TaskEdge: "odsF",
	metrics.TaskRestored: "psnr",
}

// readBaseline reads a --baseline report and checks that it is one: a JSON
// object whose "tasks" object holds known tasks, each with its main metric
// (a number, or null when undefined), of the dataset and split evaluated
// when it names them, sharing at least one task with this evaluation. A
// report written by hand with only the main metrics is fine.
func readBaseline(path string, info data.Info, tasks []string) (*metrics.Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, Errorf("--baseline %s: %v", path, err)
	}
	bad := func(format string, args ...any) error {
		return Errorf("--baseline %s: expected an eval --json report, %s", path, fmt.Sprintf(format, args...))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, bad("found invalid JSON or not an object (%v)", err)
	}
	rawTasks, ok := top["tasks"]
	if !ok {
		return nil, bad("found no \"tasks\" object")
	}
	var objs map[string]map[string]json.RawMessage
	if err := json.Unmarshal(rawTasks, &objs); err != nil || objs == nil {
		return nil, bad("found \"tasks\" that is not an object of task objects")
	}
	var common []string
	for task, obj := range objs {
		key, known := mainMetricKey[task]
		if !known {
			return nil, bad("found the unknown task %q (expected some of %s)", task, strings.Join(metrics.Tasks, ", "))
		}
		if _, ok := obj[key]; !ok {
			return nil, bad("found task %q without its main metric %q", task, key)
		}
		if slices.Contains(tasks, task) {
			common = append(common, task)
		}
	}
	rep, err := metrics.ReadReport(bytes.NewReader(b))
	if err != nil {
		return nil, bad("%v", err)
	}
	if rep.Dataset != "" && rep.Dataset != info.Dataset {
		return nil, Errorf("--baseline %s: expected a report on %s, found one on %s", path, info.Dataset, rep.Dataset)
	}
	if rep.Split != "" && rep.Split != info.Split {
		return nil, Errorf("--baseline %s: expected a report on the %s split, found one on %s", path, info.Split, rep.Split)
	}
	if s := rep.Tasks.Semseg; s != nil && len(s.PerClass) > 0 && len(s.PerClass) != info.Classes {
		return nil, Errorf("--baseline %s: semseg has %d classes, expected %d (--classes)", path, len(s.PerClass), info.Classes)
	}
	if len(common) == 0 {
		var have []string
		for t := range objs {
			have = append(have, t)
		}
		return nil, Errorf("--baseline %s: expected a task in common with this evaluation (%s), found only %s",
			path, strings.Join(tasks, ", "), orNone(inReportOrder(have)))
	}
	return rep, nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// Number formats of the Markdown report: fractions as percentages, as
// published tables print them; undefined values as n/a.
func pct(f metrics.Float) string { return fnum(f, 100, "%.2f %%") }
func num(f metrics.Float, format string) string {
	return fnum(f, 1, format)
}
func fnum(f metrics.Float, scale float64, format string) string {
	if !f.Valid() {
		return "n/a"
	}
	return fmt.Sprintf(format, float64(f)*scale)
}

// taskRow is one task's line of the Markdown table.
type taskRow struct{ task, metric, value, others string }

// taskRows returns the rows of the tasks present in r, in report order.
func taskRows(r *metrics.TaskResults) []taskRow {
	var rows []taskRow
	seg := func(task string, s *metrics.SegResult) {
		others := "pixel acc " + pct(s.PixelAcc)
		if len(s.Absent) > 0 {
			others += fmt.Sprintf("; classes absent from GT and prediction (left out of the mean): %v", s.Absent)
		}
		rows = append(rows, taskRow{task, "mIoU ↑", pct(s.MIoU), others})
	}
	if s := r.Semseg; s != nil {
		seg(metrics.TaskSemseg, s)
	}
	if s := r.Parts; s != nil {
		seg(metrics.TaskParts, s)
	}
	if d := r.Depth; d != nil {
		rows = append(rows, taskRow{metrics.TaskDepth, "rmse ↓", num(d.RMSE, "%.4f m"),
			"abs rel " + num(d.AbsRel, "%.4f") + ", log rmse " + num(d.LogRMSE, "%.4f")})
	}
	if n := r.Normals; n != nil {
		rows = append(rows, taskRow{metrics.TaskNormals, "mErr ↓", num(n.Mean, "%.2f°"),
			"median " + num(n.Median, "%.2f°") + ", rmse " + num(n.RMSE, "%.2f°") + ", within 11.25° " +
				pct(n.Within11) + ", 22.5° " + pct(n.Within22) + ", 30° " + pct(n.Within30)})
	}
	if s := r.Sal; s != nil {
		rows = append(rows, taskRow{metrics.TaskSal, "maxF ↑", pct(s.MaxF), "at threshold " + num(s.Threshold, "%.3f")})
	}
	if e := r.Edge; e != nil {
		rows = append(rows, taskRow{metrics.TaskEdge, "odsF ↑", pct(e.ODSF), "oisF " + pct(e.OISF) + ", AP " + pct(e.AP)})
	}
	if s := r.Restored; s != nil {
		others := "SSIM " + num(s.SSIM, "%.4f")
		if s.InputPSNR.Valid() {
			others += "; degraded input: PSNR " + num(s.InputPSNR, "%.2f dB") + ", SSIM " + num(s.InputSSIM, "%.4f")
		}
		rows = append(rows, taskRow{metrics.TaskRestored, "PSNR ↑", num(s.PSNR, "%.2f dB"), others})
	}
	return rows
}

func writeTaskTable(b *strings.Builder, r *metrics.TaskResults) {
	b.WriteString("| Task | Main metric | Value | Other metrics |\n|---|---|---|---|\n")
	for _, row := range taskRows(r) {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", row.task, row.metric, row.value, mdCell(row.others))
	}
}

// degradationOrder returns the degradation types of by in the order of
// degrade.AllTypes, then any others (clean) sorted.
func degradationOrder(by map[string]metrics.TaskResults) []string {
	var out, rest []string
	for _, t := range degrade.AllTypes {
		if _, ok := by[string(t)]; ok {
			out = append(out, string(t))
		}
	}
	for t := range by {
		if !slices.Contains(out, t) {
			rest = append(rest, t)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// images returns the number of images behind a task result set (the
// largest count among its tasks).
func images(r *metrics.TaskResults) int {
	n := 0
	if r.Semseg != nil {
		n = max(n, r.Semseg.Images)
	}
	if r.Parts != nil {
		n = max(n, r.Parts.Images)
	}
	if r.Depth != nil {
		n = max(n, r.Depth.Images)
	}
	if r.Normals != nil {
		n = max(n, r.Normals.Images)
	}
	if r.Sal != nil {
		n = max(n, r.Sal.Images)
	}
	if r.Edge != nil {
		n = max(n, r.Edge.Images)
	}
	if r.Restored != nil {
		n = max(n, r.Restored.Images)
	}
	return n
}

// writeEvalMarkdown writes the report as Markdown: the task table, a
// summary of main metrics per degradation type and one table per type, and
// the gains over the baseline.
func writeEvalMarkdown(w io.Writer, rep *metrics.Report, pred, basePath string, base *metrics.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Evaluation of %s\n\n", pred)
	fmt.Fprintf(&b, "%s, %s split, %s.\n\n", rep.Dataset, rep.Split, plural(rep.Count, "image"))
	writeTaskTable(&b, &rep.Tasks)
	if len(rep.ByDegradation) > 0 {
		order := degradationOrder(rep.ByDegradation)
		b.WriteString("\n## By degradation\n\n| Degradation | Images |")
		rows := taskRows(&rep.Tasks)
		for _, row := range rows {
			fmt.Fprintf(&b, " %s %s |", row.task, row.metric)
		}
		b.WriteString("\n|---|---|" + strings.Repeat("---|", len(rows)) + "\n")
		for _, t := range order {
			r := rep.ByDegradation[t]
			fmt.Fprintf(&b, "| %s | %d |", t, images(&r))
			for _, row := range taskRows(&r) {
				fmt.Fprintf(&b, " %s |", row.value)
			}
			b.WriteString("\n")
		}
		for _, t := range order {
			r := rep.ByDegradation[t]
			fmt.Fprintf(&b, "\n### %s (%s)\n\n", t, plural(images(&r), "image"))
			writeTaskTable(&b, &r)
		}
	}
	if d := rep.DeltaMTL; d != nil {
		fmt.Fprintf(&b, "\n## Gain over the baseline %s\n\n", basePath)
		b.WriteString("| Task | Main metric | Baseline | This | Relative gain |\n|---|---|---|---|---|\n")
		baseRows := map[string]taskRow{}
		for _, row := range taskRows(&base.Tasks) {
			baseRows[row.task] = row
		}
		for _, row := range taskRows(&rep.Tasks) {
			br, ok := baseRows[row.task]
			if !ok {
				continue
			}
			gain := "n/a"
			if g, ok := d.PerTask[row.task]; ok {
				gain = fnum(g, 100, "%+.2f %%")
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", row.task, row.metric, br.value, row.value, gain)
		}
		fmt.Fprintf(&b, "\n**Delta_MTL: %s** (mean relative gain over %d tasks; lower-is-better metrics count with the sign flipped)\n",
			fnum(d.Mean, 100, "%+.2f %%"), len(d.PerTask))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
