package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"allnet/data"
	"allnet/data/degrade"
	"allnet/metrics"
)

// `allnet-cli eval --pred DIR` scores a prediction folder (CONVENTIONS.md
// "Prediction folder") against a dataset split. The files are read as
// eval_pred.go describes, scored image by image in parallel (eval_score.go),
// and reported as Markdown or as the eval --json document (eval_report.go).

func init() { addCommand(evalCommand) }

func evalCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "eval",
		Usage: "score a folder of saved predictions, or a checkpoint's model, against a dataset split (mIoU, depth rmse, normals mErr, maxF, odsF, PSNR/SSIM, Delta_MTL)",
		UsageText: programName + " eval --dataset nyud|pascal|synthetic [--root DIR] [--split val] --pred DIR [--tasks a,b] [--classes 13|40] [--like nyud|pascal] [--baseline FILE] [--json] [--workers N]\n" +
			programName + " eval --dataset nyud|pascal|synthetic [--root DIR] [--split val] --checkpoint FILE [--clean] [--save-pred DIR] [--seed N] [--device cpu|cuda] [--classes 13|40] [--baseline FILE] [--json] [--workers N]",
		Description: "Reads DIR/TASK/NAME.ext for every image NAME of the split: semseg/ and parts/ as PNG class ids, " +
			"depth/ as float32 HxW .npy in metres, normals/ as float32 HxWx3 .npy, edge/ and sal/ as 0-255 PNG, " +
			"restored/ as RGB PNG. Every task folder present is scored (or those --tasks lists); an image missing " +
			"from a scored folder, or a prediction whose size differs from the ground truth at the working " +
			"resolution (NYUD 288x384, PASCAL each image's own size), is an error. --dataset synthetic scores " +
			"against the built-in scenes (in memory, or a folder written by `data synth` given as --root).\n\n" +
			"restored/ is scored by PSNR and SSIM against the clean image. When DIR holds degradations.json " +
			"(written next to degraded predictions), every image's degraded input is synthesised again from the " +
			"clean image with its recorded type, parameters and seed (exactly as the degraded split was made; " +
			"haze uses the ground-truth depth, or the depth proxy on PASCAL), scored as input_psnr/input_ssim, " +
			"and every metric is also reported per degradation type.\n\n" +
			"--baseline FILE (a report of the same JSON shape, for example a single-task model's) adds the relative " +
			"gain of each task's main metric and their mean, Delta_MTL. Results are the same for every --workers.\n\n" +
			"--checkpoint FILE (instead of --pred) runs the model of a train checkpoint over the seeded degraded split " +
			"(--seed, default 0: every image's degradation type and parameters follow from the seed and its name) and " +
			"prints the same tables, per degradation type; --clean adds a second evaluation on the clean images, printed " +
			"as a second section, and with --json the output becomes {\"degraded\": REPORT, \"clean\": REPORT}. " +
			"--save-pred DIR writes the degraded-split predictions as a prediction folder with degradations.json " +
			"(eval --pred DIR scores it to the same numbers, restored up to its 8-bit PNGs), and the clean ones under DIR/clean/.",
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "dataset", Usage: "dataset `NAME`: nyud, pascal or synthetic"},
			&ucli.StringFlag{Name: "root", Usage: "dataset folder `DIR` (NYUD_MT or PASCAL_MT layout; for synthetic, a folder written by data synth, or none)"},
			&ucli.StringFlag{Name: "split", Value: "val", Usage: "`SPLIT` to score: train or val"},
			&ucli.StringFlag{Name: "pred", Usage: "prediction folder `DIR` holding TASK/NAME.png|.npy (and degradations.json)"},
			&ucli.StringFlag{Name: "tasks", Usage: "comma-separated `TASKS` to score (default: every task folder in --pred)"},
			&ucli.IntFlag{Name: "classes", Value: 13, Usage: "NYUD semantic classes `K`: 13 or 40"},
			&ucli.StringFlag{Name: "baseline", Usage: "eval --json report `FILE` to compare with (adds Delta_MTL)"},
			&ucli.IntFlag{Name: "workers", DefaultText: "GOMAXPROCS", Usage: "images scored in parallel `N`"},
			JSONFlag(),
		}, append(evalCheckpointFlags(), syntheticFlags()...)...),
		Action: runEval,
	}
}

