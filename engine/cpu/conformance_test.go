package cpu

import (
	"testing"

	"allnet/engine/backend/backendtest"
)

// TestConformance runs the backend conformance suite on the CPU backend, in
// float32 and float64.
func TestConformance(t *testing.T) { backendtest.Run(t, New()) }
