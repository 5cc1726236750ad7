package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// protocolLine is the child's side of the start-up protocol in shell: move
// the real stdout and stderr (fds 4, 5) onto 1 and 2 and say "ok" on fd 3.
const protocolLine = `if [ "$ALLNET_HANDOFF" = fds ]; then exec 1>&4 2>&5 4>&- 5>&-; echo ok >&3; exec 3>&-; fi`

// fakeSibling writes an executable shell script named allnet-cli-cuda into a
// fresh directory and puts that directory first on PATH.
func fakeSibling(t *testing.T, body string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake allnet-cli-cuda is a shell script")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, cudaProgram)
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return path
}

func TestDeviceArg(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		dev   string
		found bool
	}{
		{[]string{"train", "--device", "cuda"}, "cuda", true},
		{[]string{"train", "--device=cuda:1"}, "cuda:1", true},
		{[]string{"-device", "cpu", "train"}, "cpu", true},
		{[]string{"train", "-device=cuda:0"}, "cuda:0", true},
		{[]string{"train", "--device", "cpu", "--device", "cuda"}, "cuda", true},
		{[]string{"train", "--", "--device", "cuda"}, "", false},
		{[]string{"train", "--device"}, "", false},
		{[]string{"train", "--devices", "cuda"}, "", false},
	} {
		dev, found := deviceArg(tc.args)
		assert.Equal(t, tc.dev, dev, "%q", tc.args)
		assert.Equal(t, tc.found, found, "%q", tc.args)
	}
	assert.True(t, isCUDADevice("cuda"))
	assert.True(t, isCUDADevice("cuda:3"))
	assert.False(t, isCUDADevice("cpu"))
	assert.False(t, isCUDADevice("cudax"))
}

func TestHandOffPassesArgsStreamsAndExitCode(t *testing.T) {
	fakeSibling(t, protocolLine+`
for a in "$@"; do echo "arg:$a"; done
read line; echo "stdin:$line"
echo "child-stderr" >&2
exit 7`)
	var out, errOut bytes.Buffer
	code := Run([]string{"allnet-cli", "train", "--device", "cuda:1", "--name", "two words"},
		strings.NewReader("from-stdin\n"), &out, &errOut)
	assert.Equal(t, 7, code)
	assert.Equal(t, "arg:train\narg:--device\narg:cuda:1\narg:--name\narg:two words\nstdin:from-stdin\n", out.String())
	assert.Equal(t, "child-stderr\n", errOut.String(), "the parent adds nothing to a child's failure")
}

func TestHandOffSuccess(t *testing.T) {
	fakeSibling(t, protocolLine+`
echo '{"ok": true}'`)
	var out, errOut bytes.Buffer
	code := Run([]string{"allnet-cli", "info", "--json", "--device=cuda"}, nil, &out, &errOut)
	assert.Equal(t, 0, code)
	assert.Equal(t, "{\"ok\": true}\n", out.String())
	assert.Empty(t, errOut.String())
}

func TestHandOffWithoutProtocol(t *testing.T) {
	// A child that does not speak the start-up protocol still works: its
	// output is passed on when it exits.
	fakeSibling(t, `echo "plain-out"; echo "plain-err" >&2; exit 0`)
	var out, errOut bytes.Buffer
	code := Run([]string{"allnet-cli", "x", "--device", "cuda"}, nil, &out, &errOut)
	assert.Equal(t, 0, code)
	assert.Equal(t, "plain-out\n", out.String())
	assert.Equal(t, "plain-err\n", errOut.String())
}