func runEval(c *ucli.Context) error {
	if err := NoArgs(c); err != nil {
		return err
	}
	if c.IsSet("checkpoint") {
		return runEvalCheckpoint(c)
	}
	for _, f := range checkpointOnly {
		if c.IsSet(f) {
			return UsageErrorf("--%s applies to --checkpoint (evaluating a model), not to --pred", f)
		}
	}
	pred := c.String("pred")
	if pred == "" {
		return UsageErrorf("--pred or --checkpoint is required: the prediction folder to score, or the model to evaluate (see '%s eval --help')", programName)
	}
	workers, err := workersOf(c)
	if err != nil {
		return err
	}
	name := c.String("dataset")
	var listed []string
	if c.IsSet("tasks") {
		if listed, err = parseTasks(c.String("tasks")); err != nil {
			return err
		}
	}
	ds, err := openDataset(name, c.String("root"), c.String("split"), classesOf(c, name), synthOptionsOf(c))
	if err != nil {
		return err
	}
	info := ds.Info()
	tasks, err := predTasks(c, pred, info, listed)
	if err != nil {
		return err
	}
	specs, err := readSpecs(pred, ds)
	if err != nil {
		return err
	}
	if err := checkPredFiles(pred, ds, tasks); err != nil {
		return err
	}
	var base *metrics.Report
	if path := c.String("baseline"); path != "" {
		if base, err = readBaseline(path, info, tasks); err != nil {
			return err
		}
	}

	n := ds.Len()
	Logf(c, "eval: scoring %s in %s against %s %s (%d images) on %d workers", strings.Join(tasks, ", "), pred, info.Dataset, info.Split, n, workers)
	start := time.Now()
	step := max(1, n/10)
	rep, err := evaluatePred(evalJob{
		ds: ds, dir: pred, tasks: tasks, specs: specs, workers: workers,
		progress: func(done int) {
			if done%step == 0 || done == n {
				el := time.Since(start).Seconds()
				Logf(c, "eval: %d/%d images (%.1f images/s)", done, n, float64(done)/max(el, 1e-9))
			}
		},
	})
	if err != nil {
		return err
	}
	if base != nil {
		d := metrics.DeltaMTL(&rep.Tasks, &base.Tasks)
		rep.DeltaMTL = &d
	}
	if c.Bool("json") {
		return WriteJSON(Stdout(c), rep)
	}
	return writeEvalMarkdown(Stdout(c), rep, pred, c.String("baseline"), base)
}

// parseTasks splits a --tasks value into known task names, in report
// order, without duplicates.
func parseTasks(s string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !slices.Contains(metrics.Tasks, t) {
			return nil, UsageErrorf("--tasks: unknown task %q (expected some of %s)", t, strings.Join(metrics.Tasks, ", "))
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, UsageErrorf("--tasks %q: expected a comma-separated list of %s", s, strings.Join(metrics.Tasks, ", "))
	}
	return inReportOrder(out), nil
}

// inReportOrder returns the distinct names of tasks in metrics.Tasks order.
func inReportOrder(tasks []string) []string {
	var out []string
	for _, t := range metrics.Tasks {
		if slices.Contains(tasks, t) {
			out = append(out, t)
		}
	}
	return out
}

// datasetTasks returns the tasks a dataset can score: its ground-truth
// tasks and restored (the clean image is every dataset's ground truth).
func datasetTasks(info data.Info) []string {
	return inReportOrder(append(slices.Clone(info.Tasks), metrics.TaskRestored))
}

