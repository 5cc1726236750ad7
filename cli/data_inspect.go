package cli

import (
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	ucli "github.com/urfave/cli/v2"

	"allnet/data"
	"allnet/data/nyud"
	"allnet/data/pascal"
)

// `allnet-cli data inspect` loads every sample of a split as the loaders
// give it (at the working resolution: NYUD 288x384, PASCAL each image's own
// size, synthetic as rendered) and summarises each task's ground truth. The
// JSON shape is CONVENTIONS.md's, with a few additions: "size" is [H, W]
// when every sample has that size and null otherwise (PASCAL), in which case
// "size_min" and "size_max" give the smallest and largest H and W; "image"
// has the mean RGB; label tasks add "names" (the class names) and
// "out_of_range" (labels neither a class nor the ignore value, when any).

func dataInspectCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "inspect",
		Usage:     "count a split's images and summarise every task's ground truth (class histogram, depth range, ...)",
		UsageText: programName + " data inspect --dataset nyud|pascal|synthetic [--root DIR] [--split train|val] [--classes 13|40] [--like nyud|pascal] [--json]",
		Description: "Loads every sample of the split, as training and evaluation see it (NYUD resized to 288x384, " +
			"PASCAL at each image's own size), and reports: the image count and size, the mean RGB, and per task " +
			"semseg and parts: class histogram (pixels per class) and the share of ignored pixels; depth: min, max " +
			"and mean of the valid pixels (metres) and the share of invalid ones; normals: the share of invalid " +
			"(zero) vectors; edge and sal: the share of positive pixels.\n\n" +
			"--dataset synthetic without --root renders the built-in scenes in memory (see --like, --synth-seed, " +
			"--synth-count, --synth-size); with --root it reads a folder written by `data synth`. Markdown on " +
			"stdout by default, JSON with --json; progress on stderr.",
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "dataset", Usage: "dataset `NAME`: nyud, pascal or synthetic"},
			&ucli.StringFlag{Name: "root", Usage: "dataset folder `DIR` (NYUD_MT or PASCAL_MT layout, or written by data synth)"},
			&ucli.StringFlag{Name: "split", Value: "val", Usage: "`SPLIT`: train or val"},
			&ucli.IntFlag{Name: "classes", Value: 13, Usage: "NYUD semantic classes `K`: 13 or 40"},
			&ucli.IntFlag{Name: "limit", Usage: "inspect only the first `N` samples", DefaultText: "all"},
			&ucli.IntFlag{Name: "workers", Usage: "samples loaded in parallel `N` (the result does not depend on it)", DefaultText: "GOMAXPROCS"},
			JSONFlag(),
		}, syntheticFlags()...),
		OnUsageError: usageError,
		Action:       runDataInspect,
	}
}

// inspectReport is the JSON shape of `data inspect --json`.
type inspectReport struct {
	Dataset string       `json:"dataset"`
	Split   string       `json:"split"`
	Root    string       `json:"root"`
	Count   int          `json:"count"`
	Size    *[2]int      `json:"size"`
	SizeMin *[2]int      `json:"size_min,omitempty"`
	SizeMax *[2]int      `json:"size_max,omitempty"`
	Image   imageSummary `json:"image"`
	Tasks   inspectTasks `json:"tasks"`
}

type imageSummary struct {
	Mean [3]float64 `json:"mean"` // per RGB channel, in [0, 1]
}

// inspectTasks holds the tasks present, in CONVENTIONS.md order.
type inspectTasks struct {
	Semseg  *labelSummary  `json:"semseg,omitempty"`
	Depth   *depthSummary  `json:"depth,omitempty"`
	Normals *validSummary  `json:"normals,omitempty"`
	Edge    *binarySummary `json:"edge,omitempty"`
	Sal     *binarySummary `json:"sal,omitempty"`
	Parts   *labelSummary  `json:"parts,omitempty"`
}

type labelSummary struct {
	Classes         int      `json:"classes"`
	Names           []string `json:"names,omitempty"`
	Histogram       []int64  `json:"histogram"` // pixels per class
	IgnoredFraction float64  `json:"ignored_fraction"`
	OutOfRange      int64    `json:"out_of_range,omitempty"`
}

