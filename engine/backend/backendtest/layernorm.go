package backendtest

import (
	"fmt"
	"math"
	"testing"

	"allnet/engine/backend"
)

func init() {
	register("LayerNorm", checkLayerNorm)
	register("LayerNormBackward", checkLayerNormBackward)
}

// lnCase is a layer norm problem; gamma and beta say which parameters are
// given (not nil).
type lnCase struct {
	rows, cols  int
	gamma, beta bool
}

// lnCases cover column counts that are not multiples of 8, one column,
// many rows (more than one CPU chunk), and every combination of nil gamma
// and beta.
var lnCases = []lnCase{
	{rows: 7, cols: 13, gamma: true, beta: true},
	{rows: 5, cols: 37},
	{rows: 9, cols: 20, gamma: true},
	{rows: 6, cols: 11, beta: true},
	{rows: 3, cols: 1, gamma: true, beta: true},
	{rows: 300, cols: 19, gamma: true, beta: true},
}

const lnEps = 1e-5

func (c lnCase) String() string {
	return fmt.Sprintf("(rows %d, cols %d, gamma %v, beta %v)", c.rows, c.cols, c.gamma, c.beta)
}

// layerNormRef is the float64 reference of LayerNorm: y, mean and rstd.
// gamma and beta may be nil.
func layerNormRef(x, gamma, beta []float64, rows, cols int, eps float64) (y, mean, rstd []float64) {
	y = make([]float64, rows*cols)
	mean = make([]float64, rows)
	rstd = make([]float64, rows)
	for r := range rows {
		var s float64
		for c := range cols {
			s += x[r*cols+c]
		}
		mu := s / float64(cols)
		var v float64
		for c := range cols {
			v += (x[r*cols+c] - mu) * (x[r*cols+c] - mu)
		}
		rs := 1 / math.Sqrt(v/float64(cols)+eps)
		mean[r], rstd[r] = mu, rs
		for c := range cols {
			o := (x[r*cols+c] - mu) * rs
			if gamma != nil {
				o *= gamma[c]
			}
			if beta != nil {
				o += beta[c]
			}
			y[r*cols+c] = o
		}
	}
	return y, mean, rstd
}

// layerNormRefBackward is the float64 reference of LayerNormBackward: with
// xhat = (x-mean) rstd and g = dy gamma, dx = rstd (g - mean(g) - xhat
// mean(g xhat)), dgamma = sum_rows dy xhat, dbeta = sum_rows dy (returned
// fresh, not accumulated). gamma may be nil.
func layerNormRefBackward(dy, x, mean, rstd, gamma []float64, rows, cols int) (dx, dgamma, dbeta []float64) {
	dx = make([]float64, rows*cols)
	dgamma = make([]float64, cols)
	dbeta = make([]float64, cols)
	n := float64(cols)
	for r := range rows {
		xhat := make([]float64, cols)
		g := make([]float64, cols)
		var mg, mgx float64
		for c := range cols {
			i := r*cols + c
			xhat[c] = (x[i] - mean[r]) * rstd[r]
			g[c] = dy[i]
			if gamma != nil {
				g[c] *= gamma[c]
			}
			mg += g[c] / n
			mgx += g[c] * xhat[c] / n
			dgamma[c] += dy[i] * xhat[c]
			dbeta[c] += dy[i]
		}
		for c := range cols {
			dx[r*cols+c] = rstd[r] * (g[c] - mg - xhat[c]*mgx)
		}
	}
	return dx, dgamma, dbeta
}

// lnParams draws gamma and beta (nil where the case has none), rounded to
// dt.
func lnParams(c lnCase, dt backend.DType, x func(n int, s float64) []float64) (gamma, beta []float64) {
	if c.gamma {
		gamma = Rounded(dt, x(c.cols, 1))
		for i := range gamma {
			gamma[i] += 1
		}
	}
	if c.beta {
		beta = Rounded(dt, x(c.cols, 1))
	}
	return gamma, beta
}

