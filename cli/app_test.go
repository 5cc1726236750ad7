package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	ucli "github.com/urfave/cli/v2"
)

// Commands that exist only in the test binary, to exercise the error paths.
func init() {
	addCommand(func() *ucli.Command {
		return &ucli.Command{Name: "test-panic", Hidden: true, Action: func(*ucli.Context) error {
			panic("boom\nsecond line")
		}}
	})
	addCommand(func() *ucli.Command {
		return &ucli.Command{Name: "test-error", Hidden: true, Action: func(*ucli.Context) error {
			return Errorf("--root /nope: expected a directory, found nothing")
		}}
	})
}

// result is what one run of the CLI produced.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs allnet-cli with args in-process, with no sibling binary
// reachable unless the test put one on PATH.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(append([]string{"allnet-cli"}, args...), strings.NewReader(""), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// isolatePath leaves only an empty directory on PATH.
func isolatePath(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
}

// errorLine checks that stderr ends with exactly one error line of the
// program, after progress lines only (each matching the regular expression
// progress), and returns it.
func errorLine(t *testing.T, stderr, progress string) string {
	t.Helper()
	require.True(t, strings.HasSuffix(stderr, "\n"), "stderr %q does not end in a newline", stderr)
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	require.True(t, strings.HasPrefix(last, "allnet-cli: "), "last stderr line %q is not the error", last)
	for _, l := range lines[:len(lines)-1] {
		require.Regexp(t, progress, l, "stderr line %q is neither progress nor the error", l)
	}
	return last
}

// assertOneLine checks that s is exactly one newline-terminated line.
func assertOneLine(t *testing.T, s string) {
	t.Helper()
	assert.True(t, strings.HasSuffix(s, "\n"), "stderr %q does not end in a newline", s)
	assert.Equal(t, 1, strings.Count(s, "\n"), "stderr is not one line: %q", s)
}

func TestInfoMarkdown(t *testing.T) {
	isolatePath(t)
	r := runCLI(t, "info")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Empty(t, r.stderr)
	assert.Contains(t, r.stdout, "# allnet-cli ")
	assert.Contains(t, r.stdout, "| Go | go1.")
	assert.Contains(t, r.stdout, "| cpu | cpu:0 (")
	assert.Contains(t, r.stdout, "## CUDA build (allnet-cli-cuda)")
	assert.Contains(t, r.stdout, "Unavailable: allnet-cli-cuda not found")
}

func TestInfoJSON(t *testing.T) {
	isolatePath(t)
	r := runCLI(t, "info", "--json")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Empty(t, r.stderr)

	// stdout holds exactly one JSON object and nothing else.
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	var rep map[string]any
	require.NoError(t, dec.Decode(&rep), "stdout: %s", r.stdout)
	var extra any
	assert.ErrorIs(t, dec.Decode(&extra), io.EOF, "something follows the JSON object on stdout")

	for _, key := range []string{"program", "version", "go", "os", "arch", "cuda_build", "build_tags", "num_cpu", "gomaxprocs", "cpu_features", "backends"} {
		assert.Contains(t, rep, key)
	}
	assert.Equal(t, "allnet-cli", rep["program"])
	assert.Equal(t, false, rep["cuda_build"])
	assert.NotNil(t, rep["build_tags"], "build_tags must be a list, not null")

	var typed infoReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &typed))
	require.NotEmpty(t, typed.Backends)
	var cpu *backendReport
	for i := range typed.Backends {
		if typed.Backends[i].Name == "cpu" {
			cpu = &typed.Backends[i]
		}
	}
	require.NotNil(t, cpu, "no cpu backend in %+v", typed.Backends)
	require.Len(t, cpu.Devices, 1)
	assert.True(t, strings.HasPrefix(cpu.Devices[0], "cpu:0"), cpu.Devices[0])
	require.NotNil(t, typed.CUDABinary)
	assert.False(t, typed.CUDABinary.Available)
	assert.Contains(t, typed.CUDABinary.Error, "make kernels")
}

func TestInfoDeviceCPU(t *testing.T) {
	isolatePath(t)
	r := runCLI(t, "info", "--device", "cpu")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stdout, "| Device | cpu:0 (")

	r = runCLI(t, "info", "--device", "tpu")
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assertOneLine(t, r.stderr)
	assert.Contains(t, r.stderr, `--device tpu`)
}

func TestUsageErrors(t *testing.T) {
	isolatePath(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag on a command", []string{"info", "--bogus"}, "flag provided but not defined: -bogus"},
		{"unknown global flag", []string{"--bogus", "info"}, "flag provided but not defined: -bogus"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"extra argument", []string{"info", "extra"}, "takes no arguments"},
		{"bad flag value", []string{"info", "--json=maybe"}, "invalid boolean value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.args...)
			assert.Equal(t, 2, r.code)
			assert.Empty(t, r.stdout)
			assertOneLine(t, r.stderr)
			assert.Contains(t, r.stderr, tc.want)
			assert.True(t, strings.HasPrefix(r.stderr, "allnet-cli: "), r.stderr)
		})
	}
}

func TestNoCommand(t *testing.T) {
	r := runCLI(t)
	assert.Equal(t, 2, r.code)
	assert.Empty(t, r.stdout, "help for a missing command goes to stderr")
	assert.Contains(t, r.stderr, "info")
	assert.Contains(t, r.stderr, "no command given")
	assert.NotContains(t, r.stderr, "test-panic", "hidden commands are not listed")
}

func TestHelp(t *testing.T) {
	r := runCLI(t, "--help")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "allnet-cli")
	assert.Contains(t, r.stdout, "info")
	assert.Empty(t, r.stderr)

	r = runCLI(t, "info", "--help")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "--json")
	assert.Contains(t, r.stdout, "--device")
}

func TestErrorIsOneLine(t *testing.T) {
	r := runCLI(t, "test-error")
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assert.Equal(t, "allnet-cli: --root /nope: expected a directory, found nothing\n", r.stderr)
}

func TestPanicIsRecovered(t *testing.T) {
	t.Setenv(debugEnv, "")
	r := runCLI(t, "test-panic")
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assertOneLine(t, r.stderr)
	assert.Contains(t, r.stderr, "internal error: boom; second line")
	assert.NotContains(t, r.stderr, "goroutine")

	t.Setenv(debugEnv, "1")
	r = runCLI(t, "test-panic")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "goroutine", "ALLNET_DEBUG=1 prints the stack trace")
}

func TestExitCode(t *testing.T) {
	assert.Equal(t, 0, ExitCode(nil))
	assert.Equal(t, 1, ExitCode(errors.New("x")))
	assert.Equal(t, 1, ExitCode(Errorf("x")))
	assert.Equal(t, 2, ExitCode(UsageErrorf("x")))
	assert.Equal(t, 143, ExitCode(WithCode(143, errors.New("terminated"))))
	assert.Nil(t, WithCode(3, nil))
	assert.Equal(t, 4, ExitCode(ucli.Exit("x", 4)))
	wrapped := errors.Join(errors.New("context"), UsageErrorf("x"))
	assert.Equal(t, 2, ExitCode(wrapped), "the code survives wrapping")
}

func TestOneLine(t *testing.T) {
	assert.Equal(t, "a", oneLine(" a \n"))
	assert.Equal(t, "a; b; c", oneLine("a\n\n b\r\nc\n"))
}
