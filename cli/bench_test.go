package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBenchListCoversEveryRowOnce(t *testing.T) {
	r := runCLI(t, "bench", "--list", "--json", "--size", "64x96", "--ops", "^(?:gemm|linear|conv|dwconv|dcnv3|attention|psf|layernorm|softmax)")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	var list benchList
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	assert.Equal(t, [2]int{64, 96}, list.Size)
	seen := map[string]bool{}
	kinds := map[string]bool{}
	for _, s := range list.Rows {
		assert.False(t, seen[s.Key()], "duplicate row %s", s.Key())
		seen[s.Key()] = true
		kinds[s.Kind] = true
		assert.Contains(t, []string{"fwd", "fwd+bwd"}, s.Pass, s.Key())
		assert.True(t, s.FLOPs > 0 || s.Bytes > 0, "%s has no work", s.Key())
	}
	for _, k := range []string{"gemm", "linear", "conv", "dcnv3", "attention", "psf", "layernorm", "softmax"} {
		assert.True(t, kinds[k], "no %s row", k)
	}
	// The stage shapes follow the input: stage 1 is 16x24 at 64x96.
	assert.True(t, seen["linear s1.fc1 | 384x80->320"], "rows: %v", seen)
	assert.True(t, seen["dcnv3 fwd+bwd | 1x16x24x80 G5"], "rows: %v", seen)

	r = runCLI(t, "bench", "--list", "--ops", `internimage-s fwd \|`)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stdout, "| internimage-s fwd | 1x3x288x384 | internimage | 36.48 GFLOP |")
}

func TestBenchRunsTinyRows(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ours.json")
	r := runCLI(t, "bench", "--size", "32x32", "--ops", `softmax|layernorm|dcnv3 fwd \||attention w4 fwd \|`, "--repeat", "3",
		"--threads", "1", "--json", "--out", out)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		assert.Regexp(t, `^bench: `, l)
	}
	var doc benchDoc
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	assert.Equal(t, "allnet", doc.Tool)
	assert.Equal(t, 1, doc.Threads)
	keys := []string{}
	for _, row := range doc.Rows {
		keys = append(keys, row.Key())
		assert.Empty(t, row.Note, row.Key())
		assert.Equal(t, 3, row.Repeats, row.Key())
		assert.Positive(t, row.Seconds, row.Key())
		assert.LessOrEqual(t, row.MinSeconds, row.Seconds, row.Key())
		if row.FLOPs > 0 {
			assert.InDelta(t, row.FLOPs/row.Seconds/1e9, row.GFLOPS, 1e-9*row.GFLOPS, row.Key())
		} else {
			assert.InDelta(t, row.Bytes/row.Seconds/1e9, row.GBS, 1e-9*row.GBS, row.Key())
		}
	}
	assert.Equal(t, []string{"dcnv3 fwd | 1x8x8x80 G5", "dcnv3 fwd | 1x2x2x320 G20", "attention w4 fwd | 4x16x7",
		"layernorm fwd | 64x80", "layernorm fwd+bwd | 64x80", "softmax fwd | 320x9", "softmax fwd | 64x64"}, keys)

	// --out saved the same document; --from prints it as Markdown.
	saved, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.JSONEq(t, r.stdout, string(saved))
	r = runCLI(t, "bench", "--from", out, "--ops", "softmax")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stdout, "| operation | shape | time | rate | calls |\n|---|---|---|---|---|\n")
	assert.Regexp(t, `\| softmax fwd \| 320x9 \| [0-9.]+ (µs|ms) \| [0-9.]+ GB/s \| 3 \|`, r.stdout)
	assert.Equal(t, 2, strings.Count(r.stdout, "| softmax fwd |"))
}

