package cuda_test

import (
	"fmt"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
)

// TestResizeTwin compares Resize and ResizeBackward (accumulating onto a
// random dx) with the CPU twin: upsampling and downsampling by integer and
// non-integer ratios, mixed directions, identity, to and from 1x1, and
// downsampling by more than 2 (inputs no output reads).
func TestResizeTwin(t *testing.T) {
	cpu, gpu := twins(t)
	r := rng(t)
	for _, s := range [][6]int{
		{2, 3, 5, 7, 9, 11}, {1, 2, 11, 13, 4, 5}, {1, 2, 6, 5, 12, 15}, {2, 1, 7, 5, 3, 9},
		{1, 2, 4, 5, 4, 5}, {1, 2, 6, 7, 1, 1}, {2, 1, 1, 1, 3, 4}, {1, 2, 17, 19, 3, 4}, {1, 1, 8, 8, 32, 24},
	} {
		n, c, h, w, oh, ow := s[0], s[1], s[2], s[3], s[4], s[5]
		x, dy, dx0 := randn(r, n*c*h*w, 1), randn(r, n*c*oh*ow, 1), randn(r, n*c*h*w, 1)
		var got [2][2][]float32
		for i, b := range []backend.Backend{cpu, gpu} {
			y := poisoned(b, n*c*oh*ow)
			b.Resize(y, upload(b, x), n, c, h, w, oh, ow)
			dx := upload(b, dx0)
			b.ResizeBackward(dx, upload(b, dy), n, c, h, w, oh, ow)
			got[i] = [2][]float32{download(b, y), download(b, dx)}
		}
		what := fmt.Sprintf("%v", s)
		requireClose(t, "Resize "+what, got[1][0], got[0][0], 1e-6)
		requireClose(t, "ResizeBackward "+what, got[1][1], got[0][1], 1e-6)
	}
}

func TestResizeConformance(t *testing.T) {
	backendtest.RunOnly(t, newEmu(t), "Resize", "ResizeBackward")
}

// TestResizeSweep compares Resize and ResizeBackward with the CPU twin for
// every pair of sizes from 1 to 9 along H (and a mixed pair along W), so
// that the backward's search for the outputs reading each input is checked
// at every ratio.
func TestResizeSweep(t *testing.T) {
	cpu, gpu := twins(t)
	r := rng(t)
	for h := 1; h <= 9; h++ {
		for oh := 1; oh <= 9; oh++ {
			w, ow := oh+2, h+1
			x, dy := randn(r, h*w, 1), randn(r, oh*ow, 1)
			var got [2][2][]float32
			for i, b := range []backend.Backend{cpu, gpu} {
				y, dx := poisoned(b, oh*ow), b.Alloc(backend.Float32, h*w)
				b.Resize(y, upload(b, x), 1, 1, h, w, oh, ow)
				b.ResizeBackward(dx, upload(b, dy), 1, 1, h, w, oh, ow)
				got[i] = [2][]float32{download(b, y), download(b, dx)}
			}
			what := fmt.Sprintf("(%d,%d)->(%d,%d)", h, w, oh, ow)
			requireClose(t, "Resize "+what, got[1][0], got[0][0], 1e-6)
			requireClose(t, "ResizeBackward "+what, got[1][1], got[0][1], 1e-6)
		}
	}
}
