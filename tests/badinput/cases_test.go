package badinput

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// badCase is one row of the table: a command run in a fresh folder DIR
// (its working directory) prepared by prep. In args, "$F" stands for the
// shared fixtures and "$R" for the module root.
type badCase struct {
	cmd  string // the command as --help lists it ("data synth")
	name string
	args []string
	prep func(t *testing.T, dir string)
	code int    // expected exit status
	msg  string // substring of the one error line
	opts runOpts
	// keep, when set, lists the paths (relative to DIR) that must be left
	// exactly as they were; others may change (a resumed run's log). By
	// default all of DIR must be.
	keep []string
	// check runs extra checks after the command.
	check func(t *testing.T, dir string, r result)
	// skip returns a reason to skip the case ("" = run it).
	skip func() string
}

const (
	img     = "$F/nyud/images/synth_500000.png"
	nyudCk  = "$F/run/ckpt/last.safetensors"
	pasCk   = "$F/runp/ckpt/last.safetensors"
	tinyPth = "$R/allnet/testdata/internimage_tiny.pth" // an InternImage checkpoint of a smaller config
	prePth  = "$R/allnet/testdata/internimage_tiny_prenorm.pth"
	tinyNet = "$R/engine/ckpt/testdata/model.pth" // a .pth of a small non-InternImage model
	nonUTF8 = "bad\xff\xfename"
)

// withDataset copies the fixture dataset name ("nyud" or "pascal") to
// DIR/ds and then applies edit to it.
func withDataset(name string, edit func(t *testing.T, ds string)) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		ds := filepath.Join(dir, "ds")
		copyTree(t, filepath.Join(fixtures, name), ds)
		if edit != nil {
			edit(t, ds)
		}
	}
}

// withRun copies the fixture run name to DIR/run, then applies edit.
func withRun(name string, edit func(t *testing.T, run string)) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		run := filepath.Join(dir, "run")
		copyTree(t, filepath.Join(fixtures, name), run)
		if edit != nil {
			edit(t, run)
		}
	}
}

func writeAt(rel string, b []byte) func(*testing.T, string) {
	return func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, rel), b) }
}

func both(fs ...func(*testing.T, string)) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		for _, f := range fs {
			f(t, dir)
		}
	}
}

