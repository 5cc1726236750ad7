package cli

// The parent's side of the hand-off's start-up protocol (see handoff.go).

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// startGate holds the child's output back until the child reports that it
// reached Main (the start-up protocol at the top of this file).
type startGate struct {
	stdout, stderr     io.Writer
	readyR             *os.File   // parent end of the child's fd 3
	startOut, startErr *os.File   // read ends of the child's start-up stdout and stderr
	childEnds          []*os.File // ends given to the child, closed here after Start
	outBuf, errBuf     bytes.Buffer
	readers            sync.WaitGroup // drain startOut and startErr
	copies             sync.WaitGroup // copy real-stream pipes into non-file writers
	closeOnce          sync.Once
}

func newStartGate(cmd *exec.Cmd, stdout, stderr io.Writer) (g *startGate, err error) {
	g = &startGate{stdout: lockWriter(stdout), stderr: lockWriter(stderr)}
	defer func() {
		if err != nil {
			g.close()
		}
	}()
	pipe := func() (r, w *os.File, err error) {
		if r, w, err = os.Pipe(); err == nil {
			g.childEnds = append(g.childEnds, w)
		}
		return r, w, err
	}
	var readyW, outW, errW, realOut, realErr *os.File
	if g.readyR, readyW, err = pipe(); err != nil {
		return g, err
	}
	if g.startOut, outW, err = pipe(); err != nil {
		return g, err
	}
	if g.startErr, errW, err = pipe(); err != nil {
		return g, err
	}
	if realOut, err = g.fileFor(g.stdout); err != nil {
		return g, err
	}
	if realErr, err = g.fileFor(g.stderr); err != nil {
		return g, err
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	cmd.ExtraFiles = []*os.File{readyW, realOut, realErr} // fds 3, 4, 5
	return g, nil
}

// fileFor returns w when it is a file, else the write end of a pipe whose
// contents are copied to w.
func (g *startGate) fileFor(w io.Writer) (*os.File, error) {
	if f, ok := w.(*os.File); ok {
		return f, nil
	}
	r, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	g.childEnds = append(g.childEnds, pw)
	g.copies.Add(1)
	go func() {
		defer g.copies.Done()
		_, _ = io.Copy(w, r)
		r.Close()
	}()
	return pw, nil
}

// waitReady closes this process's copies of the child's ends, then waits
// until the child says "ok" (and passes on what it printed before) or closes
// fd 3 without it, by exiting. It reports whether the child said "ok".
func (g *startGate) waitReady() bool {
	g.closeChildEnds()
	g.readers.Add(2)
	go func() { defer g.readers.Done(); _, _ = io.Copy(&g.outBuf, g.startOut) }()
	go func() { defer g.readers.Done(); _, _ = io.Copy(&g.errBuf, g.startErr) }()
	msg, _ := io.ReadAll(g.readyR)
	ready := bytes.HasPrefix(msg, []byte("ok"))
	if ready {
		g.readers.Wait() // the child has moved its stdout and stderr: both pipes are at EOF
		g.flush()
	}
	return ready
}

// finish waits, once the child has exited, until all its output is read and
// passed on.
func (g *startGate) finish() {
	g.readers.Wait()
	g.copies.Wait()
}

// flush passes on what the child printed on the start-up pipes.
func (g *startGate) flush() {
	_, _ = g.stdout.Write(g.outBuf.Bytes())
	_, _ = g.stderr.Write(g.errBuf.Bytes())
	g.outBuf.Reset()
	g.errBuf.Reset()
}

// reason is the first line the child printed (stderr first), shortened.
func (g *startGate) reason() string {
	return firstLine(g.errBuf.Bytes(), g.outBuf.Bytes())
}

func (g *startGate) closeChildEnds() {
	for _, f := range g.childEnds {
		f.Close()
	}
	g.childEnds = nil
}

func (g *startGate) close() {
	g.closeOnce.Do(func() {
		g.closeChildEnds()
		for _, f := range []*os.File{g.readyR, g.startOut, g.startErr} {
			if f != nil {
				f.Close()
			}
		}
	})
}

// lockedWriter serialises writes to a writer that is not a file, which both
// a copying goroutine and flush may write to.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// lockWriter returns w when it is a file (the kernel serialises writes),
// else w behind a mutex.
func lockWriter(w io.Writer) io.Writer {
	if _, ok := w.(*os.File); ok {
		return w
	}
	return &lockedWriter{w: w}
}

// firstLine returns the first non-empty line of the first output that has
// one, cut to 300 bytes, or "no output".
func firstLine(outputs ...[]byte) string {
	for _, out := range outputs {
		for _, l := range strings.Split(string(out), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				if len(l) > 300 {
					l = l[:300] + "..."
				}
				return l
			}
		}
	}
	return "no output"
}
