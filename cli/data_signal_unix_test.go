//go:build unix

package cli

import (
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInterruptionCodes(t *testing.T) {
	guard := make(chan os.Signal, 2)
	signal.Notify(guard, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(guard)
	for _, c := range []struct {
		sig  syscall.Signal
		code int
		name string
	}{{syscall.SIGINT, 130, "SIGINT"}, {syscall.SIGTERM, 143, "SIGTERM"}} {
		in := watchInterrupts()
		require.False(t, in.interrupted())
		require.NoError(t, syscall.Kill(os.Getpid(), c.sig))
		select {
		case <-in.ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("no cancellation after", c.name)
		}
		assert.True(t, in.interrupted())
		err := in.err("%d saved", 3)
		assert.Equal(t, c.code, ExitCode(err))
		assert.EqualError(t, err, "interrupted by "+c.name+": 3 saved")
		in.stop()
	}
}

// Ctrl-C during data synth stops between images, exits with 130, and
// leaves no split files, so the folder does not pass for complete.
func TestDataSynthInterrupted(t *testing.T) {
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, os.Interrupt)
	defer signal.Stop(guard)
	out := filepath.Join(t.TempDir(), "d")
	done := make(chan result)
	go func() {
		done <- runCLI(t, "data", "synth", "--out", out, "--train", "2000", "--val", "0", "--size", "48x64", "--workers", "1")
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		pngs, _ := filepath.Glob(filepath.Join(out, "images", "*.png"))
		if len(pngs) > 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "no image written")
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	r := <-done
	assertFailure(t, r, 130, "interrupted by SIGINT: ")
	assert.Contains(t, r.stderr, "of 2000 images written to "+out+", without split files")
	_, err := os.Stat(filepath.Join(out, "gt_sets", "train.txt"))
	assert.True(t, os.IsNotExist(err))
	_, err = os.Stat(filepath.Join(out, "synth.json"))
	assert.True(t, os.IsNotExist(err))
}
