package cli

// The device hand-off (CONVENTIONS.md, "Binaries"). The CPU binary has no cgo
// and no CUDA; when a command is run with --device cuda[:N] it executes
// allnet-cli-cuda, found beside its own executable or on PATH, with the same
// arguments, streams and exit status, forwarding SIGINT and SIGTERM.
//
// Start-up protocol (Linux). gorgonia.org/cu calls cuInit in its init() and,
// when that fails, prints its complaint on stdout and exits before main runs,
// which would break --json and bury the reason. So the parent starts the
// child with ALLNET_HANDOFF=fds, the child's stdout and stderr on pipes, and
// three extra descriptors: fd 3, a pipe back to the parent, and fds 4 and 5,
// the real stdout and stderr. Once the child reaches Main it moves fds 4 and 5
// onto 1 and 2 and writes "ok" to fd 3 (acceptHandoff); from then on its
// output goes straight to the user's streams. If it exits without saying
// "ok" and with a non-zero status, the parent prints one line with the
// child's first line of output as the reason, and exits 1. A child that does
// not speak the protocol still works: its output is held until it exits and
// then passed on. Elsewhere the streams are passed straight through.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// cudaProgram is the name of the CUDA build of allnet-cli.
const cudaProgram = programName + "-cuda"

// Values of handoffEnv, the variable the parent sets for the child.
const (
	handoffEnv   = "ALLNET_HANDOFF"
	handoffFDs   = "fds"   // the start-up protocol above is in use
	handoffPlain = "1"     // streams are passed straight through
	handoffProbe = "probe" // started by info's probe: do not probe in turn
)

// How to fix a missing sibling, and one that cannot start.
const (
	fixBuild = "build it with `make kernels` on a machine with the CUDA toolkit and an NVIDIA GPU " +
		"(`make cuda-toolkit` installs Debian's toolkit), or run with --device cpu"
	fixRun = "allnet-cli-cuda needs an NVIDIA GPU and its driver (libcuda.so.1): run it on such a machine " +
		"(rebuild it there with `make kernels` if it was built elsewhere), or run with --device cpu"
)

// probeTimeout bounds `allnet-cli-cuda info --json` when info probes it.
var probeTimeout = 30 * time.Second

// deviceArg returns the value given to --device in args (in any of the forms
// --device X, --device=X, -device X, -device=X; the last one wins), looking
// no further than a "--" terminator.
func deviceArg(args []string) (dev string, found bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return dev, found
		case a == "--device" || a == "-device":
			if i+1 < len(args) {
				dev, found = args[i+1], true
				i++
			}
		case strings.HasPrefix(a, "--device="):
			dev, found = strings.TrimPrefix(a, "--device="), true
		case strings.HasPrefix(a, "-device="):
			dev, found = strings.TrimPrefix(a, "-device="), true
		}
	}
	return dev, found
}

// isCUDADevice reports whether dev names the cuda backend ("cuda" or
// "cuda:N"; a malformed index is left for allnet-cli-cuda to report).
func isCUDADevice(dev string) bool {
	name, _, _ := strings.Cut(dev, ":")
	return name == "cuda"
}

// findSibling looks for allnet-cli-cuda beside this executable, then on
// PATH. When there is none it returns an error saying where it looked.
func findSibling() (string, error) {
	name := cudaProgram
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	var places []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		p := filepath.Join(filepath.Dir(exe), name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
		places = append(places, filepath.Dir(exe)+" (beside "+filepath.Base(exe)+")")
	}
	p, err := exec.LookPath(name)
	if err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return p, nil
	}
	places = append(places, "PATH")
	return "", fmt.Errorf("%s not found in %s", name, strings.Join(places, " nor on "))
}

// handOff runs the command line args in allnet-cli-cuda and returns its exit
// status, or prints one line and returns 1 when it is missing or cannot
// start.
func handOff(prog, dev string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	path, err := findSibling()
	if err != nil {
		fmt.Fprintf(stderr, "%s: --device %s needs %s, the CUDA build of this tool: %v; %s\n", prog, dev, cudaProgram, err, fixBuild)
		return CodeError
	}
	code, err := runSibling(path, args[1:], stdin, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: --device %s: %s\n", prog, dev, oneLine(err.Error()))
		return CodeError
	}
	return code
}

// runSibling runs path with args, passing streams, signals and the exit
// status through. It returns an error only when the child could not start.
func runSibling(path string, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cmd := exec.Command(path, args...)
	cmd.Stdin = stdin
	mode := handoffPlain
	var gate *startGate
	if gateSupported {
		var err error
		if gate, err = newStartGate(cmd, stdout, stderr); err != nil {
			return 0, fmt.Errorf("could not set up the streams for %s: %v", path, err)
		}
		defer gate.close()
		mode = handoffFDs
	} else {
		cmd.Stdout, cmd.Stderr = stdout, stderr
	}
	cmd.Env = append(os.Environ(), handoffEnv+"="+mode)
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("could not start %s: %v; %s", path, err, fixBuild)
	}
	stop := forwardSignals(cmd.Process)
	defer stop()

	ready := true
	if gate != nil {
		ready = gate.waitReady()
	}
	werr := cmd.Wait()
	code := exitStatus(cmd.ProcessState, werr)
	if gate != nil {
		gate.finish()
		if !ready && code != 0 {
			return 0, fmt.Errorf("%s stopped during start-up (exit status %d): %s; %s", path, code, gate.reason(), fixRun)
		}
		if !ready {
			gate.flush()
		}
	}
	return code, nil
}

// exitStatus returns the child's exit status, 128+N when signal N killed it.
func exitStatus(ps *os.ProcessState, err error) int {
	if ps == nil {
		return CodeError
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// forwardSignals passes SIGINT and SIGTERM on to p (and keeps them from
// stopping this process) until stop is called. A SIGINT that the terminal
// already sent to the whole foreground process group is not sent twice.
func forwardSignals(p *os.Process) (stop func()) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-ch:
				if !deliveredByTerminal(s) {
					_ = p.Signal(s)
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// siblingReport is what info says about allnet-cli-cuda.
type siblingReport struct {
	Path      string      `json:"path,omitempty"`
	Available bool        `json:"available"`
	Error     string      `json:"error,omitempty"`
	Info      *infoReport `json:"info,omitempty"`
}

// probeSibling runs `allnet-cli-cuda info --json` (bounded by probeTimeout)
// and returns what it reports, or why it is unavailable.
func probeSibling() *siblingReport {
	path, err := findSibling()
	if err != nil {
		return &siblingReport{Error: err.Error() + "; " + fixBuild}
	}
	rep := &siblingReport{Path: path}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "info", "--json")
	cmd.Env = append(os.Environ(), handoffEnv+"="+handoffProbe)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		rep.Error = fmt.Sprintf("`%s info --json` did not finish within %v", path, probeTimeout)
	case errors.As(err, &exitErr):
		rep.Error = fmt.Sprintf("`%s info --json` failed (exit status %d): %s; %s",
			path, exitStatus(exitErr.ProcessState, err), firstLine(errOut.Bytes(), out.Bytes()), fixRun)
	case err != nil:
		rep.Error = fmt.Sprintf("could not start %s: %v; %s", path, err, fixBuild)
	default:
		var info infoReport
		if err := json.Unmarshal(out.Bytes(), &info); err != nil {
			rep.Error = fmt.Sprintf("`%s info --json` printed no valid JSON (%v): %s", path, err, firstLine(out.Bytes()))
		} else {
			rep.Available, rep.Info = true, &info
		}
	}
	return rep
}
