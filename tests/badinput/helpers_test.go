package badinput

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fsizeEnv, when set, makes the test binary a wrapper: it lowers
// RLIMIT_FSIZE to the value given and execs the rest of its arguments, so a
// case can run the CLI on a "full disk" (writes beyond the limit fail with
// EFBIG; Go ignores SIGXFSZ) without touching the test process's limits.
const fsizeEnv = "BADINPUT_FSIZE"

// wrapFsize runs the wrapper when fsizeEnv is set; it returns only when it
// is not.
func wrapFsize() {
	v := os.Getenv(fsizeEnv)
	if v == "" {
		return
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err == nil {
		err = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n})
	}
	if err == nil {
		env := slicesWithout(os.Environ(), fsizeEnv+"=")
		err = syscall.Exec(os.Args[1], os.Args[1:], env)
	}
	fmt.Fprintf(os.Stderr, "badinput wrapper: %v\n", err)
	os.Exit(99)
}

func slicesWithout(env []string, prefix string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// result is what one run of the CLI gave.
type result struct {
	code           int
	stdout, stderr string
}

// runOpts are the ways a case runs the binary.
type runOpts struct {
	dir   string   // working directory
	env   []string // extra environment
	fsize uint64   // RLIMIT_FSIZE in bytes (0 = unlimited)
	// signal is sent once ready(dir) reports true.
	signal  syscall.Signal
	ready   func(dir string) bool
	timeout time.Duration
}

// runCLI runs the CLI binary with args.
func runCLI(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	timeout := o.timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	name, argv := cliBin, args
	env := append(os.Environ(), "NO_COLOR=1")
	if o.fsize > 0 {
		name, argv = os.Args[0], append([]string{cliBin}, args...)
		env = append(env, fmt.Sprintf("%s=%d", fsizeEnv, o.fsize))
	}
	cmd := exec.CommandContext(ctx, name, argv...)
	cmd.Dir = o.dir
	cmd.Env = append(env, o.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cliBin, err)
	}
	if o.signal != 0 {
		go func() {
			for ctx.Err() == nil {
				if o.ready(o.dir) {
					_ = cmd.Process.Signal(o.signal)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	err := cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("allnet-cli %s: still running after %v\nstderr:\n%s", strings.Join(args, " "), timeout, errb.String())
	}
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running %s: %v", cliBin, err)
		}
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal()) // killed by the signal: the handler did not run
			t.Errorf("allnet-cli was killed by %v instead of handling it", ws.Signal())
		}
	}
	return result{code, out.String(), errb.String()}
}

// errorLine checks that stderr holds exactly one error line, the last, and
// no panic trace; it returns the line.
func errorLine(t *testing.T, stderr string) string {
	t.Helper()
	for _, bad := range []string{"panic:", "goroutine ", "runtime error", "fatal error:"} {
		if strings.Contains(stderr, bad) {
			t.Fatalf("stderr holds %q:\n%s", bad, stderr)
		}
	}
	if !strings.HasSuffix(stderr, "\n") {
		t.Fatalf("stderr does not end in a newline:\n%q", stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	var errs []string
	for _, l := range lines {
		if strings.HasPrefix(l, "allnet-cli: ") {
			errs = append(errs, l)
		}
	}
	if len(errs) != 1 || errs[0] != lines[len(lines)-1] {
		t.Fatalf("want one error line \"allnet-cli: ...\", the last; stderr:\n%s", stderr)
	}
	return errs[0]
}

// hashTree returns "mode size sha256" for every entry under root (folders
// too, with their mode) by relative path, so that two calls differ when
// anything was added, removed or changed.
func hashTree(t *testing.T, root string) map[string]string {
	t.Helper()
	m, err := treeHashes(root)
	if err != nil {
		t.Fatalf("hashing %s: %v", root, err)
	}
	return m
}

func treeHashes(root string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			out[rel] = fmt.Sprintf("dir %v", info.Mode())
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[rel] = fmt.Sprintf("%v %d %s", info.Mode(), len(b), hex.EncodeToString(sum[:8]))
		return nil
	})
	return out, err
}

// onlyUnder keeps the entries of m at or under one of the paths.
func onlyUnder(m map[string]string, paths []string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		for _, p := range paths {
			if k == p || strings.HasPrefix(k, p+"/") {
				out[k] = v
			}
		}
	}
	return out
}

// diffTrees describes how two hashTree results differ ("" if they do not).
func diffTrees(before, after map[string]string) string {
	var d []string
	for k, v := range before {
		if w, ok := after[k]; !ok {
			d = append(d, "removed "+strconv.Quote(k))
		} else if w != v {
			d = append(d, "changed "+strconv.Quote(k))
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			d = append(d, "added "+strconv.Quote(k))
		}
	}
	sort.Strings(d)
	return strings.Join(d, ", ")
}

// npyBytes returns a .npy file with any descr and shape and raw data.
func npyBytes(descr string, shape []int, data []byte) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	s := strings.Join(dims, ", ")
	if len(shape) == 1 {
		s += ","
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, s)
	h += strings.Repeat(" ", (64-(10+len(h)+1)%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	b.Write(data)
	return b.Bytes()
}

// writeNpy writes npyBytes(descr, shape, data) to path.
func writeNpy(t *testing.T, path, descr string, shape []int, data []byte) {
	t.Helper()
	writeFile(t, path, npyBytes(descr, shape, data))
}

// float32s returns n little-endian float32 values of v.
func float32s(n int, v float32) []byte {
	b := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// truncateCopy writes the first n bytes of src to dst.
func truncateCopy(t *testing.T, src, dst string, n int) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, b[:min(n, len(b))])
}

// copyTree copies the folder src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// strayTemps lists files under root whose names look like unfinished
// atomic writes.
func strayTemps(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), ".tmp") {
			out = append(out, path)
		}
		return nil
	})
	return out
}
