package cuda

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"

	"allnet/engine/backend"
	"github.com/stretchr/testify/require"
)

// failingDriver hands out fake addresses and refuses every launch, as a
// device does after a bad kernel (an illegal address, say).
type failingDriver struct{ next DevicePtr }

var errLaunch = errors.New("CUDA_ERROR_ILLEGAL_ADDRESS")

func (d *failingDriver) Info() DeviceInfo {
	return DeviceInfo{Name: "fake", TotalMemory: 1 << 30, Major: 8}
}
func (d *failingDriver) Alloc(bytes int64) (DevicePtr, error) {
	d.next += 1 << 20
	return d.next, nil
}
func (d *failingDriver) Free(DevicePtr) error                        { return nil }
func (d *failingDriver) HtoD(DevicePtr, unsafe.Pointer, int64) error { return nil }
func (d *failingDriver) DtoH(unsafe.Pointer, DevicePtr, int64) error { return nil }
func (d *failingDriver) DtoD(DevicePtr, DevicePtr, int64) error      { return nil }
func (d *failingDriver) MemsetD32(DevicePtr, uint32, int64) error    { return nil }
func (d *failingDriver) LoadModule(string, []byte) error             { return nil }
func (d *failingDriver) Synchronize() error                          { return nil }
func (d *failingDriver) Record() (Event, error)                      { return nil, errors.New("no events") }
func (d *failingDriver) Elapsed(Event, Event) (time.Duration, error) {
	return 0, errors.New("no events")
}
func (d *failingDriver) Close() error                                   { return nil }
func (d *failingDriver) Launch(string, Dim3, Dim3, int, []uint64) error { return errLaunch }

// TestLaunchErrorNamesKernel checks that a failed launch surfaces as a
// panic whose error names the kernel, its grid and block, and wraps the
// driver's error.
func TestLaunchErrorNamesKernel(t *testing.T) {
	b, err := New(&failingDriver{}, 3)
	require.NoError(t, err)
	x := b.Alloc(backend.Float32, 1000)
	defer func() {
		r := recover()
		require.NotNil(t, r, "the failed launch must panic")
		e, ok := r.(error)
		require.True(t, ok, "panic value %v", r)
		require.ErrorIs(t, e, errLaunch)
		msg := e.Error()
		require.True(t, strings.HasPrefix(msg, "cuda:3: kernel ew_unary_f32 (grid ("), msg)
		require.Contains(t, msg, fmt.Sprintf("block (%d,1,1)", 256), msg)
	}()
	b.Unary(backend.Exp, x, x, 0)
}
