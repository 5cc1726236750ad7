package backendtest

import (
	"math"
	"testing"
)

func TestLayerNormRefKnown(t *testing.T) {
	// Row [1 2 3 4]: mean 2.5, biased variance 1.25.
	x := []float64{1, 2, 3, 4}
	gamma := []float64{1, 2, 1, 1}
	beta := []float64{0, 0, 0, 10}
	y, mean, rstd := layerNormRef(x, gamma, beta, 1, 4, 0.25)
	rs := 1 / math.Sqrt(1.5)
	want := []float64{-1.5 * rs, -1 * rs, 0.5 * rs, 1.5*rs + 10}
	if RelErr(y, want) > 1e-15 || mean[0] != 2.5 || math.Abs(rstd[0]-rs) > 1e-15 {
		t.Fatalf("layerNormRef: y %v mean %v rstd %v, want y %v mean 2.5 rstd %v", y, mean, rstd, want, rs)
	}
}

func TestLayerNormRefBackwardFD(t *testing.T) {
	r := RNG("TestLayerNormRefBackwardFD")
	const rows, cols = 4, 7
	x := Randn(r, rows*cols, 1.5)
	for _, withGamma := range []bool{false, true} {
		var gamma, beta []float64
		if withGamma {
			gamma, beta = Randn(r, cols, 1), Randn(r, cols, 1)
		}
		y, mean, rstd := layerNormRef(x, gamma, beta, rows, cols, lnEps)
		w := Randn(r, len(y), 1)
		dx, dgamma, dbeta := layerNormRefBackward(w, x, mean, rstd, gamma, rows, cols)
		// loss reads x, gamma and beta as they stand when it is called.
		loss := func() float64 {
			y, _, _ := layerNormRef(x, gamma, beta, rows, cols, lnEps)
			return refDot(w, y)
		}
		const h, tol = 1e-5, 1e-7
		refGradClose(t, "dx", dx, CentralDiff(loss, x, nil, h), tol)
		if !withGamma {
			// dgamma and dbeta are the gradients at gamma = 1, beta = 0.
			gamma, beta = make([]float64, cols), make([]float64, cols)
			for i := range gamma {
				gamma[i] = 1
			}
		}
		refGradClose(t, "dgamma", dgamma, CentralDiff(loss, gamma, nil, h), tol)
		refGradClose(t, "dbeta", dbeta, CentralDiff(loss, beta, nil, h), tol)
	}
}
