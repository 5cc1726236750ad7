package cli

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/allnet"
	"allnet/engine"
	"allnet/nn"
)

// tinyTrainArgs train allnet-tiny on 32x48 synthetic scenes.
func tinyTrainArgs(out string, extra ...string) []string {
	return append([]string{"train", "--model", "allnet-tiny", "--dataset", "synthetic", "--synth-size", "32x48",
		"--synth-count", "4", "--batch", "2", "--lr", "1e-3", "--warmup", "1", "--workers", "2", "--log-every", "1",
		"--eval-every", "0", "--out", out}, extra...)
}

func TestTrainSmoke(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	r := runCLI(t, append(tinyTrainArgs(out, "--iters", "3"), "--json")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "train: step 3/3")
	var s trainSummary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	require.Equal(t, out, s.RunDir)
	require.Equal(t, 3, s.Step)
	for _, f := range []string{allnet.RunConfigFile, allnet.RunLogFile, allnet.RunLastCkpt} {
		require.FileExists(t, filepath.Join(out, f))
	}
	logLines, err := os.ReadFile(filepath.Join(out, allnet.RunLogFile))
	require.NoError(t, err)
	require.Equal(t, 3, strings.Count(string(logLines), "\n"))
	cfg, err := allnet.ReadTrainConfig(filepath.Join(out, allnet.RunConfigFile), allnet.TrainConfig{})
	require.NoError(t, err)
	require.Equal(t, 3, cfg.Iters)
	require.Equal(t, [2]int{32, 48}, cfg.SynthSize)

	// The checkpoint's weights are the trained ones: they equal what the
	// raw file holds and differ from a fresh model's.
	m, meta, _, err := allnet.LoadModelCheckpoint(filepath.Join(out, allnet.RunLastCkpt))
	require.NoError(t, err)
	require.Equal(t, 3, meta.Step)
	raw, _, err := engine.LoadCheckpoint(filepath.Join(out, allnet.RunLastCkpt))
	require.NoError(t, err)
	fresh := nn.StateDict(allnet.NewModel(m.Config, 0))
	differs := false
	for name, p := range nn.StateDict(m) {
		require.Equal(t, raw[name].Float32s(), p.Float32s(), name)
		a, b := p.Float32s(), fresh[name].Float32s()
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				differs = true
			}
		}
	}
	require.True(t, differs)

	// Markdown summary, and --out holding a run is an error naming it.
	r = runCLI(t, tinyTrainArgs(out, "--iters", "3")...)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "already holds a run")
	require.Contains(t, r.stderr, out)
}

func TestTrainStopAndResume(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	r := runCLI(t, tinyTrainArgs(out, "--iters", "3", "--stop-at", "1")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "# Training run")
	require.Contains(t, r.stdout, "stopped")
	r = runCLI(t, "train", "--resume", out, "--lr", "1")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "--lr")
	r = runCLI(t, "train", "--resume", out, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var s trainSummary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	require.Equal(t, 2, s.FirstStep)
	require.Equal(t, 3, s.Step)
}

func TestTrainBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train", "--dataset", "synthetic"}, 2, "--out"},
		{[]string{"train", "--out", dir + "/a"}, 2, "--dataset"},
		{tinyTrainArgs(dir+"/b", "--batch", "0"), 2, "--batch"},
		{tinyTrainArgs(dir+"/c", "--model", "resnet"), 2, "--model"},
		{tinyTrainArgs(dir+"/d", "--tasks", "parts"), 2, "--tasks"},
		{tinyTrainArgs(dir+"/e", "--crop", "3"), 2, "--crop"},
		{tinyTrainArgs(dir+"/f", "--iters", "4", "--stop-at", "9"), 2, "--stop-at"},
		{tinyTrainArgs(dir+"/g", "--config", dir+"/missing.yaml"), 1, "missing.yaml"},
		{[]string{"train", "--resume", dir + "/none"}, 1, "--resume"},
		{tinyTrainArgs(dir+"/h", "--dataset", "coco"), 2, "--dataset"},
		{tinyTrainArgs(dir+"/i", "--degrade-weights", "blur"), 2, "--degrade-weights"},
		{tinyTrainArgs(dir+"/j", "--degrade-weights", "fog=2"), 2, "--degrade-weights"},
		{tinyTrainArgs(dir+"/k", "--degrade-weights", "blur=-1"), 2, "--degrade-weights"},
	} {
		r := runCLI(t, tc.args...)
		require.Equal(t, tc.code, r.code, "%v: %s", tc.args, r.stderr)
		require.Contains(t, r.stderr, tc.want, tc.args)
		require.Empty(t, r.stdout, tc.args)
		assertOneLine(t, r.stderr)
	}
}

func TestTrainConfigFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.WriteFile(f, []byte("iters: 2\nbatch: 7\nbogus: 1\n"), 0o644))
	r := runCLI(t, tinyTrainArgs(dir+"/a", "--config", f)...)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "bogus")
	require.NoError(t, os.WriteFile(f, []byte("iters: 2\nbatch: 7\nlog_every: 1\n"), 0o644))
	// --batch 2 from the flags overrides the file's 7.
	r = runCLI(t, append(tinyTrainArgs(dir+"/b", "--config", f), "--json")...)
	require.Equal(t, 0, r.code, r.stderr)
	cfg, err := allnet.ReadTrainConfig(filepath.Join(dir, "b", allnet.RunConfigFile), allnet.TrainConfig{})
	require.NoError(t, err)
	require.Equal(t, 2, cfg.Iters)
	require.Equal(t, 2, cfg.Batch)
}
