package cli

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/allnet"
	"allnet/engine"
	"allnet/metrics"
)

// evalTinyCheckpoint writes a fresh allnet-tiny (random weights) for the
// synthetic scenes of variant like as a weights-only checkpoint.
func evalTinyCheckpoint(t *testing.T, like string) string {
	t.Helper()
	cfg, err := allnet.Preset("allnet-tiny", like)
	require.NoError(t, err)
	if like == "nyud" {
		cfg.SemsegClasses = 13 // the synthetic scenes' NYUD classes
	}
	path := filepath.Join(t.TempDir(), "tiny.safetensors")
	m := allnet.NewModel(cfg, 5)
	// A new model restores almost nothing (its last convolution starts near
	// zero), which on clean images gives a PSNR (~60 dB) that an 8-bit PNG
	// cannot hold; PyTorch's weight scale gives a residual of a trained
	// model's size.
	engine.NoGrad(func() { m.Restore.Out.Weight.CopyFrom(engine.Scale(m.Restore.Out.Weight, 100)) })
	require.NoError(t, allnet.SaveModelCheckpoint(path, m, nil,
		allnet.CheckpointMeta{Preset: "allnet-tiny", Dataset: like}))
	return path
}

// synthArgs are the dataset flags of 3 in-memory synthetic scenes at 64x96.
func synthArgs(like string) []string {
	return []string{"--dataset", "synthetic", "--like", like, "--synth-count", "3", "--synth-size", "64x96"}
}

// flatten maps a JSON document to "a.b.c" -> number (null as NaN).
func flatten(t *testing.T, s string) map[string]float64 {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v))
	out := map[string]float64{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(prefix+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(prefix+"."+strconv.Itoa(i), e)
			}
		case float64:
			out[prefix] = x
		case nil:
			out[prefix] = math.NaN()
		}
	}
	walk("", v)
	return out
}

// sameNumbers checks that two reports have the same keys and numbers: equal,
// but for restored psnr/ssim (the model's float image against its 8-bit
// PNG) within tol.
func sameNumbers(t *testing.T, want, got map[string]float64) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	restored := 0
	for k, w := range want {
		g, ok := got[k]
		require.True(t, ok, "key %s missing", k)
		if strings.HasSuffix(k, "restored.psnr") || strings.HasSuffix(k, "restored.ssim") {
			restored++
			assert.InDelta(t, w, g, 0.02, k)
			continue
		}
		if math.IsNaN(w) {
			assert.True(t, math.IsNaN(g), k)
			continue
		}
		assert.Equal(t, w, g, k)
	}
	require.Positive(t, restored)
}

// TestEvalCheckpointMatchesPredScorer evaluates a checkpoint with
// --save-pred and --clean, then scores both saved folders with eval --pred:
// the reports agree (the restored image up to 8-bit quantisation).
func TestEvalCheckpointMatchesPredScorer(t *testing.T) {
	for _, like := range []string{"nyud", "pascal"} {
		t.Run(like, func(t *testing.T) {
			ck := evalTinyCheckpoint(t, like)
			dir := t.TempDir()
			args := append([]string{"eval", "--checkpoint", ck, "--save-pred", dir, "--json", "--workers", "2"}, synthArgs(like)...)
			if like == "nyud" {
				args = append(args, "--clean")
			}
			r := runCLI(t, args...)
			require.Equal(t, 0, r.code, r.stderr)

			pred := runCLI(t, append([]string{"eval", "--pred", dir, "--json"}, synthArgs(like)...)...)
			require.Equal(t, 0, pred.code, pred.stderr)
			if like == "pascal" {
				rep, err := metrics.ReadReport(strings.NewReader(r.stdout))
				require.NoError(t, err)
				require.NotNil(t, rep.Tasks.Parts)
				require.NotNil(t, rep.Tasks.Sal)
				require.NotEmpty(t, rep.ByDegradation)
				sameNumbers(t, flatten(t, r.stdout), flatten(t, pred.stdout))
				return
			}
			var both struct{ Degraded, Clean json.RawMessage }
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &both))
			require.NotEmpty(t, both.Degraded)
			require.NotEmpty(t, both.Clean)
			sameNumbers(t, flatten(t, string(both.Degraded)), flatten(t, pred.stdout))
			assert.Contains(t, string(both.Degraded), "by_degradation")
			assert.Contains(t, string(both.Degraded), "input_psnr")
			assert.NotContains(t, string(both.Clean), "by_degradation")

			clean := runCLI(t, append([]string{"eval", "--pred", filepath.Join(dir, "clean"), "--json"}, synthArgs(like)...)...)
			require.Equal(t, 0, clean.code, clean.stderr)
			sameNumbers(t, flatten(t, string(both.Clean)), flatten(t, clean.stdout))
		})
	}
}

func TestEvalCheckpointMarkdownAndSeed(t *testing.T) {
	ck := evalTinyCheckpoint(t, "nyud")
	r := runCLI(t, append([]string{"eval", "--checkpoint", ck, "--clean", "--seed", "4"}, synthArgs("nyud")...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "# Evaluation of "+ck+" on the degraded split (seed 4)")
	assert.Contains(t, r.stdout, "## By degradation")
	assert.Contains(t, r.stdout, "# Evaluation of "+ck+" on clean images")
	assert.Contains(t, r.stdout, "| semseg | mIoU ↑ |")
	assert.Contains(t, r.stderr, "eval: 3/3 images")

	// Another seed draws another degraded split: the numbers change.
	a := runCLI(t, append([]string{"eval", "--checkpoint", ck, "--json", "--seed", "1"}, synthArgs("nyud")...)...)
	b := runCLI(t, append([]string{"eval", "--checkpoint", ck, "--json", "--seed", "2"}, synthArgs("nyud")...)...)
	require.Equal(t, 0, a.code, a.stderr)
	require.Equal(t, 0, b.code, b.stderr)
	assert.NotEqual(t, a.stdout, b.stdout)
}

func TestEvalCheckpointErrors(t *testing.T) {
	ck := evalTinyCheckpoint(t, "nyud")
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--checkpoint", ck, "--pred", t.TempDir()}, 2, "--checkpoint and --pred exclude each other"},
		{[]string{"--pred", t.TempDir(), "--clean"}, 2, "--clean applies to --checkpoint"},
		{[]string{"--pred", t.TempDir(), "--save-pred", t.TempDir()}, 2, "--save-pred applies to --checkpoint"},
		{[]string{"--checkpoint", ck, "--tasks", "semseg"}, 2, "--tasks applies to --pred"},
		{[]string{"--checkpoint", ck, "--seed", "-1"}, 2, "--seed -1"},
		{[]string{"--checkpoint", filepath.Join(t.TempDir(), "none.safetensors")}, 1, "none.safetensors"},
		{[]string{}, 2, "--pred or --checkpoint is required"},
	} {
		r := runCLI(t, append(append([]string{"eval"}, tc.args...), synthArgs("nyud")...)...)
		assert.Equal(t, tc.code, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.msg, tc.args)
	}
	// A NYUD model on PASCAL-like scenes.
	r := runCLI(t, append([]string{"eval", "--checkpoint", ck}, synthArgs("pascal")...)...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "predicts depth")
	_ = errorLine(t, r.stderr, "^eval: ")
}
