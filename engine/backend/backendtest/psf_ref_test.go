package backendtest

import (
	"fmt"
	"testing"
)

// TestPSFRefBackward checks the PSF reference backward against central
// differences of the reference forward (PSFConv is linear in each input, so
// the differences are exact up to rounding).
func TestPSFRefBackward(t *testing.T) {
	r := RNG("PSFRefBackward")
	for _, g := range psfCases {
		x := Randn(r, g.N*g.C*g.H*g.W, 1)
		psf := Randn(r, g.N*g.KH*g.KW, 1)
		dy := Randn(r, len(x), 1)
		loss := func() float64 { return refDot(psfRef(g, x, psf), dy) }
		dx, dpsf := psfRefBackward(g, dy, x, psf)
		idx := refSample(r, len(x), 80)
		Close(t, fmt.Sprintf("%+v dx", g), refPick(dx, idx), CentralDiff(loss, x, idx, 1e-3), 1e-8)
		idx = refSample(r, len(psf), 80)
		Close(t, fmt.Sprintf("%+v dpsf", g), refPick(dpsf, idx), CentralDiff(loss, psf, idx, 1e-3), 1e-8)
	}
}

// TestPSFRefCentre pins the kernel centre: a one-hot kernel at (a, b) shifts
// the image by (KH/2 - a, KW/2 - b), so y[h, w] = x[h - a + KH/2, w - b + KW/2].
func TestPSFRefCentre(t *testing.T) {
	g := psfCases[1] // even kernel sizes
	g.N, g.C = 1, 1
	x := make([]float64, g.H*g.W)
	for i := range x {
		x[i] = float64(i + 1)
	}
	a, b := 0, g.KW-1
	psf := make([]float64, g.KH*g.KW)
	psf[a*g.KW+b] = 1
	y := psfRef(g, x, psf)
	h, w := 3, 6 // reads row 3 + KH/2 = 5, column 6 - 5 + 3 = 4
	if got, want := y[h*g.W+w], x[5*g.W+4]; got != want {
		t.Fatalf("y[%d,%d] = %v, want x[5,4] = %v", h, w, got, want)
	}
}