type depthSummary struct {
	Min             *float64 `json:"min"` // metres, over valid pixels; null when none is valid
	Max             *float64 `json:"max"`
	Mean            *float64 `json:"mean"`
	InvalidFraction float64  `json:"invalid_fraction"`
}

type validSummary struct {
	InvalidFraction float64 `json:"invalid_fraction"`
}

type binarySummary struct {
	PositiveFraction float64 `json:"positive_fraction"` // share of pixels > 0.5
}

// sampleStats are one sample's counts; they are reduced in sample order so
// that the report does not depend on the number of workers.
type sampleStats struct {
	h, w                 int
	rgb                  [3]float64
	sem, parts           labelCount
	hasDepth             bool
	dMin, dMax, dSum     float64
	dValid, dInvalid     int64
	hasNormals           bool
	nInvalid             int64
	hasEdge, hasSal      bool
	edgePos, salPos      int64
	semPresent, partsHas bool
}

type labelCount struct {
	hist                []int64
	ignored, outOfRange int64
}

func countLabels(labels []int32, k int) labelCount {
	lc := labelCount{hist: make([]int64, k)}
	for _, v := range labels {
		switch {
		case v == data.Ignore:
			lc.ignored++
		case v >= 0 && int(v) < k:
			lc.hist[v]++
		default:
			lc.outOfRange++
		}
	}
	return lc
}

func countPositive(v []float32) int64 {
	var n int64
	for _, x := range v {
		if x > 0.5 {
			n++
		}
	}
	return n
}

func statsOf(s *data.Sample, classes int) sampleStats {
	st := sampleStats{h: s.H(), w: s.W()}
	hw := st.h * st.w
	for c := range min(s.Image.C, 3) {
		var sum float64
		for _, v := range s.Image.Pix[c*hw : (c+1)*hw] {
			sum += float64(v)
		}
		st.rgb[c] = sum
	}
	if s.Semseg != nil {
		st.semPresent, st.sem = true, countLabels(s.Semseg, classes)
	}
	if s.Parts != nil {
		st.partsHas, st.parts = true, countLabels(s.Parts, len(pascal.PartNames))
	}
	if s.Depth != nil {
		st.hasDepth = true
		st.dMin, st.dMax = math.Inf(1), math.Inf(-1)
		for _, d := range s.Depth {
			if d > 0 && !math.IsInf(float64(d), 1) {
				st.dValid++
				st.dSum += float64(d)
				st.dMin, st.dMax = min(st.dMin, float64(d)), max(st.dMax, float64(d))
			} else {
				st.dInvalid++
			}
		}
	}
	if s.Normals != nil {
		st.hasNormals = true
		for i := range hw {
			if s.Normals[i] == 0 && s.Normals[hw+i] == 0 && s.Normals[2*hw+i] == 0 {
				st.nInvalid++
			}
		}
	}
	if s.Edge != nil {
		st.hasEdge, st.edgePos = true, countPositive(s.Edge)
	}
	if s.Sal != nil {
		st.hasSal, st.salPos = true, countPositive(s.Sal)
	}
	return st
}

func runDataInspect(c *ucli.Context) error {
	if err := NoArgs(c); err != nil {
		return err
	}
	name := c.String("dataset")
	workers, err := workersOf(c)
	if err != nil {
		return err
	}
	limit, err := countOf(c, "limit", "all samples")
	if err != nil {
		return err
	}
	ds, err := openDataset(name, c.String("root"), c.String("split"), classesOf(c, name), synthOptionsOf(c))
	if err != nil {
		return err
	}
	info := ds.Info()
	n := ds.Len()
	if limit > 0 {
		n = min(n, limit)
	}
	Logf(c, "data inspect: loading %d samples of %s %s on %d workers", n, info.Dataset, info.Split, workers)
	in := watchInterrupts()
	defer in.stop()
	stats := make([]sampleStats, n)
	start := time.Now()
	step := max(1, n/10)
	var (
		mu   sync.Mutex
		done int
	)
	err = forEach(n, workers, in, func(i int) error {
		s, err := ds.Load(i)
		if err != nil {
			return err
		}
		stats[i] = statsOf(s, info.Classes)
		mu.Lock()
		defer mu.Unlock()
		done++
		if done%step == 0 || done == n {
			el := time.Since(start).Seconds()
			Logf(c, "data inspect: %d/%d samples (%.1f samples/s)", done, n, float64(done)/max(el, 1e-9))
		}
		return nil
	})
	if in.interrupted() && done < n {
		return in.err("inspected %d of %d samples; nothing printed", done, n)
	}
	if err != nil {
		return Errorf("%v", err)
	}
	rep := reduceInspect(info, stats)
	if c.Bool("json") {
		return WriteJSON(Stdout(c), rep)
	}
	writeInspectMarkdown(Stdout(c), rep)
	return nil
}

