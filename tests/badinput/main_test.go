// Package badinput runs the built CPU binary, allnet-cli, on bad input:
// missing, empty and corrupt files, wrong arrays, truncated checkpoints,
// checkpoints of other models, bad flags, unwritable and full output
// folders, and signals mid-training. Each case checks the exit code, one
// clear error line, no panic trace, and that nothing was left partial or
// corrupted (README.md lists the cases).
package badinput

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var (
	cliBin   string // the built binary
	fixtures string // shared, read-only inputs (see makeFixtures)
	repoRoot string // the module root
)

func TestMain(m *testing.M) {
	wrapFsize()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "badinput-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if repoRoot, err = filepath.Abs(filepath.Join("..", "..")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cliBin = filepath.Join(tmp, "allnet-cli")
	build := exec.Command("go", "build", "-o", cliBin, "./cmd/allnet-cli")
	build.Dir, build.Env = repoRoot, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building allnet-cli: %v\n%s", err, out)
		return 1
	}
	fixtures = filepath.Join(tmp, "fixtures")
	if err := makeFixtures(fixtures); err != nil {
		fmt.Fprintf(os.Stderr, "making fixtures: %v\n", err)
		return 1
	}
	before, err := treeHashes(fixtures)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	after, err := treeHashes(fixtures)
	if d := diffTrees(before, after); err != nil || d != "" {
		fmt.Fprintf(os.Stderr, "FAIL: a case modified the shared fixtures: %s %v\n", d, err)
		return 1
	}
	return code
}

// tinyTrain are the train flags of a small, fast run: allnet-tiny on two
// 32x48 in-memory synthetic scenes, batch 2.
func tinyTrain(out string, extra ...string) []string {
	return append([]string{"train", "--model", "allnet-tiny", "--dataset", "synthetic", "--synth-size", "32x48",
		"--synth-count", "2", "--batch", "2", "--lr", "1e-3", "--warmup", "1", "--workers", "1", "--eval-every", "0",
		"--log-every", "1", "--out", out}, extra...)
}

// makeFixtures writes the shared inputs under dir:
//
//	nyud/, pascal/   data synth datasets (2+2 and 1+1 scenes, 32x48)
//	run/             a finished 2-step allnet-tiny run (nyud-like)
//	runp/            the same on pascal-like scenes (another model: other heads)
//	long/            a run of 1000 steps stopped after step 2 (to resume)
//	pred/            run's predictions on nyud's val split (eval --save-pred)
//	x.npy            a (1, 3, 32, 32) float32 input for features
func makeFixtures(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	runs := [][]string{
		{"data", "synth", "--out", "nyud", "--train", "2", "--val", "2", "--size", "32x48", "--workers", "1"},
		{"data", "synth", "--out", "pascal", "--like", "pascal", "--train", "1", "--val", "1", "--size", "32x48", "--workers", "1"},
		tinyTrain("run", "--iters", "2"),
		tinyTrain("runp", "--iters", "2", "--like", "pascal"),
		tinyTrain("long", "--iters", "1000", "--stop-at", "2", "--ckpt-every", "1"),
		{"eval", "--dataset", "synthetic", "--root", "nyud", "--checkpoint", "run/ckpt/last.safetensors", "--save-pred", "pred"},
	}
	for _, args := range runs {
		cmd := exec.Command(cliBin, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("allnet-cli %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return os.WriteFile(filepath.Join(dir, "x.npy"), npyBytes("<f4", []int{1, 3, 32, 32}, float32s(3*32*32, 0.5)), 0o644)
}
