package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// interruption turns SIGINT and SIGTERM into a cancelled context, so that a
// long command (data synth, data inspect, degrade --dataset) stops between
// images, saves what it can and exits with 130 (SIGINT) or 143 (SIGTERM).
type interruption struct {
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan os.Signal
	mu     sync.Mutex
	sig    os.Signal
	done   chan struct{}
}

// watchInterrupts starts watching; call stop when the command ends.
func watchInterrupts() *interruption {
	in := &interruption{ch: make(chan os.Signal, 1), done: make(chan struct{})}
	in.ctx, in.cancel = context.WithCancel(context.Background())
	signal.Notify(in.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-in.ch:
			in.mu.Lock()
			in.sig = s
			in.mu.Unlock()
			in.cancel()
		case <-in.done:
		}
	}()
	return in
}

// stop stops watching (a later signal takes its default action again).
func (in *interruption) stop() {
	signal.Stop(in.ch)
	close(in.done)
	in.cancel()
}

// interrupted reports whether a signal arrived.
func (in *interruption) interrupted() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.sig != nil
}

// err returns the exit error for the signal received: 130 for SIGINT, 143
// for SIGTERM, with a message saying what was saved.
func (in *interruption) err(format string, args ...any) error {
	in.mu.Lock()
	s := in.sig
	in.mu.Unlock()
	code, name := CodeInterrupted, "SIGINT"
	if s == syscall.SIGTERM {
		code, name = 128+int(syscall.SIGTERM), "SIGTERM"
	}
	return WithCode(code, fmt.Errorf("interrupted by %s: %s", name, fmt.Sprintf(format, args...)))
}
