//go:build cgo

package emu

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"allnet/engine/cuda"
	"github.com/stretchr/testify/require"
)

func upload(t *testing.T, d *Driver, x []float32) cuda.DevicePtr {
	t.Helper()
	p, err := d.Alloc(int64(4 * len(x)))
	require.NoError(t, err)
	require.NoError(t, d.HtoD(p, unsafe.Pointer(&x[0]), int64(4*len(x))))
	return p
}

func download(t *testing.T, d *Driver, p cuda.DevicePtr, n int) []float32 {
	t.Helper()
	out := make([]float32, n)
	require.NoError(t, d.DtoH(unsafe.Pointer(&out[0]), p, int64(4*n)))
	return out
}

// TestBlockSum checks shared memory, __syncthreads, both shuffles, an
// atomic and blocks that return early against a plain Go sum.
func TestBlockSum(t *testing.T) {
	d := New(Options{})
	defer d.Close()
	r := rand.New(rand.NewPCG(1, 2))
	const n, threads, blocks = 1000, 96, 14 // 11 blocks hold data, 3 return at once; 96 = 3 warps
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	px := upload(t, d, x)
	pout := upload(t, d, make([]float32, blocks))
	ptotal := upload(t, d, []float32{0})
	require.NoError(t, d.Launch("selftest_block_sum", cuda.Dim3{X: blocks, Y: 1, Z: 1}, cuda.Dim3{X: threads, Y: 1, Z: 1}, 0,
		[]uint64{uint64(px), uint64(pout), uint64(ptotal), n}))
	out := download(t, d, pout, blocks)
	total := 0.0
	for b := 0; b < blocks; b++ {
		want := 0.0
		for i := b * threads; i < (b+1)*threads && i < n; i++ {
			want += float64(x[i])
		}
		total += want
		require.InDelta(t, want, float64(out[b]), 1e-4, "block %d", b)
	}
	require.InDelta(t, total, float64(download(t, d, ptotal, 1)[0]), 1e-3)
}

// TestDynamicShared reverses slices through dynamic shared memory.
func TestDynamicShared(t *testing.T) {
	d := New(Options{})
	defer d.Close()
	const threads, blocks = 64, 3
	x := make([]float32, threads*blocks)
	for i := range x {
		x[i] = float32(i)
	}
	px := upload(t, d, x)
	py := upload(t, d, make([]float32, len(x)))
	require.NoError(t, d.Launch("selftest_reverse", cuda.Dim3{X: blocks, Y: 1, Z: 1}, cuda.Dim3{X: threads, Y: 1, Z: 1}, 4*threads,
		[]uint64{uint64(px), uint64(py)}))
	y := download(t, d, py, len(x))
	for b := 0; b < blocks; b++ {
		for i := 0; i < threads; i++ {
			require.Equal(t, x[b*threads+threads-1-i], y[b*threads+i])
		}
	}
}

// TestNoSyncKernel runs a grid-stride kernel registered without fibers and
// a float64 argument.
func TestNoSyncKernel(t *testing.T) {
	d := New(Options{})
	defer d.Close()
	x := []float32{1, 2, 3, 4, 5}
	y := []float32{10, 20, 30, 40, 50}
	px, py := upload(t, d, x), upload(t, d, y)
	require.NoError(t, d.Launch("selftest_axpy", cuda.Dim3{X: 2, Y: 1, Z: 1}, cuda.Dim3{X: 2, Y: 1, Z: 1}, 0,
		[]uint64{uint64(py), uint64(px), math.Float64bits(0.5), 5}))
	require.Equal(t, []float32{10.5, 21, 31.5, 42, 52.5}, download(t, d, py, 5))
}

func TestLaunchErrors(t *testing.T) {
	d := New(Options{})
	defer d.Close()
	err := d.Launch("no_such_kernel", cuda.Dim3{X: 1, Y: 1, Z: 1}, cuda.Dim3{X: 1, Y: 1, Z: 1}, 0, nil)
	require.ErrorContains(t, err, "no kernel named no_such_kernel")
	err = d.Launch("selftest_axpy", cuda.Dim3{X: 1, Y: 1, Z: 1}, cuda.Dim3{X: 1, Y: 1, Z: 1}, 0, []uint64{1})
	require.ErrorContains(t, err, "takes 4 arguments, launch passed 1")
	err = d.Launch("selftest_axpy", cuda.Dim3{X: 1, Y: 1, Z: 1}, cuda.Dim3{X: 2048, Y: 1, Z: 1}, 0, []uint64{0, 0, 0, 0})
	require.ErrorContains(t, err, "invalid launch shape")
}

func TestMemory(t *testing.T) {
	d := New(Options{TotalMemory: 1 << 20})
	defer d.Close()
	p, err := d.Alloc(1 << 19)
	require.NoError(t, err)
	_, err = d.Alloc(1 << 20)
	require.ErrorContains(t, err, "out of memory")
	require.NoError(t, d.MemsetD32(p, math.Float32bits(2.5), 4))
	require.Equal(t, []float32{2.5, 2.5, 2.5, 2.5}, download(t, d, p, 4))
	require.Error(t, d.MemsetD32(p+(1<<19), 0, 1), "a write past the allocation is refused")
	require.NoError(t, d.Free(p))
	require.Error(t, d.Free(p))
	require.Zero(t, d.Used())
	require.Contains(t, Kernels(), "selftest_block_sum")
}