// classNames returns the names of a label set of k classes, or nil.
func classNames(k int, parts bool) []string {
	switch {
	case parts && k == len(pascal.PartNames):
		return pascal.PartNames[:]
	case parts:
		return nil
	case k == 13:
		return nyud.Classes13[:]
	case k == 40:
		return nyud.Classes40[:]
	case k == 21:
		return pascal.Classes[:]
	}
	return nil
}

func reduceInspect(info data.Info, stats []sampleStats) inspectReport {
	rep := inspectReport{Dataset: info.Dataset, Split: info.Split, Root: info.Root, Count: len(stats)}
	var (
		pixels           int64
		sem, parts       *labelSummary
		semIgn, partsIgn int64
		dMin, dMax, dSum = math.Inf(1), math.Inf(-1), 0.0
		dValid, dInvalid int64
		nInvalid, nTotal int64
		edgePos, edgeTot int64
		salPos, salTot   int64
		hasDepth         bool
		rgb              [3]float64
		minS, maxS       = [2]int{math.MaxInt, math.MaxInt}, [2]int{0, 0}
		uniform          = true
	)
	for i, st := range stats {
		px := int64(st.h * st.w)
		pixels += px
		for c := range rgb {
			rgb[c] += st.rgb[c]
		}
		if i > 0 && (st.h != stats[0].h || st.w != stats[0].w) {
			uniform = false
		}
		minS = [2]int{min(minS[0], st.h), min(minS[1], st.w)}
		maxS = [2]int{max(maxS[0], st.h), max(maxS[1], st.w)}
		addLabels := func(sum **labelSummary, ign *int64, lc labelCount, k int, isParts bool) {
			if *sum == nil {
				*sum = &labelSummary{Classes: k, Names: classNames(k, isParts), Histogram: make([]int64, k)}
			}
			for j, v := range lc.hist {
				(*sum).Histogram[j] += v
			}
			*ign += lc.ignored
			(*sum).OutOfRange += lc.outOfRange
		}
		if st.semPresent {
			addLabels(&sem, &semIgn, st.sem, len(st.sem.hist), false)
		}
		if st.partsHas {
			addLabels(&parts, &partsIgn, st.parts, len(st.parts.hist), true)
		}
		if st.hasDepth {
			hasDepth = true
			dValid += st.dValid
			dInvalid += st.dInvalid
			dSum += st.dSum
			dMin, dMax = min(dMin, st.dMin), max(dMax, st.dMax)
		}
		if st.hasNormals {
			nInvalid += st.nInvalid
			nTotal += px
		}
		if st.hasEdge {
			edgePos += st.edgePos
			edgeTot += px
		}
		if st.hasSal {
			salPos += st.salPos
			salTot += px
		}
	}
	frac := func(a, b int64) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	switch {
	case len(stats) > 0 && uniform:
		rep.Size = &[2]int{stats[0].h, stats[0].w}
	case len(stats) == 0 && info.Size != [2]int{}:
		rep.Size = &info.Size
	case len(stats) > 0:
		rep.SizeMin, rep.SizeMax = &minS, &maxS
	}
	for c := range rgb {
		rep.Image.Mean[c] = rgb[c] / float64(max(pixels, 1))
	}
	if sem != nil {
		sem.IgnoredFraction = frac(semIgn, pixels)
		rep.Tasks.Semseg = sem
	}
	if parts != nil {
		parts.IgnoredFraction = frac(partsIgn, pixels)
		rep.Tasks.Parts = parts
	}
	if hasDepth {
		d := &depthSummary{InvalidFraction: frac(dInvalid, dValid+dInvalid)}
		if dValid > 0 {
			mean := dSum / float64(dValid)
			d.Min, d.Max, d.Mean = &dMin, &dMax, &mean
		}
		rep.Tasks.Depth = d
	}
	if nTotal > 0 {
		rep.Tasks.Normals = &validSummary{InvalidFraction: frac(nInvalid, nTotal)}
	}
	if edgeTot > 0 {
		rep.Tasks.Edge = &binarySummary{PositiveFraction: frac(edgePos, edgeTot)}
	}
	if salTot > 0 {
		rep.Tasks.Sal = &binarySummary{PositiveFraction: frac(salPos, salTot)}
	}
	return rep
}

