package cli

import (
	"encoding/json"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/data/format"
	"allnet/engine"
)

func writeInput(t *testing.T, shape ...int) string {
	t.Helper()
	n := 1
	for _, d := range shape {
		n *= d
	}
	rng := rand.New(rand.NewSource(1))
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = float32(rng.NormFloat64())
	}
	path := filepath.Join(t.TempDir(), "x.npy")
	require.NoError(t, format.WriteNpy(path, shape, vals))
	return path
}

func TestFeaturesWritesLevels(t *testing.T) {
	in := writeInput(t, 1, 3, 32, 48)
	out := filepath.Join(t.TempDir(), "f.safetensors")
	r := runCLI(t, "features", "--model", "internimage-t", "--input", in, "--out", out, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var res featuresResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	want := map[string][]int{"level0": {1, 64, 8, 12}, "level1": {1, 128, 4, 6}, "level2": {1, 256, 2, 3}, "level3": {1, 512, 1, 2}}
	require.Equal(t, want, res.Levels)
	ts, meta, err := engine.LoadCheckpoint(out)
	require.NoError(t, err)
	require.Equal(t, "internimage-t", meta["model"])
	for name, shape := range want {
		require.Equal(t, shape, ts[name].Shape(), name)
	}
}

func TestFeaturesErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "f.safetensors")
	r := runCLI(t, "features", "--model", "internimage-t", "--input", writeInput(t, 1, 3, 16, 40), "--out", out)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "H, W >= 32")

	in := writeInput(t, 1, 3, 32, 32)
	r = runCLI(t, "features", "--model", "internimage-q", "--input", in, "--out", out)
	require.Equal(t, 2, r.code)

	// A checkpoint of another configuration names what does not fit.
	r = runCLI(t, "features", "--model", "internimage-t", "--weights", "../allnet/testdata/internimage_tiny.pth", "--input", in, "--out", out)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "patch_embed.conv1.weight")
}
