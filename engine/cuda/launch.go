package cuda

import (
	"fmt"
	"math"

	"allnet/engine/backend"
)

// Launch limits of every supported device (compute capability >= 7.0).
const (
	maxThreads = 1024
	maxGridX   = 1<<31 - 1
	maxGridYZ  = 65535
)

// dim1 returns a one-dimensional launch dimension.
func dim1(x int) Dim3 { return Dim3{X: x, Y: 1, Z: 1} }

// blocksFor returns the number of blocks of threads threads that covers n
// work items, at least 1 (grid-stride kernels accept fewer).
func blocksFor(n, threads int) int {
	b := (n + threads - 1) / threads
	if b < 1 {
		b = 1
	}
	if b > 65535*8 {
		b = 65535 * 8 // grid-stride loops cover the rest
	}
	return b
}

// ptrAt is the device address of element off of x.
func ptrAt(x backend.Buffer, off int) DevicePtr {
	d, ok := x.(*Buffer)
	if !ok {
		panic(fmt.Sprintf("cuda: buffer of type %T does not belong to the cuda backend", x))
	}
	if off < 0 || off > d.n {
		panic(fmt.Sprintf("cuda: offset %d outside a buffer of %d elements", off, d.n))
	}
	return d.Ptr() + DevicePtr(off*d.dt.Size())
}

// packArgs turns launch arguments into 64-bit kernel arguments: buffers and
// DevicePtr become addresses (a nil buffer becomes 0), integers become
// int64, float64 its bits, bool 0 or 1. float32 and other types panic (every
// kernel argument is 64 bits wide).
func packArgs(kernel string, args []any) []uint64 {
	out := make([]uint64, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case nil:
			out[i] = 0
		case *Buffer:
			if v == nil {
				out[i] = 0
			} else {
				out[i] = uint64(v.Ptr())
			}
		case backend.Buffer:
			out[i] = uint64(ptrAt(v, 0))
		case DevicePtr:
			out[i] = uint64(v)
		case int:
			out[i] = uint64(int64(v))
		case int64:
			out[i] = uint64(v)
		case uint64:
			out[i] = v
		case float64:
			out[i] = math.Float64bits(v)
		case bool:
			if v {
				out[i] = 1
			}
		default:
			panic(fmt.Sprintf("cuda: kernel %s argument %d has type %T; pass buffers, DevicePtr, int, int64, uint64, float64 or bool", kernel, i, a))
		}
	}
	return out
}

// launch queues kernel over grid x block with shared bytes of dynamic shared
// memory. It panics with an error naming the kernel and its launch shape
// when the launch is invalid or the driver refuses it. Pass a nil
// backend.Buffer as an untyped nil (or a nil *Buffer) for "absent".
func (b *Backend) launch(kernel string, grid, block Dim3, shared int, args ...any) {
	if block.X*block.Y*block.Z > maxThreads || block.X < 1 || block.Y < 1 || block.Z < 1 ||
		grid.X < 1 || grid.Y < 1 || grid.Z < 1 || grid.X > maxGridX || grid.Y > maxGridYZ || grid.Z > maxGridYZ {
		panic(fmt.Errorf("cuda:%d: kernel %s: invalid launch grid %v block %v", b.index, kernel, grid, block))
	}
	packed := packArgs(kernel, args)
	b.timingMu.Lock()
	timing := b.timing
	b.timingMu.Unlock()
	var start Event
	if timing {
		var err error
		if start, err = b.drv.Record(); err != nil {
			timing = false
		}
	}
	if err := b.drv.Launch(kernel, grid, block, shared, packed); err != nil {
		panic(fmt.Errorf("cuda:%d: kernel %s (grid %v, block %v, %d B shared): %w", b.index, kernel, grid, block, shared, err))
	}
	if timing {
		b.recordTime(kernel, start)
	}
}

func (b *Backend) recordTime(kernel string, start Event) {
	defer start.Release()
	end, err := b.drv.Record()
	if err != nil {
		return
	}
	defer end.Release()
	d, err := b.drv.Elapsed(start, end)
	if err != nil {
		return
	}
	b.timingMu.Lock()
	defer b.timingMu.Unlock()
	t := b.times[kernel]
	if t == nil {
		t = &KernelTime{Kernel: kernel}
		b.times[kernel] = t
	}
	t.Launches++
	t.Total += d
}
