package cuda_test

import (
	"fmt"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
)

// TestSoftmaxTwin compares Softmax and SoftmaxBackward, both variants, with
// the CPU twin: rows (inner == 1) short and long enough for the block-per-row
// kernel, aligned and unaligned for the vector path, and inner > 1.
func TestSoftmaxTwin(t *testing.T) {
	cpu, gpu := twins(t)
	r := rng(t)
	for _, s := range []struct{ outer, dim, inner int }{
		{5, 13, 1}, {3, 64, 1}, {2, 1500, 1}, {4, 7, 3}, {2, 33, 37}, {3, 1, 5}, {1, 5, 40},
	} {
		n := s.outer * s.dim * s.inner
		x := randn(r, n, 3)
		dy := randn(r, n, 1)
		for _, log := range []bool{false, true} {
			what := fmt.Sprintf("%+v log=%v", s, log)
			var ys [2][]float32
			for i, b := range []backend.Backend{cpu, gpu} {
				xb, y := upload(b, x), poisoned(b, n)
				b.Softmax(y, xb, s.outer, s.dim, s.inner, log)
				ys[i] = download(b, y)
			}
			requireClose(t, "Softmax "+what, ys[1], ys[0], 2e-6)
			var dxs [2][]float32
			for i, b := range []backend.Backend{cpu, gpu} {
				yb, dyb, dx := upload(b, ys[0]), upload(b, dy), poisoned(b, n)
				b.SoftmaxBackward(dx, yb, dyb, s.outer, s.dim, s.inner, log)
				dxs[i] = download(b, dx)
			}
			requireClose(t, "SoftmaxBackward "+what, dxs[1], dxs[0], 2e-6)
		}
	}
}

// TestSoftmaxInPlace checks y == x and dx == dy.
func TestSoftmaxInPlace(t *testing.T) {
	cpu, gpu := twins(t)
	r := rng(t)
	for _, s := range []struct{ outer, dim, inner int }{{6, 20, 1}, {3, 9, 11}} {
		n := s.outer * s.dim * s.inner
		x, dy := randn(r, n, 2), randn(r, n, 1)
		var got [2][]float32
		for i, b := range []backend.Backend{cpu, gpu} {
			xb := upload(b, x)
			b.Softmax(xb, xb, s.outer, s.dim, s.inner, false)
			dyb := upload(b, dy)
			b.SoftmaxBackward(dyb, xb, dyb, s.outer, s.dim, s.inner, false)
			got[i] = append(download(b, xb), download(b, dyb)...)
		}
		requireClose(t, fmt.Sprintf("in place %+v", s), got[1], got[0], 2e-6)
	}
}

func TestSoftmaxConformance(t *testing.T) {
	backendtest.RunOnly(t, newEmu(t), "Softmax", "SoftmaxBackward")
}
