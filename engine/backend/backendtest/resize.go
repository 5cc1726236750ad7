package backendtest

import (
	"fmt"
	"math"
	"testing"

	"allnet/engine/backend"
)

func init() {
	register("Resize", checkResize)
	register("ResizeBackward", checkResizeBackward)
}

// resizeCase is (N, C, H, W) -> (OH, OW).
type resizeCase struct{ n, c, h, w, oh, ow int }

func (rc resizeCase) String() string {
	return fmt.Sprintf("(%d,%d,%d,%d)->(%d,%d)", rc.n, rc.c, rc.h, rc.w, rc.oh, rc.ow)
}

// resizeCases cover upsampling and downsampling by non-integer ratios,
// integer ratios, mixed directions, identity, to and from 1x1, and
// downsampling by more than 2 (where bilinear skips pixels), and one case
// large enough for a parallel backend to split the work.
var resizeCases = []resizeCase{
	{2, 3, 5, 7, 9, 11},
	{2, 2, 11, 13, 4, 5},
	{1, 3, 6, 5, 12, 15},
	{2, 2, 7, 5, 3, 9},
	{1, 2, 4, 5, 4, 5},
	{1, 2, 6, 7, 1, 1},
	{2, 1, 1, 1, 3, 4},
	{1, 2, 9, 8, 4, 3},
	{1, 4, 40, 48, 97, 113},
}

// resizeRefTaps returns the two source indices and weights of output
// position dst along an axis of in inputs resized to out, PyTorch's
// align_corners=False rule with scale in/out.
func resizeRefTaps(dst, in, out int) (idx [2]int, wt [2]float64) {
	src := (float64(dst)+0.5)*float64(in)/float64(out) - 0.5
	if src < 0 {
		src = 0
	}
	i0 := int(math.Floor(src))
	i1 := i0 + 1
	if i1 > in-1 {
		i1 = in - 1
	}
	l := src - float64(i0)
	return [2]int{i0, i1}, [2]float64{1 - l, l}
}

// resizeRef is the float64 reference of Resize.
func resizeRef(x []float64, rc resizeCase) []float64 {
	y := make([]float64, rc.n*rc.c*rc.oh*rc.ow)
	for p := range rc.n * rc.c {
		for oy := range rc.oh {
			hi, hw := resizeRefTaps(oy, rc.h, rc.oh)
			for ox := range rc.ow {
				wi, ww := resizeRefTaps(ox, rc.w, rc.ow)
				var v float64
				for a := range 2 {
					for c := range 2 {
						v += hw[a] * ww[c] * x[(p*rc.h+hi[a])*rc.w+wi[c]]
					}
				}
				y[(p*rc.oh+oy)*rc.ow+ox] = v
			}
		}
	}
	return y
}

// resizeRefBackward is the float64 reference of ResizeBackward: dx0 plus the
// adjoint of resizeRef applied to dy.
func resizeRefBackward(dx0, dy []float64, rc resizeCase) []float64 {
	dx := append([]float64(nil), dx0...)
	for p := range rc.n * rc.c {
		for oy := range rc.oh {
			hi, hw := resizeRefTaps(oy, rc.h, rc.oh)
			for ox := range rc.ow {
				wi, ww := resizeRefTaps(ox, rc.w, rc.ow)
				g := dy[(p*rc.oh+oy)*rc.ow+ox]
				for a := range 2 {
					for c := range 2 {
						dx[(p*rc.h+hi[a])*rc.w+wi[c]] += hw[a] * ww[c] * g
					}
				}
			}
		}
	}
	return dx
}

func checkResize(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("Resize")
	for _, rc := range resizeCases {
		x := Rounded(dt, Randn(r, rc.n*rc.c*rc.h*rc.w, 1))
		xb, yb := Upload(b, dt, x), b.Alloc(dt, rc.n*rc.c*rc.oh*rc.ow)
		b.Fill(yb, math.NaN()) // every element must be written
		b.Resize(yb, xb, rc.n, rc.c, rc.h, rc.w, rc.oh, rc.ow)
		Close(t, "Resize "+rc.String(), Download(b, yb), resizeRef(x, rc), Tol(dt))
		b.Free(xb)
		b.Free(yb)
	}
}

func checkResizeBackward(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("ResizeBackward")
	for _, rc := range resizeCases {
		nx, ny := rc.n*rc.c*rc.h*rc.w, rc.n*rc.c*rc.oh*rc.ow
		dx0 := Rounded(dt, Randn(r, nx, 1))
		dy := Rounded(dt, Randn(r, ny, 1))
		dxb, dyb := Upload(b, dt, dx0), Upload(b, dt, dy)
		b.ResizeBackward(dxb, dyb, rc.n, rc.c, rc.h, rc.w, rc.oh, rc.ow)
		what := "ResizeBackward " + rc.String()
		Close(t, what, Download(b, dxb), resizeRefBackward(dx0, dy, rc), Tol(dt))

		// The adjoint identity <Resize(x), dy> == <x, ResizeBackward(dy)>.
		x := Rounded(dt, Randn(r, nx, 1))
		xb, yb, zero := Upload(b, dt, x), b.Alloc(dt, ny), b.Alloc(dt, nx)
		b.Resize(yb, xb, rc.n, rc.c, rc.h, rc.w, rc.oh, rc.ow)
		b.ResizeBackward(zero, dyb, rc.n, rc.c, rc.h, rc.w, rc.oh, rc.ow)
		adjointClose(t, what+" adjoint", Download(b, yb), dy, x, Download(b, zero), Tol(dt))
		for _, bf := range []backend.Buffer{dxb, dyb, xb, yb, zero} {
			b.Free(bf)
		}
	}
}
