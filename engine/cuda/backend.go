// Package cuda is the CUDA backend: the host side of every primitive of
// engine/backend (shapes, launch grids, argument packing) over the kernels in
// allnet/kernels, a caching allocator, and per-kernel timing. It talks to the
// device only through Driver: driver_cu.go (build tag cuda) drives a GPU with
// gorgonia.org/cu, and kernels/emu runs the same kernel sources on the CPU,
// which is how the conformance suite checks this package without a GPU.
//
// The backend computes in float32 (int32 for labels and indices); it does
// not support float64.
package cuda

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	"allnet/engine/backend"
	"allnet/kernels"
)

// Backend implements backend.Backend on one device.
type Backend struct {
	drv   Driver
	index int
	alloc *allocator

	tf32 atomic.Bool // Gemm on tensor cores (SetTF32)

	timingMu sync.Mutex
	timing   bool
	times    map[string]*KernelTime
}

// KernelTime is the device time of one kernel's launches.
type KernelTime = backend.KernelTime

// New opens a backend on drv (device index for its name), loading every
// embedded PTX module.
func New(drv Driver, index int) (*Backend, error) {
	for _, m := range kernels.Modules() {
		if err := drv.LoadModule(m.Name, m.PTX); err != nil {
			return nil, fmt.Errorf("cuda:%d: loading kernels module %s: %w", index, m.Name, err)
		}
	}
	return &Backend{drv: drv, index: index, alloc: newAllocator(drv)}, nil
}

var (
	_ backend.Backend      = (*Backend)(nil)
	_ backend.KernelTiming = (*Backend)(nil)
)

// Name returns "cuda".
func (b *Backend) Name() string { return "cuda" }

// Device describes the device, e.g. "cuda:0 (NVIDIA H200, 139.8 GiB, sm_90)".
func (b *Backend) Device() string {
	i := b.drv.Info()
	return fmt.Sprintf("cuda:%d (%s, %.1f GiB, sm_%d%d)", b.index, i.Name, float64(i.TotalMemory)/(1<<30), i.Major, i.Minor)
}

// Driver returns the driver underneath.
func (b *Backend) Driver() Driver { return b.drv }

// Supports reports float32 and int32.
func (b *Backend) Supports(d backend.DType) bool { return d == backend.Float32 || d == backend.Int32 }

// Stats returns the allocator's counters.
func (b *Backend) Stats() Stats { return b.alloc.snapshot() }

// SetGCEvery sets how many bytes of new allocations pass between the
// garbage collections the allocator runs so that dropped buffers come back
// (default 256 MiB; 0 turns pacing off).
func (b *Backend) SetGCEvery(bytes int64) {
	b.alloc.mu.Lock()
	defer b.alloc.mu.Unlock()
	b.alloc.gcEvery = bytes
}

// ReleaseCache returns every cached block to the driver.
func (b *Backend) ReleaseCache() { b.alloc.releaseCache() }

// Alloc returns a zero-filled buffer; it panics with an *OutOfMemoryError
// (naming the bytes requested and in use) when the device is full.
func (b *Backend) Alloc(d backend.DType, n int) backend.Buffer {
	if !b.Supports(d) {
		panic(fmt.Sprintf("cuda: Alloc: dtype %v is not supported (float32 and int32 only)", d))
	}
	if n < 0 {
		panic(fmt.Sprintf("cuda: Alloc: negative length %d", n))
	}
	bytes := int64(n) * int64(d.Size())
	p, size, err := b.alloc.alloc(bytes)
	if err != nil {
		panic(err)
	}
	buf := newBuffer(b.alloc, p, size, d, n)
	if n > 0 {
		b.check("memset", b.drv.MemsetD32(p, 0, int64(n)))
	}
	return buf
}

// Free returns a buffer's memory to the allocator's cache.
func (b *Backend) Free(x backend.Buffer) { b.buf(x).blk.release() }

// Upload copies host data into dst.
func (b *Backend) Upload(dst backend.Buffer, src any) {
	d := b.buf(dst)
	p, n := hostSlice("Upload", src, d)
	if n > 0 {
		b.check("Upload", b.drv.HtoD(d.Ptr(), p, int64(n*d.dt.Size())))
	}
}

// Download copies a buffer to the host.
func (b *Backend) Download(dst any, src backend.Buffer) {
	s := b.buf(src)
	p, n := hostSlice("Download", dst, s)
	if n > 0 {
		b.check("Download", b.drv.DtoH(p, s.Ptr(), int64(n*s.dt.Size())))
	}
}

// hostSlice checks that a host slice matches buf's dtype and length and
// returns its data pointer.
func hostSlice(op string, s any, buf *Buffer) (unsafe.Pointer, int) {
	var p unsafe.Pointer
	var n int
	var dt backend.DType
	switch v := s.(type) {
	case []float32:
		dt, n = backend.Float32, len(v)
		if n > 0 {
			p = unsafe.Pointer(&v[0])
		}
	case []int32:
		dt, n = backend.Int32, len(v)
		if n > 0 {
			p = unsafe.Pointer(&v[0])
		}
	default:
		panic(fmt.Sprintf("cuda: %s: host slice of type %T, expected []float32 or []int32", op, s))
	}
	if dt != buf.dt || n != buf.n {
		panic(fmt.Sprintf("cuda: %s: host %v[%d] does not match buffer %v[%d]", op, dt, n, buf.dt, buf.n))
	}
	return p, n
}

// Fill sets every element of dst to v.
func (b *Backend) Fill(dst backend.Buffer, v float64) {
	d := b.buf(dst)
	if d.n == 0 {
		return
	}
	bits := uint32(int32(v))
	if d.dt == backend.Float32 {
		bits = math.Float32bits(float32(v))
	}
	b.check("Fill", b.drv.MemsetD32(d.Ptr(), bits, int64(d.n)))
}

// Synchronize waits for queued work.
func (b *Backend) Synchronize() { b.check("Synchronize", b.drv.Synchronize()) }

// EnableKernelTiming starts (or stops) recording each launch's device time
// with events; KernelTimes reads the totals.
func (b *Backend) EnableKernelTiming(on bool) {
	b.timingMu.Lock()
	defer b.timingMu.Unlock()
	b.timing = on
	if on && b.times == nil {
		b.times = map[string]*KernelTime{}
	}
}

// KernelTimes returns the recorded per-kernel totals, largest first.
func (b *Backend) KernelTimes() []KernelTime {
	b.timingMu.Lock()
	defer b.timingMu.Unlock()
	out := make([]KernelTime, 0, len(b.times))
	for _, t := range b.times {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Total > out[j].Total })
	return out
}

// buf returns x as this package's buffer type.
func (b *Backend) buf(x backend.Buffer) *Buffer {
	d, ok := x.(*Buffer)
	if !ok {
		panic(fmt.Sprintf("cuda: buffer of type %T does not belong to the cuda backend", x))
	}
	return d
}

// check panics with a message naming the operation when err is not nil.
func (b *Backend) check(op string, err error) {
	if err != nil {
		panic(fmt.Errorf("cuda:%d: %s: %w", b.index, op, err))
	}
}
