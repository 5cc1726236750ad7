//go:build !cuda

package cuda_test

import (
	"testing"

	"allnet/engine/cuda"
)

// realDevice returns nil: without the cuda tag the tests use the emulator.
func realDevice(testing.TB) *cuda.Backend { return nil }
