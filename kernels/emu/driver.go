//go:build cgo

package emu

// #cgo CXXFLAGS: -std=c++20 -O2 -Wno-unknown-pragmas -I${SRCDIR}/..
// #cgo LDFLAGS: -lstdc++
// #include <stdlib.h>
// #include <string.h>
// #include "emu_api.h"
// static void* emu_ptr(unsigned long long p) { return (void*)p; }
// static void emu_memset32(unsigned long long p, unsigned v, size_t n) {
//   unsigned* w = (unsigned*)p;
//   for (size_t i = 0; i < n; i++) w[i] = v;
// }
import "C"

import (
	"fmt"
	"sync"
	"time"
	"unsafe"

	"allnet/engine/cuda"
)

// Available reports whether this build has the emulator (it needs cgo).
const Available = true

// DefaultMemory is the emulated device's memory unless Options says
// otherwise.
const DefaultMemory = 4 << 30

// Options configures an emulated device.
type Options struct {
	// TotalMemory is the device memory in bytes (DefaultMemory when 0);
	// allocations beyond it fail like a real device's.
	TotalMemory int64
}

// Driver is a cuda.Driver that runs kernels/*.cu on the CPU. Device memory
// is host memory from C's allocator; launches run synchronously.
type Driver struct {
	mu     sync.Mutex
	total  int64
	used   int64
	allocs map[cuda.DevicePtr]int64
	closed bool
}

var _ cuda.Driver = (*Driver)(nil)

// New returns an emulated device.
func New(o Options) *Driver {
	if o.TotalMemory <= 0 {
		o.TotalMemory = DefaultMemory
	}
	return &Driver{total: o.TotalMemory, allocs: map[cuda.DevicePtr]int64{}}
}

// Kernels lists the kernels compiled into the emulator.
func Kernels() []string {
	n := int(C.emu_kernel_count())
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, C.GoString(C.emu_kernel_name(C.int(i))))
	}
	return out
}

// Info describes the emulated device (compute capability 8.0, like the PTX).
func (d *Driver) Info() cuda.DeviceInfo {
	return cuda.DeviceInfo{Name: "emulated (kernels/emu)", TotalMemory: d.total, Major: 8, Minor: 0, SMs: 1}
}

// Used returns the bytes currently allocated on the emulated device.
func (d *Driver) Used() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.used
}

// Alloc reserves bytes, failing when the device memory would be exceeded.
func (d *Driver) Alloc(bytes int64) (cuda.DevicePtr, error) {
	if bytes <= 0 {
		return 0, fmt.Errorf("emu: alloc of %d bytes", bytes)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, fmt.Errorf("emu: device closed")
	}
	if d.used+bytes > d.total {
		return 0, fmt.Errorf("out of memory (CUDA_ERROR_OUT_OF_MEMORY): %d bytes requested, %d of %d in use", bytes, d.used, d.total)
	}
	p := C.malloc(C.size_t(bytes))
	if p == nil {
		return 0, fmt.Errorf("emu: host malloc of %d bytes failed", bytes)
	}
	ptr := cuda.DevicePtr(uintptr(p))
	d.allocs[ptr] = bytes
	d.used += bytes
	return ptr, nil
}

// Free releases an allocation.
func (d *Driver) Free(p cuda.DevicePtr) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.allocs[p]
	if !ok {
		return fmt.Errorf("emu: free of %#x, which is not an allocation", uint64(p))
	}
	delete(d.allocs, p)
	d.used -= n
	C.free(ptrOf(p))
	return nil
}

// check verifies that [p, p+bytes) lies inside one allocation.
func (d *Driver) check(op string, p cuda.DevicePtr, bytes int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for base, n := range d.allocs {
		if p >= base && uint64(p)+uint64(bytes) <= uint64(base)+uint64(n) {
			return nil
		}
	}
	return fmt.Errorf("emu: %s of %d bytes at %#x is outside every allocation", op, bytes, uint64(p))
}

// HtoD copies host memory to the device.
func (d *Driver) HtoD(dst cuda.DevicePtr, src unsafe.Pointer, bytes int64) error {
	if err := d.check("HtoD", dst, bytes); err != nil {
		return err
	}
	C.memcpy(ptrOf(dst), src, C.size_t(bytes))
	return nil
}

// DtoH copies device memory to the host.
func (d *Driver) DtoH(dst unsafe.Pointer, src cuda.DevicePtr, bytes int64) error {
	if err := d.check("DtoH", src, bytes); err != nil {
		return err
	}
	C.memcpy(dst, ptrOf(src), C.size_t(bytes))
	return nil
}

// DtoD copies between device buffers.
func (d *Driver) DtoD(dst, src cuda.DevicePtr, bytes int64) error {
	if err := d.check("DtoD", src, bytes); err != nil {
		return err
	}
	if err := d.check("DtoD", dst, bytes); err != nil {
		return err
	}
	C.memmove(ptrOf(dst), ptrOf(src), C.size_t(bytes))
	return nil
}

// MemsetD32 sets n 32-bit words.
func (d *Driver) MemsetD32(dst cuda.DevicePtr, v uint32, n int64) error {
	if err := d.check("MemsetD32", dst, 4*n); err != nil {
		return err
	}
	C.emu_memset32(C.ulonglong(dst), C.uint(v), C.size_t(n))
	return nil
}

// LoadModule accepts any PTX: the emulator runs the compiled-in sources.
func (d *Driver) LoadModule(name string, ptx []byte) error { return nil }

// Launch runs a kernel to completion.
func (d *Driver) Launch(kernel string, grid, block cuda.Dim3, sharedBytes int, args []uint64) error {
	name := C.CString(kernel)
	defer C.free(unsafe.Pointer(name))
	var errBuf [512]C.char
	cargs := (*C.ulonglong)(C.malloc(C.size_t(8 * (len(args) + 1))))
	defer C.free(unsafe.Pointer(cargs))
	vals := unsafe.Slice(cargs, len(args)+1)
	for i, a := range args {
		vals[i] = C.ulonglong(a)
	}
	rc := C.emu_launch(name, C.uint(grid.X), C.uint(grid.Y), C.uint(grid.Z), C.uint(block.X), C.uint(block.Y), C.uint(block.Z),
		C.size_t(sharedBytes), cargs, C.int(len(args)), &errBuf[0], C.size_t(len(errBuf)))
	if rc != 0 {
		return fmt.Errorf("%s", C.GoString(&errBuf[0]))
	}
	return nil
}

// Synchronize returns at once: launches are synchronous.
func (d *Driver) Synchronize() error { return nil }

type event struct{ at time.Time }

func (event) Release() {}

// Record returns an event holding the current time.
func (d *Driver) Record() (cuda.Event, error) { return event{time.Now()}, nil }

// Elapsed returns the wall time between two events.
func (d *Driver) Elapsed(start, end cuda.Event) (time.Duration, error) {
	s, ok1 := start.(event)
	e, ok2 := end.(event)
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("emu: events from another driver")
	}
	return e.at.Sub(s.at), nil
}

// Close frees every allocation still held.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for p := range d.allocs {
		C.free(ptrOf(p))
	}
	d.allocs = map[cuda.DevicePtr]int64{}
	d.used = 0
	d.closed = true
	return nil
}

// ptrOf turns a device address (host memory from C.malloc) into a pointer.
func ptrOf(p cuda.DevicePtr) unsafe.Pointer { return C.emu_ptr(C.ulonglong(p)) }
