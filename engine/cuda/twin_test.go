package cuda_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
	"allnet/engine/cpu"
	"allnet/engine/cuda"
	"allnet/kernels/emu"
	"github.com/stretchr/testify/require"
)

// Helpers shared by the kernel tests of this package: each kernel runs under
// the emulator (kernels/emu) through the CUDA backend and is compared with
// its CPU twin (engine/cpu) on the same random inputs, with outputs poisoned
// (NaN) beforehand so that an element a kernel forgets to write fails.

// newEmu returns the CUDA backend on a fresh emulated device, or skips the
// test when this build has no emulator (no cgo). In the cuda build (the
// test binary bench/gpu runs on a GPU) it returns the real device instead,
// so that every kernel test of this package also runs on the hardware.
func newEmu(t testing.TB) *cuda.Backend {
	t.Helper()
	if b := realDevice(t); b != nil {
		return b
	}
	if !emu.Available {
		t.Skip("kernels/emu needs cgo and a C++ compiler")
	}
	b, err := cuda.New(emu.New(emu.Options{}), 0)
	require.NoError(t, err)
	return b
}

// twins returns the CPU backend and the emulated CUDA backend.
func twins(t testing.TB) (backend.Backend, *cuda.Backend) {
	return cpu.New(), newEmu(t)
}

// rng returns a generator seeded by the test's name.
func rng(t testing.TB) *rand.Rand { return backendtest.RNG(t.Name()) }

// randn returns n normal values times scale.
func randn(r *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
	}
	return x
}

// upload returns a float32 buffer on b holding x.
func upload(b backend.Backend, x []float32) backend.Buffer {
	buf := b.Alloc(backend.Float32, len(x))
	if len(x) > 0 {
		b.Upload(buf, x)
	}
	return buf
}

// uploadInt returns an int32 buffer on b holding x.
func uploadInt(b backend.Backend, x []int32) backend.Buffer {
	buf := b.Alloc(backend.Int32, len(x))
	if len(x) > 0 {
		b.Upload(buf, x)
	}
	return buf
}

// poisoned returns a float32 buffer of n NaNs.
func poisoned(b backend.Backend, n int) backend.Buffer {
	buf := b.Alloc(backend.Float32, n)
	b.Fill(buf, math.NaN())
	return buf
}

// download returns a float32 buffer's contents.
func download(b backend.Backend, buf backend.Buffer) []float32 {
	out := make([]float32, buf.Len())
	b.Download(out, buf)
	return out
}

// downloadInt returns an int32 buffer's contents.
func downloadInt(b backend.Backend, buf backend.Buffer) []int32 {
	out := make([]int32, buf.Len())
	b.Download(out, buf)
	return out
}

// requireClose fails unless ||got-want|| / ||want|| <= tol, with no NaN in
// got unless want has one at the same place.
func requireClose(t testing.TB, what string, got, want []float32, tol float64) {
	t.Helper()
	require.Len(t, got, len(want), what)
	var num, den float64
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(w) || math.IsInf(w, 0) {
			require.True(t, g == w || (math.IsNaN(g) && math.IsNaN(w)), "%s[%d] = %v, want %v", what, i, g, w)
			continue
		}
		require.False(t, math.IsNaN(g) || math.IsInf(g, 0), "%s[%d] = %v, want %v (not written?)", what, i, g, w)
		num += (g - w) * (g - w)
		den += w * w
	}
	if den == 0 {
		require.LessOrEqual(t, math.Sqrt(num), tol, "%s: absolute error vs an all-zero reference", what)
		return
	}
	require.LessOrEqual(t, math.Sqrt(num/den), tol, "%s: relative error", what)
}
