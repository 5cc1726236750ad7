// Package cpu is the pure-Go CPU backend: every primitive of
// engine/backend, generic over float32 and float64 (so that gradient checks
// can run in double precision), parallel over GOMAXPROCS goroutines. It
// registers itself as "cpu".
package cpu

import (
	"fmt"
	"runtime"

	"allnet/engine/backend"
)

// CPU is the CPU backend. The zero value is ready to use.
type CPU struct{}

func init() {
	backend.Register("cpu", func(index int) (backend.Backend, error) {
		if index != 0 {
			return nil, fmt.Errorf("the CPU backend has one device, cpu:0; found index %d", index)
		}
		return &CPU{}, nil
	}, backend.Info{Devices: func() ([]string, error) {
		return []string{(&CPU{}).Device()}, nil
	}})
}

// New returns a CPU backend.
func New() *CPU { return &CPU{} }

// Name returns "cpu".
func (*CPU) Name() string { return "cpu" }

// Device describes the host: architecture and thread count.
func (*CPU) Device() string {
	return fmt.Sprintf("cpu:0 (%s/%s, %d threads)", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
}

// Supports reports true for float32, float64 and int32.
func (*CPU) Supports(d backend.DType) bool {
	return d == backend.Float32 || d == backend.Float64 || d == backend.Int32
}

// Synchronize is a no-op: CPU primitives complete before returning.
func (*CPU) Synchronize() {}

var _ backend.Backend = (*CPU)(nil)