func TestHandOffChildFailsAtStartUp(t *testing.T) {
	if !gateSupported {
		t.Skip("the start-up protocol is used on Linux only")
	}
	// What gorgonia.org/cu does when cuInit fails: a line on stdout, exit 1,
	// before main runs.
	path := fakeSibling(t, `echo 'Error in initialization, please refer to "https://docs.nvidia.com" for details on: no CUDA-capable device is detected'
exit 1`)
	var out, errOut bytes.Buffer
	code := Run([]string{"allnet-cli", "info", "--json", "--device", "cuda"}, nil, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Empty(t, out.String(), "nothing but JSON may reach stdout")
	assertOneLine(t, errOut.String())
	for _, want := range []string{path, "exit status 1", "no CUDA-capable device is detected", "NVIDIA GPU", "--device cpu"} {
		assert.Contains(t, errOut.String(), want)
	}
}

func TestHandOffMissingSibling(t *testing.T) {
	isolatePath(t)
	r := runCLI(t, "train", "--device", "cuda")
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assertOneLine(t, r.stderr)
	for _, want := range []string{"--device cuda", "allnet-cli-cuda not found", "PATH", "make kernels", "--device cpu"} {
		assert.Contains(t, r.stderr, want)
	}
}

func TestHandOffSiblingCannotStart(t *testing.T) {
	path := fakeSibling(t, "")
	require.NoError(t, os.WriteFile(path, []byte("#!/nonexistent/interpreter\n"), 0o755))
	r := runCLI(t, "train", "--device", "cuda")
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assertOneLine(t, r.stderr)
	assert.Contains(t, r.stderr, "could not start "+path)
	assert.Contains(t, r.stderr, "make kernels")
}

func TestHandOffKilledBySignal(t *testing.T) {
	fakeSibling(t, protocolLine+"\nkill -KILL $$")
	r := runCLI(t, "train", "--device", "cuda")
	assert.Equal(t, 128+9, r.code)
}

func TestCPUBuildStartedAsSibling(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"allnet-cli-cuda", "train", "--device", "cuda"}, nil, &out, &errOut, handoffFDs)
	assert.Equal(t, 1, code)
	assertOneLine(t, errOut.String())
	assert.Contains(t, errOut.String(), "is a CPU build")
}

func TestInfoProbesSibling(t *testing.T) {
	fakeSibling(t, `[ "$1 $2 $ALLNET_HANDOFF" = "info --json probe" ] || { echo "unexpected: $*" >&2; exit 9; }
cat <<'EOF'
{"program": "allnet-cli-cuda", "version": "fake-1", "go": "go1.26", "os": "linux", "arch": "amd64",
 "cuda_build": true, "build_tags": ["cuda"], "num_cpu": 16, "gomaxprocs": 16, "cpu_features": [],
 "backends": [{"name": "cpu", "devices": ["cpu:0"]}, {"name": "cuda", "devices": ["cuda:0 (Fake H200, 139 GiB)"]}]}
EOF`)
	r := runCLI(t, "info")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "| cuda | cuda:0 (Fake H200, 139 GiB) |")
	assert.Contains(t, r.stdout, "| Version | fake-1 |")

	r = runCLI(t, "info", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var rep infoReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	require.NotNil(t, rep.CUDABinary)
	assert.True(t, rep.CUDABinary.Available, rep.CUDABinary.Error)
	require.NotNil(t, rep.CUDABinary.Info)
	assert.True(t, rep.CUDABinary.Info.CUDABuild)
	assert.Equal(t, "cuda", rep.CUDABinary.Info.Backends[1].Name)
}

func TestInfoProbeFailures(t *testing.T) {
	t.Run("fails", func(t *testing.T) {
		fakeSibling(t, `echo 'Error in initialization: no CUDA-capable device is detected'; exit 1`)
		r := runCLI(t, "info", "--json")
		require.Equal(t, 0, r.code, "info still succeeds: %s", r.stderr)
		var rep infoReport
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
		assert.False(t, rep.CUDABinary.Available)
		assert.Contains(t, rep.CUDABinary.Error, "exit status 1")
		assert.Contains(t, rep.CUDABinary.Error, "no CUDA-capable device is detected")
	})
	t.Run("bad JSON", func(t *testing.T) {
		fakeSibling(t, `echo 'not json'`)
		r := runCLI(t, "info")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "printed no valid JSON")
	})
	t.Run("hangs", func(t *testing.T) {
		old := probeTimeout
		probeTimeout = 200 * time.Millisecond
		defer func() { probeTimeout = old }()
		fakeSibling(t, `exec sleep 10`)
		start := time.Now()
		r := runCLI(t, "info")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "did not finish within 200ms")
		assert.Less(t, time.Since(start), 5*time.Second)
	})
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
