package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	ucli "github.com/urfave/cli/v2"

	"allnet/data/synth"
)

// `allnet-cli data` groups the dataset tools: `data synth` writes the
// built-in synthetic scenes to disk in the NYUD_MT or PASCAL_MT layout, and
// `data inspect` (data_inspect.go) summarises a dataset split.

func init() { addCommand(dataCommand) }

func dataCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "data",
		Usage: "dataset tools: write the built-in synthetic scenes to disk (synth), summarise a split (inspect)",
		Description: "Subcommands:\n" +
			"  synth    render the built-in synthetic scenes and write them in the NYUD_MT or PASCAL_MT layout\n" +
			"  inspect  count a split's images and summarise every task's ground truth\n\n" +
			"Run '" + programName + " data SUBCOMMAND --help' for each one's flags.",
		Subcommands: []*ucli.Command{dataSynthCommand(), dataInspectCommand()},
		Action: func(c *ucli.Context) error {
			if c.NArg() > 0 {
				return UsageErrorf("data: unknown subcommand %q: expected synth or inspect (see '%s data --help')", c.Args().First(), programName)
			}
			return UsageErrorf("data: expected a subcommand, synth or inspect (see '%s data --help')", programName)
		},
	}
}

func dataSynthCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "synth",
		Usage:     "render the built-in synthetic scenes and write them to disk in the NYUD_MT or PASCAL_MT layout",
		UsageText: programName + " data synth --out DIR [--like nyud|pascal] [--train N] [--val M] [--seed S] [--size HxW] [--force] [--json]",
		Description: "Renders procedural indoor scenes (a room with furniture and objects, ray cast with exact ground truth) " +
			"and writes them where the real loaders read them, so every command can run on them with " +
			"--dataset nyud|pascal --root DIR, or --dataset synthetic --root DIR.\n\n" +
			"--like nyud (NYUD_MT): images/NAME.png, segmentation/NAME.png (40-class labels + 1, 0 = unlabelled), " +
			"depth/NAME.npy (float32 metres), normals/NAME.png, edge/NAME.png, gt_sets/{train,val}.txt.\n" +
			"--like pascal (PASCAL_MT): JPEGImages/NAME.jpg (quality 95), semseg/pascal-context/NAME.png, " +
			"human_parts/NAME.mat (anno with a person's parts), normals_distill/NAME.png, sal_distill/NAME.png, " +
			"pascal-context/trainval/NAME.mat (LabelMap, from which edges are derived), ImageSets/Context/{train,val}.txt.\n\n" +
			"Names are synth_000000, synth_000001, ... for train and synth_500000, ... for val; the scenes depend " +
			"only on --like, --seed, --size and the name, so reruns give the same files. DIR/synth.json records the " +
			"settings. Every file is written atomically; the split files and synth.json come last, so a folder that " +
			"has them is complete. DIR must be new or empty unless --force (which writes into it, replacing files " +
			"of the same names). Progress goes to stderr; a summary to stdout. Interrupting (Ctrl-C) stops between " +
			"images and exits with 130, leaving the images written so far.",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "out", Usage: "folder `DIR` to write (new or empty, unless --force)"},
			&ucli.StringFlag{Name: "like", Value: synth.LikeNYUD, Usage: "`LAYOUT` nyud (NYUD_MT: semseg, depth, normals, edge) or pascal (PASCAL_MT: semseg, parts, sal, normals, edge)"},
			&ucli.IntFlag{Name: "train", Usage: "train images `N`", DefaultText: "the real split's size: nyud 795, pascal 4998"},
			&ucli.IntFlag{Name: "val", Usage: "val images `M`", DefaultText: "the real split's size: nyud 654, pascal 5105"},
			&ucli.Int64Flag{Name: "seed", Usage: "seed `S` of the scenes (the same seed, size and name give the same scene)"},
			&ucli.StringFlag{Name: "size", Value: fmt.Sprintf("%dx%d", synth.DefaultH, synth.DefaultW), Usage: "image size `HxW`"},
			&ucli.BoolFlag{Name: "force", Usage: "write into a folder that is not empty"},
			&ucli.IntFlag{Name: "workers", Usage: "images rendered in parallel `N` (the files do not depend on it)", DefaultText: "GOMAXPROCS"},
			JSONFlag(),
		},
		OnUsageError: usageError,
		Action:       runDataSynth,
	}
}

// dataSynthResult is the JSON shape of `data synth --json`.
type dataSynthResult struct {
	Like    string  `json:"like"`
	Layout  string  `json:"layout"`
	Out     string  `json:"out"`
	Train   int     `json:"train"`
	Val     int     `json:"val"`
	Size    [2]int  `json:"size"`
	Seed    uint64  `json:"seed"`
	Seconds float64 `json:"seconds"`
}

