package cuda_test

import (
	"errors"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/cuda"
	"allnet/kernels/emu"
	"github.com/stretchr/testify/require"
)

// TestAllocatorCache checks that freed buffers are reused from their bin
// and that the statistics follow.
func TestAllocatorCache(t *testing.T) {
	b := freshEmu(t, 0)
	x := b.Alloc(backend.Float32, 1000) // 4000 B -> the 4096 B bin
	s := b.Stats()
	require.EqualValues(t, 4096, s.InUse)
	b.Free(x)
	b.Free(x) // a second Free is harmless
	s = b.Stats()
	require.EqualValues(t, 0, s.InUse)
	require.EqualValues(t, 4096, s.Cached)
	y := b.Alloc(backend.Int32, 1010) // same bin: served from the cache, zero-filled
	require.Equal(t, make([]int32, 1010), downloadInt(b, y))
	s = b.Stats()
	require.EqualValues(t, 1, s.Hits)
	require.EqualValues(t, 4096, s.Peak)
	require.EqualValues(t, 4096, s.Reserved)
}

// TestOutOfMemory checks that an allocation beyond the device's memory
// panics with an error naming the bytes requested and in use.
func TestOutOfMemory(t *testing.T) {
	b := freshEmu(t, 1<<20)
	keep := b.Alloc(backend.Float32, 100_000) // 400 kB
	defer b.Free(keep)
	func() {
		defer func() {
			r := recover()
			require.NotNil(t, r)
			err, ok := r.(error)
			require.True(t, ok, "panic value %v", r)
			var oom *cuda.OutOfMemoryError
			require.True(t, errors.As(err, &oom))
			require.EqualValues(t, 800_000, oom.Requested)
			require.Contains(t, err.Error(), "800000 bytes requested")
			require.Contains(t, err.Error(), "400384 in use by tensors")
		}()
		b.Alloc(backend.Float32, 200_000)
	}()
}

func TestUploadMismatch(t *testing.T) {
	b := newEmu(t)
	x := b.Alloc(backend.Float32, 3)
	require.PanicsWithValue(t, "cuda: Upload: host float32[2] does not match buffer float32[3]", func() { b.Upload(x, []float32{1, 2}) })
	b.Fill(x, 1.5)
	require.Equal(t, []float32{1.5, 1.5, 1.5}, download(b, x))
}

// freshEmu returns the backend on a new emulated device of totalMemory bytes
// (the default when 0), whose allocator statistics start at zero.
func freshEmu(t *testing.T, totalMemory int64) *cuda.Backend {
	t.Helper()
	if !emu.Available {
		t.Skip("kernels/emu needs cgo and a C++ compiler")
	}
	b, err := cuda.New(emu.New(emu.Options{TotalMemory: totalMemory}), 0)
	require.NoError(t, err)
	return b
}
