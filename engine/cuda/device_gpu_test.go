//go:build cuda

package cuda_test

import (
	"os"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/cuda"
	"github.com/stretchr/testify/require"
)

// realDevice opens the GPU named by ALLNET_TEST_DEVICE (default "cuda:0").
// The backend is shared by all tests (backend.Open opens a device once).
func realDevice(t testing.TB) *cuda.Backend {
	t.Helper()
	dev := os.Getenv("ALLNET_TEST_DEVICE")
	if dev == "" {
		dev = "cuda:0"
	}
	b, err := backend.Open(dev)
	require.NoError(t, err, "opening %s for the GPU tests", dev)
	cb, ok := b.(*cuda.Backend)
	require.True(t, ok, "%s is a %T, not the CUDA backend", dev, b)
	return cb
}
