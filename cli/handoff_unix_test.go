//go:build unix

package cli

import (
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandOffForwardsSIGTERM(t *testing.T) {
	// Keep this test process alive whatever happens to the forwarding.
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, syscall.SIGTERM)
	defer signal.Stop(guard)

	fakeSibling(t, protocolLine+`
trap 'echo got-term; exit 143' TERM
echo waiting
while :; do sleep 0.05; done`)
	out := &syncBuffer{}
	done := make(chan int)
	go func() {
		done <- Run([]string{"allnet-cli", "train", "--device", "cuda"}, nil, out, &syncBuffer{})
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "waiting") }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	select {
	case code := <-done:
		assert.Equal(t, 143, code)
		assert.Contains(t, out.String(), "got-term")
	case <-time.After(5 * time.Second):
		t.Fatal("the child did not receive SIGTERM")
	}
}