// cases is the table (README.md lists it).
func cases() []badCase {
	evalDS := []string{"eval", "--dataset", "synthetic", "--root", "$F/nyud"}
	return []badCase{
		// info
		{cmd: "info", name: "unknown flag", args: []string{"info", "--bogus"}, code: 2, msg: "flag provided but not defined: -bogus"},
		{cmd: "info", name: "missing checkpoint", args: []string{"info", "--checkpoint", "nope.safetensors"}, code: 1, msg: "nope.safetensors: no such file"},
		{cmd: "info", name: "truncated safetensors", args: []string{"info", "--checkpoint", "t.safetensors"},
			prep: func(t *testing.T, dir string) {
				truncateCopy(t, filepath.Join(fixtures, "run/ckpt/last.safetensors"), filepath.Join(dir, "t.safetensors"), 5000)
			}, code: 1, msg: "t.safetensors: header length"},
		{cmd: "info", name: "official .pth instead of safetensors", args: []string{"info", "--checkpoint", tinyPth}, code: 1, msg: "not a safetensors file"},
		{cmd: "info", name: "unknown preset", args: []string{"info", "--model", "allnet-xxl"}, code: 2, msg: `"allnet-xxl"`},
		{cmd: "info", name: "size out of range", args: []string{"info", "--model", "allnet-tiny", "--size", "0x10"}, code: 2, msg: `--size "0x10"`},

		// demo
		{cmd: "demo", name: "iters 0", args: []string{"demo", "--iters", "0"}, code: 2, msg: "--iters 0"},
		{cmd: "demo", name: "batch 0", args: []string{"demo", "--batch", "0"}, code: 2, msg: "--batch 0"},
		{cmd: "demo", name: "bad size", args: []string{"demo", "--size", "abc"}, code: 2, msg: `--size "abc"`},
		{cmd: "demo", name: "output folder is a file", args: []string{"demo", "--short", "--train-count", "4", "--val-count", "2",
			"--size", "32x48", "--batch", "2", "--iters", "2", "--warmup", "1", "--out", "afile"},
			prep: writeAt("afile", []byte("not a folder\n")), code: 1, msg: "afile"},

		// data synth
		{cmd: "data synth", name: "output folder is a file", args: []string{"data", "synth", "--out", "afile", "--train", "1", "--val", "1", "--size", "32x48"},
			prep: writeAt("afile", []byte("x")), code: 1, msg: "--out afile: is a file"},
		{cmd: "data synth", name: "negative count", args: []string{"data", "synth", "--out", "s", "--train", "-1"}, code: 2, msg: "--train -1"},
		{cmd: "data synth", name: "size 0x0", args: []string{"data", "synth", "--out", "s", "--size", "0x0"}, code: 2, msg: `--size "0x0"`},
		{cmd: "data synth", name: "folder holds a dataset", args: []string{"data", "synth", "--out", "ds", "--train", "1", "--val", "1", "--size", "32x48"},
			prep: withDataset("nyud", nil), code: 1, msg: "already holds a dataset"},
		{cmd: "data synth", name: "full disk (RLIMIT_FSIZE)", args: []string{"data", "synth", "--out", "s", "--train", "2", "--val", "2", "--size", "32x48", "--workers", "1"},
			opts: runOpts{fsize: 3000}, code: 1, msg: "file too large", keep: []string{},
			check: func(t *testing.T, dir string, r result) {
				checkNoTemps(t, dir)
				checkImagesDecode(t, filepath.Join(dir, "s"))
			}},

		// data inspect
		{cmd: "data inspect", name: "missing image", args: []string{"data", "inspect", "--dataset", "nyud", "--root", "ds"},
			prep: withDataset("nyud", func(t *testing.T, ds string) { rm(t, ds, "images/synth_500000.png") }), code: 1, msg: "missing file ds/images/synth_500000.png"},
		{cmd: "data inspect", name: "empty image", args: []string{"data", "inspect", "--dataset", "nyud", "--root", "ds"},
			prep: withDataset("nyud", func(t *testing.T, ds string) { writeFile(t, filepath.Join(ds, "images/synth_500000.png"), nil) }),
			code: 1, msg: "ds/images/synth_500000.png: expected a PNG or JPEG image"},
		{cmd: "data inspect", name: "corrupt (truncated) image", args: []string{"data", "inspect", "--dataset", "nyud", "--root", "ds"},
			prep: withDataset("nyud", func(t *testing.T, ds string) {
				truncateCopy(t, filepath.Join(fixtures, "nyud/images/synth_500000.png"), filepath.Join(ds, "images/synth_500000.png"), 100)
			}), code: 1, msg: "ds/images/synth_500000.png: corrupt PNG"},
		{cmd: "data inspect", name: "depth npy of dtype object", args: []string{"data", "inspect", "--dataset", "nyud", "--root", "ds"},
			prep: withDataset("nyud", func(t *testing.T, ds string) {
				writeNpy(t, filepath.Join(ds, "depth/synth_500000.npy"), "|O", []int{32, 48}, make([]byte, 8*32*48))
			}), code: 1, msg: "ds/depth/synth_500000.npy"},
		{cmd: "data inspect", name: "depth npy of dtype complex64", args: []string{"data", "inspect", "--dataset", "nyud", "--root", "ds"},
			prep: withDataset("nyud", func(t *testing.T, ds string) {
				writeNpy(t, filepath.Join(ds, "depth/synth_500000.npy"), "<c8", []int{32, 48}, make([]byte, 8*32*48))
			}), code: 1, msg: "ds/depth/synth_500000.npy"},
		{cmd: "data inspect", name: "depth npy of the wrong shape", args: []string{"data", "inspect", "--dataset", "nyud", "--root", "ds"},
			prep: withDataset("nyud", func(t *testing.T, ds string) {
				writeNpy(t, filepath.Join(ds, "depth/synth_500000.npy"), "<f4", []int{31, 48}, float32s(31*48, 1))
			}), code: 1, msg: "ds/depth/synth_500000.npy"},
		{cmd: "data inspect", name: "truncated .mat (PASCAL labels)", args: []string{"data", "inspect", "--dataset", "pascal", "--root", "ds"},
			prep: withDataset("pascal", func(t *testing.T, ds string) {
				p := filepath.Join(ds, "pascal-context/trainval/synth_500000.mat")
				truncateCopy(t, filepath.Join(fixtures, "pascal/pascal-context/trainval/synth_500000.mat"), p, 200)
			}), code: 1, msg: "ds/pascal-context/trainval/synth_500000.mat"},
		{cmd: "data inspect", name: "non-UTF-8 name in the split file", args: []string{"data", "inspect", "--dataset", "nyud", "--root", "ds"},
			prep: withDataset("nyud", func(t *testing.T, ds string) {
				writeFile(t, filepath.Join(ds, "gt_sets/val.txt"), []byte("synth_500000\n"+nonUTF8+"\n"))
			}), code: 1, msg: "ds/images/" + nonUTF8},
		{cmd: "data inspect", name: "unknown split", args: []string{"data", "inspect", "--dataset", "nyud", "--root", "$F/nyud", "--split", "test"}, code: 2, msg: `--split "test"`},

		// degrade
		{cmd: "degrade", name: "negative sigma", args: []string{"degrade", "--type", "noise", "--sigma", "-0.1", "--in", img, "--out", "o.png"}, code: 2, msg: "--sigma -0.1"},
		{cmd: "degrade", name: "unknown type", args: []string{"degrade", "--type", "smoke", "--in", img, "--out", "o.png"}, code: 2, msg: `--type "smoke"`},
		{cmd: "degrade", name: "missing image (non-UTF-8 name)", args: []string{"degrade", "--type", "noise", "--in", nonUTF8 + ".png", "--out", "o.png"},
			code: 1, msg: nonUTF8 + ".png: no such file"},
		{cmd: "degrade", name: "empty image", args: []string{"degrade", "--type", "noise", "--in", "e.png", "--out", "o.png"},
			prep: writeAt("e.png", nil), code: 1, msg: "e.png: expected a PNG or JPEG image"},
		{cmd: "degrade", name: "depth npy of the wrong shape", args: []string{"degrade", "--type", "haze", "--in", img, "--depth", "d.npy", "--out", "o.png"},
			prep: func(t *testing.T, dir string) {
				writeNpy(t, filepath.Join(dir, "d.npy"), "<f4", []int{16, 48}, float32s(16*48, 2))
			}, code: 1, msg: "d.npy"},
		{cmd: "degrade", name: "output folder is a file", args: []string{"degrade", "--type", "noise", "--in", img, "--out", "afile/o.png"},
			prep: writeAt("afile", []byte("x")), code: 1, msg: "afile/o.png"},
		{cmd: "degrade", name: "full disk (RLIMIT_FSIZE)", args: []string{"degrade", "--type", "noise", "--in", img, "--out", "o.png"},
			opts: runOpts{fsize: 1000}, code: 1, msg: "o.png"},

		// eval
		{cmd: "eval", name: "truncated safetensors", args: append(evalDS, "--checkpoint", "t.safetensors"),
			prep: func(t *testing.T, dir string) {
				truncateCopy(t, filepath.Join(fixtures, "run/ckpt/last.safetensors"), filepath.Join(dir, "t.safetensors"), 1<<20)
			}, code: 1, msg: "t.safetensors"},
		{cmd: "eval", name: "checkpoint of another model (pascal heads on nyud)", args: append(evalDS, "--checkpoint", pasCk), code: 1, msg: "runp/ckpt/last.safetensors"},
		{cmd: "eval", name: "classes 7", args: append(evalDS, "--checkpoint", nyudCk, "--classes", "7"), code: 2, msg: "--classes 7"},
		{cmd: "eval", name: "negative degrade scale", args: append(evalDS, "--checkpoint", nyudCk, "--degrade-scale", "-1"), code: 2, msg: "--degrade-scale -1"},
		{cmd: "eval", name: "corrupt baseline JSON", args: append(evalDS, "--checkpoint", nyudCk, "--baseline", "b.json"),
			prep: writeAt("b.json", []byte(`{"tasks": {`)), code: 1, msg: "--baseline b.json"},
		{cmd: "eval", name: "prediction folder lacks an image", args: append(evalDS, "--pred", "pred"),
			prep: func(t *testing.T, dir string) { makePred(t, dir, "depth/synth_500000.npy", nil) }, code: 1, msg: "synth_500000.npy"},
		{cmd: "eval", name: "predicted depth npy of the wrong shape", args: append(evalDS, "--pred", "pred"),
			prep: func(t *testing.T, dir string) {
				makePred(t, dir, "depth/synth_500000.npy", npyBytes("<f4", []int{16, 24}, float32s(16*24, 1)))
			}, code: 1, msg: "synth_500000.npy"},
		{cmd: "eval", name: "predicted depth npy of dtype unicode", args: append(evalDS, "--pred", "pred"),
			prep: func(t *testing.T, dir string) {
				makePred(t, dir, "depth/synth_500000.npy", npyBytes("<U1", []int{32, 48}, make([]byte, 4*32*48)))
			}, code: 1, msg: "synth_500000.npy"},
		{cmd: "eval", name: "save-pred folder is a file", args: append(evalDS, "--checkpoint", nyudCk, "--save-pred", "afile"),
			prep: writeAt("afile", []byte("x")), code: 1, msg: "afile"},

		// features
		{cmd: "features", name: "input npy of dtype bytes", args: []string{"features", "--model", "internimage-t", "--input", "x.npy", "--out", "f.safetensors"},
			prep: func(t *testing.T, dir string) {
				writeNpy(t, filepath.Join(dir, "x.npy"), "|S4", []int{1, 3, 32, 32}, make([]byte, 4*3*32*32))
			}, code: 1, msg: "x.npy"},
		{cmd: "features", name: "input npy of the wrong shape", args: []string{"features", "--model", "internimage-t", "--input", "x.npy", "--out", "f.safetensors"},
			prep: func(t *testing.T, dir string) {
				writeNpy(t, filepath.Join(dir, "x.npy"), "<f4", []int{1, 1, 32, 32}, float32s(32*32, 0))
			}, code: 1, msg: "--input x.npy: shape [1 1 32 32]"},
		{cmd: "features", name: "official-style .pth of another config", args: []string{"features", "--model", "internimage-t", "--weights", tinyPth,
			"--input", "$F/x.npy", "--out", "f.safetensors"}, code: 1, msg: "internimage_tiny.pth"},
		{cmd: "features", name: "truncated .pth", args: []string{"features", "--model", "internimage-t", "--weights", "w.pth",
			"--input", "$F/x.npy", "--out", "f.safetensors"},
			prep: func(t *testing.T, dir string) {
				truncateCopy(t, filepath.Join(repoRoot, "allnet/testdata/internimage_tiny.pth"), filepath.Join(dir, "w.pth"), 50000)
			}, code: 1, msg: "w.pth"},
		{cmd: "features", name: "safetensors given as .pth weights", args: []string{"features", "--model", "internimage-t", "--weights", nyudCk,
			"--input", "$F/x.npy", "--out", "f.safetensors"}, code: 1, msg: "last.safetensors"},
		{cmd: "features", name: "full disk (RLIMIT_FSIZE)", args: []string{"features", "--model", "internimage-t", "--input", "$F/x.npy", "--out", "f.safetensors"},
			opts: runOpts{fsize: 4096}, code: 1, msg: "f.safetensors"},

		// train
		{cmd: "train", name: "batch 0", args: tinyTrain("run", "--iters", "2", "--batch", "0"), code: 2, msg: "--batch"},
		{cmd: "train", name: "negative lr", args: tinyTrain("run", "--iters", "2", "--lr", "-1"), code: 2, msg: "--lr"},
		{cmd: "train", name: "negative degrade scale", args: tinyTrain("run", "--iters", "2", "--degrade-scale", "-0.5"), code: 2, msg: "--degrade-scale is -0.5"},
		{cmd: "train", name: "unknown flag", args: tinyTrain("run", "--iters", "2", "--learning-rate", "1"), code: 2, msg: "-learning-rate"},
		{cmd: "train", name: "config with an unknown key", args: tinyTrain("run", "--iters", "2", "--config", "c.yaml"),
			prep: writeAt("c.yaml", []byte("iters: 2\nbogus_key: 1\n")), code: 1, msg: "bogus_key"},
		{cmd: "train", name: "corrupt config YAML", args: tinyTrain("run", "--iters", "2", "--config", "c.yaml"),
			prep: writeAt("c.yaml", []byte("iters: [2\n\xff\xfe")), code: 1, msg: "c.yaml"},
		{cmd: "train", name: "output folder is a file", args: tinyTrain("afile", "--iters", "2"),
			prep: writeAt("afile", []byte("x")), code: 1, msg: "afile"},
		{cmd: "train", name: "output folder read-only", args: tinyTrain("ro/run", "--iters", "2"),
			prep: func(t *testing.T, dir string) {
				if err := os.Mkdir(filepath.Join(dir, "ro"), 0o555); err != nil {
					t.Fatal(err)
				}
			}, code: 1, msg: "ro/run", skip: skipAsRoot},
		{cmd: "train", name: "resume from a truncated checkpoint", args: []string{"train", "--resume", "run"},
			prep: withRun("long", func(t *testing.T, run string) {
				p := filepath.Join(run, "ckpt/last.safetensors")
				truncateCopy(t, p, p, 1<<20)
			}), code: 1, msg: "run/ckpt/last.safetensors"},
		{cmd: "train", name: "resume with a checkpoint of another model", args: []string{"train", "--resume", "run"},
			prep: withRun("long", func(t *testing.T, run string) {
				copyFile(t, filepath.Join(fixtures, "runp/ckpt/last.safetensors"), filepath.Join(run, "ckpt/last.safetensors"))
			}), code: 1, msg: "like differs from the run's"},
		{cmd: "train", name: "resume a run whose checkpoint is of another preset", args: []string{"train", "--resume", "run"},
			prep: withRun("long", func(t *testing.T, run string) {
				p := filepath.Join(run, "config.yaml")
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, p, []byte(strings.Replace(string(b), "model: allnet-tiny", "model: allnet-s", 1)))
			}), code: 1, msg: "model differs from the run's"},
		{cmd: "train", name: "pretrained .pth of another config", args: tinyTrain("run", "--iters", "2", "--pretrained", prePth), code: 1, msg: "internimage_tiny_prenorm.pth"},
		{cmd: "train", name: "pretrained .pth of another model", args: tinyTrain("run", "--iters", "2", "--pretrained", tinyNet), code: 1, msg: "model.pth"},
		{cmd: "train", name: "resume a non-UTF-8 folder without a run", args: []string{"train", "--resume", nonUTF8},
			prep: func(t *testing.T, dir string) { mkdir(t, filepath.Join(dir, nonUTF8)) }, code: 1, msg: nonUTF8},
		{cmd: "train", name: "full disk while checkpointing (RLIMIT_FSIZE)", args: []string{"train", "--resume", "run"},
			prep: withRun("long", nil), opts: runOpts{fsize: 1 << 20}, code: 1, msg: "file too large",
			keep: []string{"run/ckpt", "run/config.yaml"},
			check: func(t *testing.T, dir string, r result) {
				checkNoTemps(t, dir)
				checkCheckpoint(t, filepath.Join(dir, "run/ckpt/last.safetensors"), 2, 2)
			}},
		{cmd: "train", name: "full disk while checkpointing (tmpfs)", args: []string{"train", "--resume", "run"},
			prep: tmpfsRun, code: 1, msg: "no space left on device",
			keep: []string{"run/ckpt", "run/config.yaml"},
			check: func(t *testing.T, dir string, r result) {
				checkNoTemps(t, dir)
				checkCheckpoint(t, filepath.Join(dir, "run/ckpt/last.safetensors"), 2, 2)
			}, skip: skipNoTmpfs},
		{cmd: "train", name: "SIGINT mid-training", args: tinyTrain("run", "--iters", "1000", "--ckpt-every", "1"),
			opts: runOpts{signal: syscall.SIGINT, ready: exists("run/ckpt/last.safetensors")}, code: 130, msg: "interrupted by SIGINT",
			keep: []string{}, check: func(t *testing.T, dir string, r result) {
				checkNoTemps(t, dir)
				checkCheckpoint(t, filepath.Join(dir, "run/ckpt/last.safetensors"), 1, 999)
			}},
		{cmd: "train", name: "SIGTERM mid-training (resumed run)", args: []string{"train", "--resume", "run"},
			prep: both(withRun("long", nil), func(t *testing.T, dir string) {
				copyFile(t, filepath.Join(fixtures, "long/ckpt/last.safetensors"), filepath.Join(dir, "run/ckpt/earlier.safetensors"))
			}),
			opts: runOpts{signal: syscall.SIGTERM, ready: logReached("run", 3)}, code: 143, msg: "interrupted by SIGTERM",
			keep: []string{"run/ckpt/earlier.safetensors", "run/config.yaml"}, check: func(t *testing.T, dir string, r result) {
				checkNoTemps(t, dir)
				checkCheckpoint(t, filepath.Join(dir, "run/ckpt/last.safetensors"), 3, 999)
			}},

		// predict
		{cmd: "predict", name: "corrupt image in --in (non-UTF-8 name)", args: []string{"predict", "--checkpoint", nyudCk, "--in", "in", "--out", "out"},
			prep: both(writeAt("in/"+nonUTF8+".png", []byte("\x89PNG\r\n\x1a\nbroken")), func(t *testing.T, dir string) {
				copyFile(t, filepath.Join(fixtures, "nyud/images/synth_000000.png"), filepath.Join(dir, "in/a.png"))
			}), code: 1, msg: nonUTF8 + ".png", keep: []string{"in"},
			check: func(t *testing.T, dir string, r result) { // a.png's outputs are complete
				checkNoTemps(t, dir)
				checkImagesDecode(t, filepath.Join(dir, "out"))
			}},
		{cmd: "predict", name: "empty input folder", args: []string{"predict", "--checkpoint", nyudCk, "--in", "in", "--out", "out"},
			prep: func(t *testing.T, dir string) { mkdir(t, filepath.Join(dir, "in")) }, code: 1, msg: "--in in: no .png, .jpg or .jpeg files"},
		{cmd: "predict", name: "truncated safetensors", args: []string{"predict", "--checkpoint", "t.safetensors", "--in", img, "--out", "out"},
			prep: func(t *testing.T, dir string) {
				truncateCopy(t, filepath.Join(fixtures, "run/ckpt/last.safetensors"), filepath.Join(dir, "t.safetensors"), 3<<20)
			}, code: 1, msg: "t.safetensors"},
		{cmd: "predict", name: "output folder is a file", args: []string{"predict", "--checkpoint", nyudCk, "--in", img, "--out", "afile"},
			prep: writeAt("afile", []byte("x")), code: 1, msg: "afile"},
		{cmd: "predict", name: "negative depth-max", args: []string{"predict", "--checkpoint", nyudCk, "--in", img, "--out", "out", "--depth-max", "-1"},
			code: 2, msg: "--depth-max -1"},
		{cmd: "predict", name: "full disk (RLIMIT_FSIZE)", args: []string{"predict", "--checkpoint", nyudCk, "--in", img, "--out", "out"},
			opts: runOpts{fsize: 2000}, code: 1, msg: "file too large", keep: []string{},
			check: func(t *testing.T, dir string, r result) {
				checkNoTemps(t, dir)
				checkImagesDecode(t, filepath.Join(dir, "out"))
			}},

		// profile
		{cmd: "profile", name: "steps 0", args: []string{"profile", "--model", "allnet-tiny", "--dataset", "synthetic", "--out", "p", "--steps", "0"}, code: 2, msg: "--steps 0"},
		{cmd: "profile", name: "unknown kind", args: []string{"profile", "--model", "allnet-tiny", "--dataset", "synthetic", "--out", "p", "--kind", "gpu"}, code: 2, msg: `--kind "gpu"`},
		{cmd: "profile", name: "output folder is a file", args: []string{"profile", "--model", "allnet-tiny", "--dataset", "synthetic", "--synth-size", "32x48",
			"--synth-count", "2", "--batch", "2", "--warmup", "0", "--steps", "1", "--out", "afile"},
			prep: writeAt("afile", []byte("x")), code: 1, msg: "afile"},

		// bench (when the binary has it)
		{cmd: "bench", name: "unknown flag", args: []string{"bench", "--bogus"}, code: 2, msg: "-bogus", skip: skipNoBench},
		{cmd: "bench", name: "corrupt --from results", args: []string{"bench", "--from", "r.json"},
			prep: writeAt("r.json", []byte("{\"rows\": [")), code: 1, msg: "r.json", skip: skipNoBench},
		{cmd: "bench", name: "negative repeat", args: []string{"bench", "--ops", "gemm", "--repeat", "-1"}, code: 2, msg: "--repeat", skip: skipNoBench},
	}
}