// benchFixture writes a result file and returns its path.
func benchFixture(t *testing.T, name string, d benchDoc) string {
	t.Helper()
	b, err := json.Marshal(d)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

func TestBenchCompareRatios(t *testing.T) {
	gemm := benchSpec{Op: "gemm", Shape: "1024x1024x1024", Kind: "gemm", Pass: "fwd", FLOPs: 2 << 30}
	conv := benchSpec{Op: "conv3x3 fwd", Shape: "1x80x72x96->80", Kind: "conv", Pass: "fwd", FLOPs: 796262400}
	ln := benchSpec{Op: "layernorm fwd", Shape: "6912x80", Kind: "layernorm", Pass: "fwd", Bytes: 4423680}
	ours := benchFixture(t, "ours.json", benchDoc{Tool: "allnet", Version: "v1", Device: "cpu:0", Threads: 2, Rows: []benchResult{
		{benchSpec: gemm, Seconds: 0.020, MinSeconds: 0.018}, {benchSpec: conv, Seconds: 0.006}, {benchSpec: ln, Seconds: 0.0005},
	}})
	// The peers as the bench/peer scripts write them: rows carry op and
	// shape; a row that could not run has seconds 0 and a note; an extra
	// row of the peer's is ignored.
	torch := filepath.Join(t.TempDir(), "torch.json")
	require.NoError(t, os.WriteFile(torch, []byte(`{"tool": "torch", "version": "2.9.1", "device": "cpu", "threads": 2,
		"rows": [{"op": "conv3x3 fwd", "shape": "1x80x72x96->80", "seconds": 0.004},
		         {"op": "gemm", "shape": "1024x1024x1024", "seconds": 0.025},
		         {"op": "layernorm fwd", "shape": "6912x80", "seconds": 0, "note": "skipped: no reason"},
		         {"op": "extra", "shape": "1", "seconds": 1}]}`), 0o644))
	blas := benchFixture(t, "openblas.json", benchDoc{Tool: "openblas", Version: "0.3.21", Device: "cpu", Threads: 2, Core: "Haswell",
		Rows: []benchResult{{benchSpec: gemm, Seconds: 0.016, MinSeconds: 0.015}}})

	r := runCLI(t, "bench", "--from", ours, "--json", "--compare", torch, blas)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	var cmp benchCompare
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &cmp))
	require.Len(t, cmp.Peers, 2)
	assert.Equal(t, "torch 2.9.1", cmp.Peers[0].Label)
	assert.Equal(t, "Haswell", cmp.Peers[1].Core)
	require.Len(t, cmp.Rows, 3)
	g := cmp.Rows[0]
	assert.Equal(t, "gemm", g.Op)
	assert.InDelta(t, 0.020/0.025, g.Peers[0].Ratio, 1e-12)
	assert.InDelta(t, 0.020/0.016, g.Peers[1].Ratio, 1e-12)
	assert.InDelta(t, float64(2<<30)/0.020/1e9, g.Rate, 1e-9)
	assert.Equal(t, "GFLOP/s", g.Unit)
	assert.InDelta(t, 0.006/0.004, cmp.Rows[1].Peers[0].Ratio, 1e-12)
	assert.Zero(t, cmp.Rows[1].Peers[1].Ratio, "openblas has no conv row")
	assert.Zero(t, cmp.Rows[2].Peers[0].Ratio, "the peer's layernorm did not run")
	assert.Equal(t, "skipped: no reason", cmp.Rows[2].Peers[0].Note)
	assert.Equal(t, "GB/s", cmp.Rows[2].Unit)
	assert.Equal(t, "median", cmp.Stat)

	// --stat min compares the fastest calls where the files have them.
	r = runCLI(t, "bench", "--from", ours, "--json", "--stat", "min", "--compare", blas)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &cmp))
	assert.Equal(t, "min", cmp.Stat)
	assert.InDelta(t, 0.018/0.015, cmp.Rows[0].Peers[0].Ratio, 1e-12)
	assert.InDelta(t, 0.006, cmp.Rows[1].Seconds, 1e-15, "no fastest call recorded: the median stays")

	r = runCLI(t, "bench", "--from", ours, "--compare", torch+","+blas)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	for _, want := range []string{
		"- Threads: ours (allnet v1) 2, torch 2.9.1 2, openblas 0.3.21 2\n",
		"- OpenBLAS core: openblas 0.3.21: Haswell\n",
		"| operation | shape | ours | torch 2.9.1 | ratio | openblas 0.3.21 | ratio | ours GFLOP/s or GB/s |\n|---|---|---|---|---|---|---|---|\n",
		"| gemm | 1024x1024x1024 | 20.0 ms | 25.0 ms | 0.80 | 16.0 ms | 1.25 | 107 GFLOP/s |\n",
		"| conv3x3 fwd | 1x80x72x96->80 | 6.00 ms | 4.00 ms | 1.50 | – | – | 133 GFLOP/s |\n",
		"| layernorm fwd | 6912x80 | 500 µs | – | – | – | – | 8.85 GB/s |\n",
		"- torch 2.9.1, layernorm fwd 6912x80: skipped: no reason",
	} {
		assert.Contains(t, r.stdout, want)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"rows": []}`), 0o644))
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--ops", "("}, 2, "--ops"},
		{[]string{"--ops", "nothing-matches"}, 2, "matches no row"},
		{[]string{"--size", "20x20"}, 2, "--size"},
		{[]string{"--repeat", "-1"}, 2, "--repeat"},
		{[]string{"--stat", "mean"}, 2, "--stat"},
		{[]string{"--threads", "0"}, 2, "--threads"},
		{[]string{"extra"}, 2, "no arguments"},
		{[]string{"--compare", bad, bad, "--json"}, 2, "flag --json after the peer files"},
		{[]string{"--list", "--out", "x.json"}, 2, "--list"},
		{[]string{"--from", bad}, 1, "not a bench result file"},
		{[]string{"--ops", "gemm", "--compare", filepath.Join(t.TempDir(), "missing.json")}, 1, "--compare"},
	} {
		r := runCLI(t, append([]string{"bench"}, c.args...)...)
		assert.Equal(t, c.code, r.code, "%v: stderr %s", c.args, r.stderr)
		assert.Contains(t, errorLine(t, r.stderr, `^bench: `), c.want, "%v", c.args)
		assert.Empty(t, r.stdout, "%v", c.args)
	}
}
