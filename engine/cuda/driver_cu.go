//go:build cuda

package cuda

// #cgo LDFLAGS: -lcuda
// #include <cuda.h>
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"gorgonia.org/cu"
)

// This file is the real Driver, on gorgonia.org/cu. Importing cu runs
// cuInit in its init (the process exits when no driver is usable), which
// is why only the cuda build links it. The driver uses the device's primary
// context and one non-blocking stream; every call makes the context current
// on a locked OS thread first, since CUDA contexts are per thread.

func init() { RegisterDriver(openCU, listCU) }

type cuDriver struct {
	dev    cu.Device
	ctx    cu.CUContext
	stream cu.Stream
	info   DeviceInfo

	mu      sync.Mutex
	modules []cu.Module
	funcs   map[string]cu.Function
}

func listCU() ([]string, error) {
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("cuDeviceGetCount: %w", err)
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		info, err := deviceInfo(cu.Device(i))
		if err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("cuda:%d %s, %.1f GiB, compute capability %d.%d, %d SMs",
			i, info.Name, float64(info.TotalMemory)/(1<<30), info.Major, info.Minor, info.SMs))
	}
	return out, nil
}

func deviceInfo(d cu.Device) (DeviceInfo, error) {
	name, err := d.Name()
	if err != nil {
		return DeviceInfo{}, fmt.Errorf("device %d name: %w", int(d), err)
	}
	mem, err := d.TotalMem()
	if err != nil {
		return DeviceInfo{}, fmt.Errorf("device %d memory: %w", int(d), err)
	}
	attrs, err := d.Attributes(cu.ComputeCapabilityMajor, cu.ComputeCapabilityMinor, cu.MultiprocessorCount)
	if err != nil {
		return DeviceInfo{}, fmt.Errorf("device %d attributes: %w", int(d), err)
	}
	return DeviceInfo{Name: name, TotalMemory: mem, Major: attrs[0], Minor: attrs[1], SMs: attrs[2]}, nil
}

func openCU(index int) (Driver, error) {
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("cuDeviceGetCount: %w", err)
	}
	if index >= n {
		return nil, fmt.Errorf("no CUDA device %d (this machine has %d)", index, n)
	}
	dev := cu.Device(index)
	info, err := deviceInfo(dev)
	if err != nil {
		return nil, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ctx, err := dev.RetainPrimaryCtx()
	if err != nil {
		return nil, fmt.Errorf("cuda:%d: retaining the primary context: %w", index, err)
	}
	if err := cu.SetCurrentContext(ctx); err != nil {
		return nil, fmt.Errorf("cuda:%d: making the context current: %w", index, err)
	}
	stream, err := cu.MakeStream(cu.NonBlocking)
	if err != nil {
		return nil, fmt.Errorf("cuda:%d: creating a stream: %w", index, err)
	}
	return &cuDriver{dev: dev, ctx: ctx, stream: stream, info: info, funcs: map[string]cu.Function{}}, nil
}

// do runs f with the context current on a locked OS thread.
func (d *cuDriver) do(f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cu.SetCurrentContext(d.ctx); err != nil {
		return fmt.Errorf("making the context current: %w", err)
	}
	return f()
}

func (d *cuDriver) Info() DeviceInfo { return d.info }

func (d *cuDriver) Alloc(bytes int64) (DevicePtr, error) {
	var p cu.DevicePtr
	err := d.do(func() (err error) { p, err = cu.MemAlloc(bytes); return err })
	if err != nil {
		return 0, fmt.Errorf("cuMemAlloc(%d): %w", bytes, err)
	}
	return DevicePtr(p), nil
}

func (d *cuDriver) Free(p DevicePtr) error {
	return d.do(func() error { return cu.MemFree(cu.DevicePtr(p)) })
}

func (d *cuDriver) HtoD(dst DevicePtr, src unsafe.Pointer, bytes int64) error {
	// Synchronous: the source is Go memory that may move or die after return.
	return d.do(func() error {
		if err := d.stream.Synchronize(); err != nil {
			return err
		}
		return cu.MemcpyHtoD(cu.DevicePtr(dst), src, bytes)
	})
}

