package cuda_test

import (
	"testing"

	"allnet/engine/backend/backendtest"
)

// TestConformance runs the whole backend conformance suite on the CUDA
// backend over the emulated driver: every primitive's host logic and kernels
// against the suite's float64 references.
func TestConformance(t *testing.T) { backendtest.Run(t, newEmu(t)) }