func writeInspectMarkdown(w io.Writer, r inspectReport) {
	size := "sizes vary"
	switch {
	case r.Size != nil:
		size = fmt.Sprintf("%dx%d", r.Size[0], r.Size[1])
	case r.SizeMin != nil:
		size = fmt.Sprintf("sizes from %dx%d to %dx%d", r.SizeMin[0], r.SizeMin[1], r.SizeMax[0], r.SizeMax[1])
	}
	fmt.Fprintf(w, "# %s %s: %d images, %s\n\n", r.Dataset, r.Split, r.Count, size)
	if r.Root != "" {
		fmt.Fprintf(w, "Root: %s\n\n", r.Root)
	}
	fmt.Fprintf(w, "Mean RGB: %.3f, %.3f, %.3f\n", r.Image.Mean[0], r.Image.Mean[1], r.Image.Mean[2])
	labels := func(task string, s *labelSummary) {
		var total int64
		for _, v := range s.Histogram {
			total += v
		}
		fmt.Fprintf(w, "\n## %s: %d classes\n\nIgnored pixels: %.2f%%", task, s.Classes, 100*s.IgnoredFraction)
		if s.OutOfRange > 0 {
			fmt.Fprintf(w, "; %d pixels hold labels outside 0..%d and 255", s.OutOfRange, s.Classes-1)
		}
		fmt.Fprintf(w, ".\n\n| id | class | pixels | share of labelled |\n|---|---|---|---|\n")
		for k, v := range s.Histogram {
			name := ""
			if k < len(s.Names) {
				name = s.Names[k]
			}
			share := 0.0
			if total > 0 {
				share = 100 * float64(v) / float64(total)
			}
			fmt.Fprintf(w, "| %d | %s | %d | %.2f%% |\n", k, name, v, share)
		}
	}
	t := r.Tasks
	if t.Semseg != nil {
		labels("semseg", t.Semseg)
	}
	if d := t.Depth; d != nil {
		fmt.Fprintf(w, "\n## depth\n\n| min (m) | max (m) | mean (m) | invalid |\n|---|---|---|---|\n")
		if d.Mean != nil {
			fmt.Fprintf(w, "| %.3f | %.3f | %.3f | %.2f%% |\n", *d.Min, *d.Max, *d.Mean, 100*d.InvalidFraction)
		} else {
			fmt.Fprintf(w, "| - | - | - | %.2f%% |\n", 100*d.InvalidFraction)
		}
	}
	if t.Normals != nil {
		fmt.Fprintf(w, "\n## normals\n\nInvalid (zero) vectors: %.2f%% of pixels.\n", 100*t.Normals.InvalidFraction)
	}
	if t.Edge != nil {
		fmt.Fprintf(w, "\n## edge\n\nEdge pixels: %.2f%%.\n", 100*t.Edge.PositiveFraction)
	}
	if t.Sal != nil {
		fmt.Fprintf(w, "\n## sal\n\nSalient pixels: %.2f%%.\n", 100*t.Sal.PositiveFraction)
	}
	if t.Parts != nil {
		labels("parts", t.Parts)
	}
}
