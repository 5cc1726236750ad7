package cuda

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"
)

// Stats are the caching allocator's counters, in bytes unless named
// otherwise.
type Stats struct {
	InUse    int64 // held by live buffers (rounded to their bins)
	Cached   int64 // freed by buffers, kept for reuse
	Peak     int64 // the largest InUse so far
	Reserved int64 // obtained from the driver: InUse + Cached
	Allocs   int64 // Alloc calls
	Hits     int64 // Alloc calls served from the cache
	Frees    int64 // buffers returned
}

// allocator is a size-binned caching allocator: freed blocks wait in a free
// list per bin size and are handed out again without a driver call. Bins
// are 512-byte multiples up to 1 MiB, then the next of 2^k and 1.5*2^k.
//
// Buffers the engine drops are returned by the garbage collector's cleanups,
// but the collector paces itself by the Go heap, which device memory does
// not grow. So the allocator paces it too: after gcEvery bytes of new
// allocations (and at least the live bytes at the previous collection) it
// runs runtime.GC, which keeps memory flat over a training loop.
type allocator struct {
	mu    sync.Mutex
	drv   Driver
	free  map[int64][]DevicePtr
	stats Stats

	gcEvery   int64 // bytes allocated between collections (0: never)
	sinceGC   int64
	liveAtGC  int64
	gcPending bool
}

// DefaultGCEvery is the allocation volume between paced collections (see
// Backend.SetGCEvery).
const DefaultGCEvery = 256 << 20

func newAllocator(drv Driver) *allocator {
	return &allocator{drv: drv, free: map[int64][]DevicePtr{}, gcEvery: DefaultGCEvery}
}

// pace counts an allocation and reports whether a collection is due.
func (a *allocator) pace(size int64) bool {
	if a.gcEvery <= 0 || a.gcPending {
		return false
	}
	a.sinceGC += size
	if a.sinceGC < max(a.gcEvery, a.liveAtGC) {
		return false
	}
	a.gcPending = true
	return true
}

// collect runs the garbage collector so that unreachable buffers return to
// the cache, then restarts the count.
func (a *allocator) collect() {
	runtime.GC()
	a.mu.Lock()
	a.sinceGC, a.liveAtGC, a.gcPending = 0, a.stats.InUse, false
	a.mu.Unlock()
}

// binSize rounds a request up to its bin.
func binSize(bytes int64) int64 {
	if bytes <= 0 {
		bytes = 1
	}
	if bytes <= 1<<20 {
		return (bytes + 511) &^ 511
	}
	p := int64(1 << 20)
	for {
		if bytes <= p {
			return p
		}
		if bytes <= p+p/2 {
			return p + p/2
		}
		p *= 2
	}
}

// OutOfMemoryError reports a failed device allocation.
type OutOfMemoryError struct {
	Requested, InUse, Cached, Total int64
	Err                             error
}

func (e *OutOfMemoryError) Error() string {
	return fmt.Sprintf("cuda: out of device memory: %d bytes requested, %d in use by tensors, %d cached, device total %d: %v",
		e.Requested, e.InUse, e.Cached, e.Total, e.Err)
}

func (e *OutOfMemoryError) Unwrap() error { return e.Err }

// alloc returns a block of at least bytes; on a driver failure it releases
// the cache, lets the garbage collector return unreachable buffers, and
// retries before giving up.
func (a *allocator) alloc(bytes int64) (DevicePtr, int64, error) {
	size := binSize(bytes)
	a.mu.Lock()
	due := a.pace(size)
	a.mu.Unlock()
	if due {
		a.collect()
	}
	a.mu.Lock()
	a.stats.Allocs++
	if l := a.free[size]; len(l) > 0 {
		p := l[len(l)-1]
		a.free[size] = l[:len(l)-1]
		a.stats.Hits++
		a.stats.Cached -= size
		a.take(size)
		a.mu.Unlock()
		return p, size, nil
	}
	a.mu.Unlock()
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		var p DevicePtr
		p, err = a.drv.Alloc(size)
		if err == nil {
			a.mu.Lock()
			a.stats.Reserved += size
			a.take(size)
			a.mu.Unlock()
			return p, size, nil
		}
		a.releaseCache()
		if attempt > 0 {
			runtime.GC()
			time.Sleep(time.Duration(attempt) * 5 * time.Millisecond) // let cleanups return buffers
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return 0, 0, &OutOfMemoryError{Requested: bytes, InUse: a.stats.InUse, Cached: a.stats.Cached, Total: a.drv.Info().TotalMemory, Err: err}
}

func (a *allocator) take(size int64) {
	a.stats.InUse += size
	if a.stats.InUse > a.stats.Peak {
		a.stats.Peak = a.stats.InUse
	}
}

// release returns a block to its bin's free list.
func (a *allocator) release(p DevicePtr, size int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.free[size] = append(a.free[size], p)
	a.stats.InUse -= size
	a.stats.Cached += size
	a.stats.Frees++
}

// releaseCache gives every cached block back to the driver.
func (a *allocator) releaseCache() {
	a.mu.Lock()
	defer a.mu.Unlock()
	sizes := make([]int64, 0, len(a.free))
	for s := range a.free {
		sizes = append(sizes, s)
	}
	sort.Slice(sizes, func(i, j int) bool { return sizes[i] < sizes[j] })
	for _, s := range sizes {
		for _, p := range a.free[s] {
			if a.drv.Free(p) == nil {
				a.stats.Cached -= s
				a.stats.Reserved -= s
			}
		}
		delete(a.free, s)
	}
}

func (a *allocator) snapshot() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stats
}
