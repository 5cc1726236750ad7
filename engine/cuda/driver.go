package cuda

import (
	"fmt"
	"time"
	"unsafe"
)

// DevicePtr is a device address.
type DevicePtr uint64

// Dim3 is a launch dimension (grid in blocks, or block in threads).
type Dim3 struct{ X, Y, Z int }

// String formats d as (x,y,z).
func (d Dim3) String() string { return fmt.Sprintf("(%d,%d,%d)", d.X, d.Y, d.Z) }

// DeviceInfo describes a device for listings and error messages.
type DeviceInfo struct {
	Name         string // e.g. "NVIDIA H200" or "emulated (kernels/emu)"
	TotalMemory  int64  // bytes
	Major, Minor int    // compute capability
	SMs          int    // multiprocessors
}

// Event is a point in the device's stream, for timing.
type Event interface {
	// Release frees the event.
	Release()
}

// Driver is the thin layer between the backend's host logic and a device:
// the real one is driver_cu.go (build tag cuda, gorgonia.org/cu); tests use
// the emulated one in kernels/emu, which runs the same kernel sources on the
// CPU. A Driver drives one device and one stream; work is queued in order.
// Every method returns an error rather than panicking.
type Driver interface {
	// Info describes the device.
	Info() DeviceInfo
	// Alloc reserves bytes of device memory (not initialised).
	Alloc(bytes int64) (DevicePtr, error)
	// Free releases memory returned by Alloc.
	Free(p DevicePtr) error
	// HtoD copies bytes from host memory to the device.
	HtoD(dst DevicePtr, src unsafe.Pointer, bytes int64) error
	// DtoH copies bytes from the device to host memory; it waits for queued
	// work first.
	DtoH(dst unsafe.Pointer, src DevicePtr, bytes int64) error
	// DtoD copies bytes between device buffers (regions must not overlap).
	DtoD(dst, src DevicePtr, bytes int64) error
	// MemsetD32 sets n 32-bit words at dst to v.
	MemsetD32(dst DevicePtr, v uint32, n int64) error
	// LoadModule loads a module of kernels from PTX text; name identifies it
	// in errors. Kernels are then launched by their (extern "C") names.
	LoadModule(name string, ptx []byte) error
	// Launch queues kernel over grid x block threads with sharedBytes of
	// dynamic shared memory. args holds one 64-bit value per kernel argument
	// (pointers, int64, or float64 bits; see Arg).
	Launch(kernel string, grid, block Dim3, sharedBytes int, args []uint64) error
	// Synchronize waits for all queued work.
	Synchronize() error
	// Record queues an event.
	Record() (Event, error)
	// Elapsed returns the device time between two recorded events (it waits
	// for the second).
	Elapsed(start, end Event) (time.Duration, error)
	// Close releases the device (the context and loaded modules).
	Close() error
}