// predTasks returns the tasks to score: listed (each must be a task of the
// dataset with a folder in dir), or every task folder found in dir. A folder
// of a task the dataset lacks is skipped with a note on stderr.
func predTasks(c *ucli.Context, dir string, info data.Info, listed []string) ([]string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, Errorf("--pred %s: expected a prediction folder, found nothing there (%v)", dir, err)
	}
	if !st.IsDir() {
		return nil, Errorf("--pred %s: expected a prediction folder, found a file", dir)
	}
	have := datasetTasks(info)
	if listed != nil {
		for _, t := range listed {
			if !slices.Contains(have, t) {
				return nil, UsageErrorf("--tasks %s: %s has no %s ground truth (its tasks: %s)", t, info.Dataset, t, strings.Join(have, ", "))
			}
			if !isDir(filepath.Join(dir, t)) {
				return nil, Errorf("--tasks %s: the prediction folder %s has no %s/ folder", t, dir, t)
			}
		}
		return listed, nil
	}
	var tasks []string
	for _, t := range metrics.Tasks {
		if !isDir(filepath.Join(dir, t)) {
			continue
		}
		if !slices.Contains(have, t) {
			Logf(c, "eval: skipping %s: %s has no %s ground truth", filepath.Join(dir, t), info.Dataset, t)
			continue
		}
		tasks = append(tasks, t)
	}
	if len(tasks) == 0 {
		return nil, Errorf("--pred %s: expected task folders (some of %s), found none", dir, strings.Join(have, ", "))
	}
	return tasks, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// predExt is the file extension of each task's predictions.
var predExt = map[string]string{
	metrics.TaskSemseg: ".png", metrics.TaskParts: ".png", metrics.TaskDepth: ".npy",
	metrics.TaskNormals: ".npy", metrics.TaskSal: ".png", metrics.TaskEdge: ".png",
	metrics.TaskRestored: ".png",
}

// predPath returns the prediction file of image name for task.
func predPath(dir, task, name string) string {
	return filepath.Join(dir, task, name+predExt[task])
}

// checkPredFiles returns an error listing the images of the split that a
// task folder lacks (the first 20 and a count).
func checkPredFiles(dir string, ds data.Dataset, tasks []string) error {
	for _, t := range tasks {
		entries, err := os.ReadDir(filepath.Join(dir, t))
		if err != nil {
			return Errorf("--pred %s: reading the %s/ folder: %v", dir, t, err)
		}
		files := make(map[string]bool, len(entries))
		for _, e := range entries {
			files[e.Name()] = true
		}
		var missing []string
		for i := range ds.Len() {
			if name := ds.Name(i); !files[name+predExt[t]] {
				missing = append(missing, name+predExt[t])
			}
		}
		if len(missing) > 0 {
			return Errorf("--pred %s: %s/ lacks %d of the %d images of the split: %s",
				dir, t, len(missing), ds.Len(), listNames(missing, 20))
		}
	}
	return nil
}

// listNames joins the first max names and says how many more there are.
func listNames(names []string, limit int) string {
	if len(names) <= limit {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:limit], ", "), len(names)-limit)
}

// specsFile is the name of the degraded split's description in a
// prediction folder.
const specsFile = "degradations.json"

// readSpecs reads dir/degradations.json, or returns nil when there is none.
// Every image of the split must have an entry; entries for other images are
// ignored.
func readSpecs(dir string, ds data.Dataset) (map[string]degrade.Spec, error) {
	path := filepath.Join(dir, specsFile)
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, Errorf("%s: %v", path, err)
	}
	specs, err := degrade.UnmarshalSpecs(b)
	if err != nil {
		return nil, Errorf("%s: %v", path, err)
	}
	var missing []string
	for i := range ds.Len() {
		if _, ok := specs[ds.Name(i)]; !ok {
			missing = append(missing, ds.Name(i))
		}
	}
	if len(missing) > 0 {
		return nil, Errorf("%s: expected an entry for every image of the split, %d of %d have none: %s",
			path, len(missing), ds.Len(), listNames(missing, 20))
	}
	return specs, nil
}