func runDataSynth(c *ucli.Context) error {
	if err := NoArgs(c); err != nil {
		return err
	}
	like, out := c.String("like"), c.String("out")
	if like != synth.LikeNYUD && like != synth.LikePASCAL {
		return UsageErrorf("--like %q: expected nyud or pascal", like)
	}
	if out == "" {
		return UsageErrorf("--out is required: the folder to write the dataset to (see '%s data synth --help')", programName)
	}
	counts := map[string]int{}
	for _, split := range []string{"train", "val"} {
		n := synth.DefaultCount(like, split)
		if c.IsSet(split) {
			n = c.Int(split)
		}
		if n < 0 || n > synth.ValOffset {
			return UsageErrorf("--%s %d: expected 0..%d images", split, n, synth.ValOffset)
		}
		counts[split] = n
	}
	if counts["train"]+counts["val"] == 0 {
		return UsageErrorf("--train 0 --val 0: nothing to write; expected at least one image")
	}
	seed, err := seedOf(c)
	if err != nil {
		return err
	}
	h, w, err := parseSize("--size", c.String("size"))
	if err != nil {
		return err
	}
	workers, err := workersOf(c)
	if err != nil {
		return err
	}
	if err := checkOutDir(out, c.Bool("force")); err != nil {
		return err
	}
	layout := map[string]string{synth.LikeNYUD: "NYUD_MT", synth.LikePASCAL: "PASCAL_MT"}[like]
	total := counts["train"] + counts["val"]
	Logf(c, "data synth: rendering %d %s-like scenes (%d train, %d val) at %dx%d, seed %d, into %s (%s layout) on %d workers",
		total, like, counts["train"], counts["val"], h, w, seed, out, layout, workers)
	in := watchInterrupts()
	defer in.stop()
	start := time.Now()
	step := max(1, total/20)
	var done atomic.Int64
	err = synth.Write(in.ctx, out, synth.Config{Like: like, H: h, W: w, Workers: workers}, seed, counts["train"], counts["val"],
		func(d, total int) {
			done.Store(int64(d))
			if d%step == 0 || d == total {
				el := time.Since(start).Seconds()
				Logf(c, "data synth: %d/%d images (%.1f images/s, eta %.0fs)", d, total, float64(d)/max(el, 1e-9), el/float64(d)*float64(total-d))
			}
		})
	if err != nil && in.interrupted() {
		return in.err("%d of %d images written to %s, without split files (the folder is incomplete; rerun with --force)", done.Load(), total, out)
	}
	if err != nil {
		return Errorf("data synth --out %s: %v", out, err)
	}
	res := dataSynthResult{Like: like, Layout: layout, Out: out, Train: counts["train"], Val: counts["val"],
		Size: [2]int{h, w}, Seed: seed, Seconds: time.Since(start).Seconds()}
	if c.Bool("json") {
		return WriteJSON(Stdout(c), res)
	}
	wr := Stdout(c)
	fmt.Fprintf(wr, "# Synthetic %s-like dataset written\n\n", like)
	fmt.Fprintf(wr, "| folder | layout | train | val | size | seed |\n|---|---|---|---|---|---|\n")
	fmt.Fprintf(wr, "| %s | %s | %d | %d | %dx%d | %d |\n\n", out, layout, res.Train, res.Val, h, w, seed)
	fmt.Fprintf(wr, "Rendered in %.1f s. Read it with `--dataset %s --root %s` (or `--dataset synthetic --root %s`).\n", res.Seconds, like, out, out)
	return nil
}

// seedOf returns --seed, which must not be negative.
func seedOf(c *ucli.Context) (uint64, error) {
	s := c.Int64("seed")
	if s < 0 {
		return 0, UsageErrorf("--seed %d: expected a non-negative integer", s)
	}
	return uint64(s), nil
}

// checkOutDir accepts a folder to write into: one that does not exist yet,
// an empty one, or with force any folder. A file, or a folder with content
// without force, is an error naming it.
func checkOutDir(dir string, force bool) error {
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return Errorf("--out %s: %v", dir, err)
	}
	if !st.IsDir() {
		return Errorf("--out %s: is a file: expected a new or empty folder", dir)
	}
	if force {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Errorf("--out %s: %v", dir, err)
	}
	if len(entries) == 0 {
		return nil
	}
	var names []string
	for _, e := range entries[:min(len(entries), 3)] {
		names = append(names, e.Name())
	}
	if len(entries) > 3 {
		names = append(names, "...")
	}
	what := "is not empty"
	if _, err := os.Stat(filepath.Join(dir, synth.ManifestName)); err == nil {
		what = "already holds a dataset"
	}
	return Errorf("--out %s: folder %s (found %s): expected a new or empty folder; use --force to write into it", dir, what, strings.Join(names, ", "))
}