// checkLayerNorm compares y, mean and rstd (pre-filled with NaN) with
// layerNormRef on inputs with a non-zero mean.
func checkLayerNorm(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("LayerNorm")
	randn := func(n int, s float64) []float64 { return Randn(r, n, s) }
	for _, c := range lnCases {
		x := Randn(r, c.rows*c.cols, 2)
		for i := range x {
			x[i] += 3
		}
		x = Rounded(dt, x)
		gamma, beta := lnParams(c, dt, randn)
		wy, wmean, wrstd := layerNormRef(x, gamma, beta, c.rows, c.cols, lnEps)
		xb, gb, bb := Upload(b, dt, x), uploadOrNil(b, dt, gamma), uploadOrNil(b, dt, beta)
		y, mean, rstd := allocNaN(b, dt, len(wy)), allocNaN(b, dt, c.rows), allocNaN(b, dt, c.rows)
		b.LayerNorm(y, mean, rstd, xb, gb, bb, c.rows, c.cols, lnEps)
		Close(t, "LayerNorm y "+c.String(), Download(b, y), wy, Tol(dt))
		Close(t, "LayerNorm mean "+c.String(), Download(b, mean), wmean, Tol(dt))
		Close(t, "LayerNorm rstd "+c.String(), Download(b, rstd), wrstd, Tol(dt))
		for _, buf := range []backend.Buffer{xb, gb, bb, y, mean, rstd} {
			if buf != nil {
				b.Free(buf)
			}
		}
	}
}

// checkLayerNormBackward compares dx (pre-filled with NaN) and, where gamma
// is given, the increments of dgamma and dbeta (pre-filled with random
// values, so they must accumulate; also with only dbeta, and with neither)
// against layerNormRefBackward, with mean and rstd from the reference.
func checkLayerNormBackward(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("LayerNormBackward")
	randn := func(n int, s float64) []float64 { return Randn(r, n, s) }
	for _, c := range lnCases {
		x := Rounded(dt, Randn(r, c.rows*c.cols, 1.5))
		gamma, _ := lnParams(c, dt, randn)
		_, mean, rstd := layerNormRef(x, nil, nil, c.rows, c.cols, lnEps)
		mean, rstd = Rounded(dt, mean), Rounded(dt, rstd)
		dy := Rounded(dt, Randn(r, len(x), 1))
		wdx, wdg, wdb := layerNormRefBackward(dy, x, mean, rstd, gamma, c.rows, c.cols)
		ins := []backend.Buffer{Upload(b, dt, dy), Upload(b, dt, x), Upload(b, dt, mean), Upload(b, dt, rstd), uploadOrNil(b, dt, gamma)}
		modes := []string{"none"}
		if gamma != nil {
			modes = append(modes, "dgamma+dbeta", "dbeta")
		}
		for _, mode := range modes {
			what := fmt.Sprintf("LayerNormBackward %v grads=%s", c, mode)
			dx := allocNaN(b, dt, len(x))
			var dg, db backend.Buffer
			var dg0, db0 []float64
			if mode == "dgamma+dbeta" {
				dg0 = Rounded(dt, Randn(r, c.cols, 1))
				dg = Upload(b, dt, dg0)
			}
			if mode != "none" {
				db0 = Rounded(dt, Randn(r, c.cols, 1))
				db = Upload(b, dt, db0)
			}
			b.LayerNormBackward(dx, dg, db, ins[0], ins[1], ins[2], ins[3], ins[4], c.rows, c.cols)
			Close(t, what+": dx", Download(b, dx), wdx, Tol(dt))
			for _, p := range []struct {
				name string
				buf  backend.Buffer
				init []float64
				want []float64
			}{{"dgamma", dg, dg0, wdg}, {"dbeta", db, db0, wdb}} {
				if p.buf == nil {
					continue
				}
				got := Download(b, p.buf)
				for i := range got {
					got[i] -= p.init[i] // what was accumulated
				}
				Close(t, what+": "+p.name, got, p.want, Tol(dt))
				b.Free(p.buf)
			}
			b.Free(dx)
		}
		for _, buf := range ins {
			if buf != nil {
				b.Free(buf)
			}
		}
	}
}
