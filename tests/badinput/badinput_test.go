package badinput

import (
	"bufio"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"allnet/allnet"
)

// TestBadInput runs the table of cases.go.
func TestBadInput(t *testing.T) {
	for _, c := range cases() {
		t.Run(c.cmd+"/"+c.name, func(t *testing.T) {
			if c.skip != nil {
				if why := c.skip(); why != "" {
					t.Skip(why)
				}
			}
			dir := t.TempDir()
			if c.prep != nil {
				c.prep(t, dir)
			}
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = strings.NewReplacer("$F", fixtures, "$R", repoRoot).Replace(a)
			}
			before := hashTree(t, dir)
			o := c.opts
			o.dir = dir
			r := runCLI(t, o, args...)
			if r.code != c.code {
				t.Fatalf("exit status %d, want %d\nstderr:\n%s", r.code, c.code, r.stderr)
			}
			line := errorLine(t, r.stderr)
			t.Logf("exit %d: %s", r.code, line)
			if !strings.Contains(line, c.msg) {
				t.Errorf("error line %q does not name %q", line, c.msg)
			}
			after := hashTree(t, dir)
			if c.keep != nil {
				before, after = onlyUnder(before, c.keep), onlyUnder(after, c.keep)
			}
			if d := diffTrees(before, after); d != "" {
				t.Errorf("the case's folder changed: %s", d)
			}
			if c.check != nil {
				c.check(t, dir, r)
			}
		})
	}
}

// TestCoverage checks the table's size: at least 3 cases for every command
// that allnet-cli --help lists (data's two subcommands each), 30 in all.
func TestCoverage(t *testing.T) {
	out, err := exec.Command(cliBin, "--help").Output()
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	in := false
	for _, l := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(l, "COMMANDS:"):
			in = true
		case in && strings.TrimSpace(l) == "":
			in = false
		case in:
			name := strings.Fields(l)[0]
			if name == "help," || name == "help" {
				continue
			}
			if name == "data" {
				cmds = append(cmds, "data synth", "data inspect")
			} else {
				cmds = append(cmds, name)
			}
		}
	}
	count := map[string]int{}
	all := cases()
	for _, c := range all {
		count[c.cmd]++
	}
	if len(cmds) < 10 {
		t.Fatalf("parsed only %v from --help", cmds)
	}
	for _, c := range cmds {
		if count[c] < 3 {
			t.Errorf("command %q has %d cases, want at least 3", c, count[c])
		}
	}
	if len(all) < 30 {
		t.Errorf("%d cases, want at least 30", len(all))
	}
}

func rm(t *testing.T, dir, rel string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, rel)); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, b)
}

// makePred copies the fixture prediction folder to DIR/pred and replaces
// its file rel with content (nil: removes it).
func makePred(t *testing.T, dir, rel string, content []byte) {
	t.Helper()
	copyTree(t, filepath.Join(fixtures, "pred"), filepath.Join(dir, "pred"))
	if content == nil {
		rm(t, filepath.Join(dir, "pred"), rel)
		return
	}
	writeFile(t, filepath.Join(dir, "pred", rel), content)
}

// exists reports when DIR/rel exists.
func exists(rel string) func(string) bool {
	return func(dir string) bool {
		_, err := os.Stat(filepath.Join(dir, rel))
		return err == nil
	}
}

// logReached reports when RUN/log.jsonl holds a line of step >= step.
func logReached(run string, step int) func(string) bool {
	return func(dir string) bool {
		f, err := os.Open(filepath.Join(dir, run, allnet.RunLogFile))
		if err != nil {
			return false
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var l struct{ Step int }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Step >= step {
				return true
			}
		}
		return false
	}
}

// checkNoTemps fails when an unfinished atomic write was left behind.
func checkNoTemps(t *testing.T, dir string) {
	t.Helper()
	if s := strayTemps(t, dir); len(s) > 0 {
		t.Errorf("temporary files left: %v", s)
	}
}

// checkImagesDecode fails when a PNG under dir is not complete.
func checkImagesDecode(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".png" {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			t.Error(err)
			return nil
		}
		defer f.Close()
		if _, err := png.Decode(f); err != nil {
			t.Errorf("%s left incomplete: %v", path, err)
		}
		return nil
	})
}

// checkCheckpoint loads a run checkpoint fully and checks its step.
func checkCheckpoint(t *testing.T, path string, minStep, maxStep int) {
	t.Helper()
	_, meta, opt, err := allnet.LoadModelCheckpoint(path)
	if err != nil {
		t.Fatalf("checkpoint not loadable: %v", err)
	}
	if meta.Step < minStep || meta.Step > maxStep {
		t.Errorf("checkpoint of step %d, want %d..%d", meta.Step, minStep, maxStep)
	}
	if len(opt) == 0 {
		t.Errorf("checkpoint without optimizer state")
	}
}

func skipAsRoot() string {
	if os.Geteuid() == 0 {
		return "running as root (id -u = 0): permission bits do not stop root, so a read-only folder cannot be tested"
	}
	return ""
}

var benchOnce = sync.OnceValue(func() string {
	out, _ := exec.Command(cliBin, "--help").Output()
	if regexp.MustCompile(`(?m)^\s+bench\s`).Match(out) {
		return ""
	}
	return "this build has no bench command"
})

func skipNoBench() string { return benchOnce() }

var tmpfsOnce = sync.OnceValue(func() string {
	dir, err := os.MkdirTemp("", "badinput-tmpfs-")
	if err != nil {
		return err.Error()
	}
	defer os.Remove(dir)
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		return "cannot mount a tmpfs (needs root and CAP_SYS_ADMIN): " + err.Error()
	}
	_ = syscall.Unmount(dir, 0)
	return ""
})

func skipNoTmpfs() string { return tmpfsOnce() }

// tmpfsRun mounts a tmpfs at DIR/run just larger than the resumable fixture
// run, and copies the run into it: the next checkpoint cannot fit.
func tmpfsRun(t *testing.T, dir string) {
	t.Helper()
	run := filepath.Join(dir, "run")
	mkdir(t, run)
	var size int64
	_ = filepath.WalkDir(filepath.Join(fixtures, "long"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				size += info.Size()
			}
		}
		return nil
	})
	if err := syscall.Mount("tmpfs", run, "tmpfs", 0, "size="+strconv.FormatInt(size+2<<20, 10)); err != nil {
		t.Fatalf("mounting a tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(run, 0); err != nil {
			t.Errorf("unmounting %s: %v", run, err)
		}
	})
	copyTree(t, filepath.Join(fixtures, "long"), run)
}
