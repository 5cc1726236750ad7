package backendtest

import (
	"fmt"
	"testing"

	"allnet/engine/backend"
)

func init() {
	register("PSFConv", checkPSFConv)
	register("PSFConvBackward", checkPSFConvBackward)
}

// psfCases are odd kernels, even kernels (centre at KH/2, KW/2) and a kernel
// larger than the image.
var psfCases = []backend.PSFGeom{
	{N: 2, C: 3, H: 9, W: 11, KH: 5, KW: 3},
	{N: 2, C: 2, H: 7, W: 8, KH: 4, KW: 6},
	{N: 3, C: 1, H: 5, W: 6, KH: 9, KW: 11},
}

// psfVisit calls fn for every output position and kernel tap whose input
// position (hs, ws) is inside the image, with the flat indices of the output
// (and matching input image plane), the input and the tap.
func psfVisit(g backend.PSFGeom, fn func(yi, xi, ki int)) {
	for n := 0; n < g.N; n++ {
		for c := 0; c < g.C; c++ {
			plane := (n*g.C + c) * g.H * g.W
			for h := 0; h < g.H; h++ {
				for w := 0; w < g.W; w++ {
					for a := 0; a < g.KH; a++ {
						for b := 0; b < g.KW; b++ {
							hs, ws := h-a+g.KH/2, w-b+g.KW/2
							if hs < 0 || hs >= g.H || ws < 0 || ws >= g.W {
								continue
							}
							fn(plane+h*g.W+w, plane+hs*g.W+ws, (n*g.KH+a)*g.KW+b)
						}
					}
				}
			}
		}
	}
}

// psfRef is the float64 reference of PSFConv, written from the PSFGeom doc.
func psfRef(g backend.PSFGeom, x, psf []float64) []float64 {
	y := make([]float64, len(x))
	psfVisit(g, func(yi, xi, ki int) { y[yi] += psf[ki] * x[xi] })
	return y
}

// psfRefBackward returns the gradients of sum(y * dy) for x and psf.
func psfRefBackward(g backend.PSFGeom, dy, x, psf []float64) (dx, dpsf []float64) {
	dx = make([]float64, len(x))
	dpsf = make([]float64, len(psf))
	psfVisit(g, func(yi, xi, ki int) {
		dx[xi] += psf[ki] * dy[yi]
		dpsf[ki] += x[xi] * dy[yi]
	})
	return dx, dpsf
}

func checkPSFConv(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("PSFConv")
	for _, g := range psfCases {
		x := Rounded(dt, Randn(r, g.N*g.C*g.H*g.W, 1))
		psf := Rounded(dt, Randn(r, g.N*g.KH*g.KW, 1))
		want := psfRef(g, x, psf)
		y := Upload(b, dt, Randn(r, len(want), 1)) // overwritten
		b.PSFConv(y, Upload(b, dt, x), Upload(b, dt, psf), g)
		Close(t, fmt.Sprintf("PSFConv %+v", g), Download(b, y), want, Tol(dt))
	}
}

func checkPSFConvBackward(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("PSFConvBackward")
	for _, g := range psfCases {
		x := Rounded(dt, Randn(r, g.N*g.C*g.H*g.W, 1))
		psf := Rounded(dt, Randn(r, g.N*g.KH*g.KW, 1))
		dy := Rounded(dt, Randn(r, len(x), 1))
		wantX, wantP := psfRefBackward(g, dy, x, psf)
		bx, bp, bdy := Upload(b, dt, x), Upload(b, dt, psf), Upload(b, dt, dy)
		// Every subset of {dx, dpsf}, pre-filled to check accumulation.
		for set := 0; set < 4; set++ {
			wants := [][]float64{wantX, wantP}
			pre := make([][]float64, 2)
			bufs := make([]backend.Buffer, 2)
			for k, w := range wants {
				if set&(1<<k) != 0 {
					pre[k] = Rounded(dt, Randn(r, len(w), 1))
					bufs[k] = Upload(b, dt, pre[k])
				}
			}
			b.PSFConvBackward(bufs[0], bufs[1], bdy, bx, bp, g)
			for k, name := range []string{"dx", "dpsf"} {
				if bufs[k] == nil {
					continue
				}
				got := Download(b, bufs[k])
				for i := range got {
					got[i] -= pre[k][i]
				}
				Close(t, fmt.Sprintf("PSFConvBackward %s %+v (set %02b)", name, g, set), got, wants[k], Tol(dt))
			}
		}
	}
}
