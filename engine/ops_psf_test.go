package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// psfNaive is a float64 reference of PSFConv written from its doc comment:
// y[n,c,h,w] = sum_{a,b} psf[n,a,b] * x[n, c, h - a + KH/2, w - b + KW/2].
func psfNaive(x []float64, xs []int, psf []float64, kh, kw int) []float64 {
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	y := make([]float64, len(x))
	for in := 0; in < n; in++ {
		for ic := 0; ic < c; ic++ {
			plane := (in*c + ic) * h * w
			for i := 0; i < h; i++ {
				for j := 0; j < w; j++ {
					var s float64
					for a := 0; a < kh; a++ {
						for b := 0; b < kw; b++ {
							si, sj := i-a+kh/2, j-b+kw/2
							if si >= 0 && si < h && sj >= 0 && sj < w {
								s += psf[(in*kh+a)*kw+b] * x[plane+si*w+sj]
							}
						}
					}
					y[plane+i*w+j] = s
				}
			}
		}
	}
	return y
}

// psfShapes are odd, even and larger-than-image kernels.
var psfShapes = []struct{ x, k []int }{
	{[]int{2, 3, 6, 7}, []int{2, 5, 3}},
	{[]int{2, 2, 5, 6}, []int{2, 4, 2}},
	{[]int{3, 1, 3, 4}, []int{3, 7, 9}},
}

func TestPSFConvMatchesNaive(t *testing.T) {
	r := testRNG(t)
	for _, s := range psfShapes {
		x, k := randT(r, s.x...), randT(r, s.k...)
		want := psfNaive(x.Float64s(), s.x, k.Float64s(), s.k[1], s.k[2])
		for _, dt := range []DType{Float64, Float32} {
			y := PSFConv(x.Cast(dt), k.Cast(dt))
			require.Equal(t, s.x, y.Shape())
			tol := 1e-12
			if dt == Float32 {
				tol = 1e-5
			}
			closeTo(t, fmt.Sprintf("PSFConv %v * %v %v", s.x, s.k, dt), y, want, tol)
		}
	}
}

func TestPSFConvGradients(t *testing.T) {
	r := testRNG(t)
	for _, s := range psfShapes {
		gradCheck(t, func(xs []*Tensor) *Tensor { return PSFConv(xs[0], xs[1]) }, randT(r, s.x...), randT(r, s.k...))
	}
}

func TestPSFConvGradientSubsets(t *testing.T) {
	r := testRNG(t)
	s := psfShapes[0]
	x, k := randT(r, s.x...), randT(r, s.k...)
	dy := randT(r, s.x...).Detach()
	PSFConv(x, k).BackwardWith(dy)
	xd, kd := x.Detach(), k.Detach().SetRequiresGrad(true)
	PSFConv(xd, kd).BackwardWith(dy)
	require.Nil(t, xd.Grad())
	closeTo(t, "psf gradient alone", kd.Grad(), k.Grad().Float64s(), 1e-14)
	xd, kd = x.Detach().SetRequiresGrad(true), k.Detach()
	PSFConv(xd, kd).BackwardWith(dy)
	require.Nil(t, kd.Grad())
	closeTo(t, "image gradient alone", xd.Grad(), x.Grad().Float64s(), 1e-14)
}

func TestPSFConvShapeErrors(t *testing.T) {
	for _, c := range []struct{ x, k []int }{
		{[]int{2, 3, 5, 5}, []int{3, 3, 3}}, // batch mismatch
		{[]int{2, 3, 5}, []int{2, 3, 3}},    // image rank
		{[]int{2, 3, 5, 5}, []int{2, 3}},    // kernel rank
		{[]int{2, 3, 5, 5}, []int{2, 0, 3}}, // empty kernel
	} {
		msg := opPanicText(func() { PSFConv(Zeros(c.x...), Zeros(c.k...)) })
		want := fmt.Sprintf("engine: PSFConv: image %v with kernels %v", c.x, c.k)
		require.True(t, strings.HasPrefix(msg, want), "got %q, want prefix %q", msg, want)
	}
}
