package cpu

import (
	"fmt"
	"math"

	"allnet/engine/backend"
)

// lnMaxChunks bounds the number of row chunks of LayerNormBackward, each of
// which keeps its own float64 partial sums of dgamma and dbeta.
const lnMaxChunks = 64

// LayerNorm normalises each row of x (rows, cols): y = (x - mean) * rstd *
// gamma + beta with rstd = 1/sqrt(var + eps), the biased variance computed
// in float64 by two passes. gamma and beta may be nil; y may be x.
func (*CPU) LayerNorm(y, mean, rstd, x, gamma, beta backend.Buffer, rows, cols int, eps float64) {
	const op = "LayerNorm"
	checkLayerNorm(op, rows, cols)
	checkLen(op, "y", y, rows*cols)
	checkLen(op, "mean", mean, rows)
	checkLen(op, "rstd", rstd, rows)
	checkLen(op, "x", x, rows*cols)
	if gamma != nil {
		checkLen(op, "gamma", gamma, cols)
	}
	if beta != nil {
		checkLen(op, "beta", beta, cols)
	}
	if isF64(x) {
		layerNorm(floats[float64](y), floats[float64](mean), floats[float64](rstd), floats[float64](x),
			floats[float64](gamma), floats[float64](beta), rows, cols, eps)
	} else {
		layerNorm(floats[float32](y), floats[float32](mean), floats[float32](rstd), floats[float32](x),
			floats[float32](gamma), floats[float32](beta), rows, cols, eps)
	}
}

// LayerNormBackward computes, with xhat = (x - mean) * rstd and
// g = dy * gamma, dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), and
// accumulates dgamma += sum_rows dy * xhat and dbeta += sum_rows dy when
// they are not nil. Rows are split into at most lnMaxChunks chunks fixed by
// the shape alone; each chunk sums its parameter gradients in float64 and
// the chunks are added in order, so results do not depend on the thread
// count. dx may be dy.
func (*CPU) LayerNormBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma backend.Buffer, rows, cols int) {
	const op = "LayerNormBackward"
	checkLayerNorm(op, rows, cols)
	checkLen(op, "dx", dx, rows*cols)
	checkLen(op, "dy", dy, rows*cols)
	checkLen(op, "x", x, rows*cols)
	checkLen(op, "mean", mean, rows)
	checkLen(op, "rstd", rstd, rows)
	for _, p := range []struct {
		name string
		b    backend.Buffer
	}{{"gamma", gamma}, {"dgamma", dgamma}, {"dbeta", dbeta}} {
		if p.b != nil {
			checkLen(op, p.name, p.b, cols)
		}
	}
	if isF64(x) {
		layerNormBackward(floats[float64](dx), floats[float64](dgamma), floats[float64](dbeta), floats[float64](dy),
			floats[float64](x), floats[float64](mean), floats[float64](rstd), floats[float64](gamma), rows, cols)
	} else {
		layerNormBackward(floats[float32](dx), floats[float32](dgamma), floats[float32](dbeta), floats[float32](dy),
			floats[float32](x), floats[float32](mean), floats[float32](rstd), floats[float32](gamma), rows, cols)
	}
}

func checkLayerNorm(op string, rows, cols int) {
	if rows < 0 || cols <= 0 {
		panic(fmt.Sprintf("cpu: %s: bad shape (rows %d, cols %d)", op, rows, cols))
	}
}

// layerNormRowF32, when set, is a SIMD version of one row of layerNorm for
// float32 (statistics in float64 as there); it returns the mean and 1/std.
var layerNormRowF32 func(y, x, gamma, beta []float32, eps float64) (mu, rs float64)

func layerNorm[T Float](y, mean, rstd, x, gamma, beta []T, rows, cols int, eps float64) {
	n := float64(cols)
	parallelFor(rows, max(1, 8192/cols), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := x[r*cols:(r+1)*cols], y[r*cols:(r+1)*cols]
			if f := layerNormRowF32; f != nil {
				if y32, ok := any(yr).([]float32); ok {
					mu, rs := f(y32, any(xr).([]float32), any(gamma).([]float32), any(beta).([]float32), eps)
					mean[r], rstd[r] = T(mu), T(rs)
					continue
				}
			}
			var sum float64
			for _, v := range xr {
				sum += float64(v)
			}
			mu := sum / n
			var ss float64
			for _, v := range xr {
				d := float64(v) - mu
				ss += d * d
			}
			rs := 1 / math.Sqrt(ss/n+eps)
			mean[r], rstd[r] = T(mu), T(rs)
			for c, v := range xr {
				o := (float64(v) - mu) * rs
				if gamma != nil {
					o *= float64(gamma[c])
				}
				if beta != nil {
					o += float64(beta[c])
				}
				yr[c] = T(o)
			}
		}
	})
}

func layerNormBackward[T Float](dx, dgamma, dbeta, dy, x, mean, rstd, gamma []T, rows, cols int) {
	if rows == 0 {
		return
	}
	chunk := max(32, (rows+lnMaxChunks-1)/lnMaxChunks)
	nChunks := (rows + chunk - 1) / chunk
	var pg, pb []float64 // per-chunk partial sums, (nChunks, cols)
	if dgamma != nil {
		pg = make([]float64, nChunks*cols)
	}
	if dbeta != nil {
		pb = make([]float64, nChunks*cols)
	}
	n := float64(cols)
	parallelFor(nChunks, max(1, 8192/(chunk*cols)), func(lo, hi int) {
		xh := make([]float64, cols)
		gv := make([]float64, cols)
		for ch := lo; ch < hi; ch++ {
			for r := ch * chunk; r < min(rows, (ch+1)*chunk); r++ {
				mu, rs := float64(mean[r]), float64(rstd[r])
				dyr, xr := dy[r*cols:(r+1)*cols], x[r*cols:(r+1)*cols]
				var sg, sgx float64
				for c, v := range xr {
					h := (float64(v) - mu) * rs
					d := float64(dyr[c])
					g := d
					if gamma != nil {
						g *= float64(gamma[c])
					}
					xh[c], gv[c] = h, g
					sg += g
					sgx += g * h
					if pg != nil {
						pg[ch*cols+c] += d * h
					}
					if pb != nil {
						pb[ch*cols+c] += d
					}
				}
				sg /= n
				sgx /= n
				dxr := dx[r*cols : (r+1)*cols]
				for c := range dxr {
					dxr[c] = T(rs * (gv[c] - sg - xh[c]*sgx))
				}
			}
		}
	})
	for _, acc := range []struct {
		dst  []T
		part []float64
	}{{dgamma, pg}, {dbeta, pb}} {
		if acc.dst == nil {
			continue
		}
		for c := range cols {
			s := float64(acc.dst[c])
			for ch := range nChunks {
				s += acc.part[ch*cols+c]
			}
			acc.dst[c] = T(s)
		}
	}
}
