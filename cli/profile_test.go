package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pprof "github.com/google/pprof/profile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/engine/backend"
)

func profileArgs(out string, extra ...string) []string {
	return append([]string{"profile", "--model", "allnet-tiny", "--dataset", "synthetic", "--synth-size", "32x48",
		"--synth-count", "4", "--batch", "2", "--workers", "2", "--steps", "2", "--out", out}, extra...)
}

func TestProfileCPU(t *testing.T) {
	out := filepath.Join(t.TempDir(), "prof")
	r := runCLI(t, profileArgs(out, "--kind", "cpu")...)
	require.Equal(t, 0, r.code, r.stderr)
	path := filepath.Join(out, "cpu.pprof")
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	p, err := pprof.Parse(f)
	require.NoError(t, err, "a readable pprof profile")
	assert.NotEmpty(t, p.SampleType)
	assert.Contains(t, r.stdout, "steps 1-2")
	assert.Contains(t, r.stdout, "go tool pprof -top "+path)
	assert.Contains(t, r.stdout, "Top ")
	assert.FileExists(t, filepath.Join(out, "run", "ckpt", "last.safetensors"), "the steps really ran")

	// The same --out again: the run folder exists.
	r = runCLI(t, profileArgs(out)...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "already holds a run folder")
}

func TestProfileBadFlags(t *testing.T) {
	out := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{profileArgs(out, "--kind", "gpu"), "--kind"},
		{profileArgs(out, "--steps", "0"), "--steps"},
		{[]string{"profile", "--dataset", "synthetic"}, "--out"},
		{profileArgs(out, "--iters", "5"), "iters"},
	} {
		r := runCLI(t, tc.args...)
		assert.Equal(t, 2, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.want, tc.args)
	}
}

func TestWriteTopFlatMem(t *testing.T) {
	out := filepath.Join(t.TempDir(), "prof")
	r := runCLI(t, profileArgs(out, "--kind", "mem", "--steps", "1")...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.FileExists(t, filepath.Join(out, "mem.pprof"))
	assert.NotContains(t, r.stdout, "Top ")
}

func TestWriteKernelTimes(t *testing.T) {
	var b strings.Builder
	writeKernelTimes(&b, []backend.KernelTime{
		{Kernel: "gemm_f32", Launches: 4, Total: 8 * time.Millisecond},
		{Kernel: "dcnv3_fwd_f32", Launches: 2, Total: 2 * time.Millisecond},
		{Kernel: "softmax_f32", Launches: 1, Total: time.Millisecond},
	}, 2)
	out := b.String()
	require.Contains(t, out, "3 kernels, 11.0 ms in all")
	require.Contains(t, out, "| gemm_f32 | 4 | 8.00 ms | 2000.0 µs | 72.7 % |")
	require.Contains(t, out, "| dcnv3_fwd_f32 | 2 | 2.00 ms | 1000.0 µs | 18.2 % |")
	require.NotContains(t, out, "softmax_f32", "only the n largest")
}