func (d *cuDriver) DtoH(dst unsafe.Pointer, src DevicePtr, bytes int64) error {
	return d.do(func() error {
		if err := d.stream.Synchronize(); err != nil {
			return err
		}
		return cu.MemcpyDtoH(dst, cu.DevicePtr(src), bytes)
	})
}

func (d *cuDriver) DtoD(dst, src DevicePtr, bytes int64) error {
	return d.do(func() error { return cu.MemcpyDtoDAsync(cu.DevicePtr(dst), cu.DevicePtr(src), bytes, d.stream) })
}

func (d *cuDriver) MemsetD32(dst DevicePtr, v uint32, n int64) error {
	return d.do(func() error { return cu.MemsetD32Async(cu.DevicePtr(dst), uint(v), n, d.stream) })
}

func (d *cuDriver) LoadModule(name string, ptx []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.do(func() error {
		m, err := cu.LoadData(string(ptx))
		if err != nil {
			return fmt.Errorf("cuModuleLoadData(%s.ptx): %w", name, err)
		}
		d.modules = append(d.modules, m)
		return nil
	})
}

// function finds a kernel in the loaded modules (cached).
func (d *cuDriver) function(name string) (cu.Function, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f, ok := d.funcs[name]; ok {
		return f, nil
	}
	for _, m := range d.modules {
		if f, err := m.Function(name); err == nil {
			d.funcs[name] = f
			return f, nil
		}
	}
	return cu.Function{}, fmt.Errorf("no kernel named %s in the loaded modules", name)
}

func (d *cuDriver) Launch(kernel string, grid, block Dim3, sharedBytes int, args []uint64) error {
	f, err := d.function(kernel)
	if err != nil {
		return err
	}
	params := make([]unsafe.Pointer, len(args))
	for i := range args {
		params[i] = unsafe.Pointer(&args[i])
	}
	return d.do(func() error {
		if sharedBytes > 48<<10 {
			if err := allowSharedBytes(f, sharedBytes); err != nil {
				return err
			}
		}
		return f.Launch(grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, sharedBytes, d.stream, params)
	})
}

func (d *cuDriver) Synchronize() error {
	return d.do(func() error { return d.stream.Synchronize() })
}

type cuEvent struct{ ev cu.Event }

func (e *cuEvent) Release() { cu.DestroyEvent(&e.ev) }

func (d *cuDriver) Record() (Event, error) {
	e := &cuEvent{}
	err := d.do(func() (err error) {
		if e.ev, err = cu.MakeEvent(cu.DefaultEvent); err != nil {
			return err
		}
		return e.ev.Record(d.stream)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (d *cuDriver) Elapsed(start, end Event) (time.Duration, error) {
	s, ok1 := start.(*cuEvent)
	e, ok2 := end.(*cuEvent)
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("events from another driver")
	}
	var ms float64
	err := d.do(func() (err error) {
		if err = e.ev.Synchronize(); err != nil {
			return err
		}
		ms, err = s.ev.Elapsed(e.ev)
		return err
	})
	return time.Duration(ms * float64(time.Millisecond)), err
}

func (d *cuDriver) Close() error {
	return d.do(func() error {
		for _, m := range d.modules {
			m.Unload()
		}
		d.modules = nil
		d.stream.Destroy()
		return d.dev.ReleasePrimaryCtx()
	})
}

// allowSharedBytes opts a kernel into more than 48 KiB of dynamic shared
// memory (cuFuncSetAttribute; cu does not wrap this attribute). A
// cu.Function is a struct holding only its CUfunction handle.
func allowSharedBytes(f cu.Function, bytes int) error {
	fn := *(*C.CUfunction)(unsafe.Pointer(&f))
	if rc := C.cuFuncSetAttribute(fn, C.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, C.int(bytes)); rc != C.CUDA_SUCCESS {
		return fmt.Errorf("cuFuncSetAttribute(max dynamic shared memory %d B): CUresult %d", bytes, int(rc))
	}
	return nil
}
