package cpu

import (
	"fmt"

	"allnet/engine/backend"
)

// AvgPool averages windows of x (N, C, H, W) into y (N, C, OH, OW), fixed or
// adaptive (see backend.PoolGeom), parallel over the rows of y. Sums
// accumulate in float64.
func (*CPU) AvgPool(y, x backend.Buffer, g backend.PoolGeom) {
	checkPool("AvgPool", g)
	checkLen("AvgPool", "x", x, g.N*g.C*g.H*g.W)
	checkLen("AvgPool", "y", y, g.N*g.C*g.OH*g.OW)
	if isF64(x) {
		avgPool(floats[float64](y), floats[float64](x), g)
	} else {
		avgPool(floats[float32](y), floats[float32](x), g)
	}
}

// AvgPoolBackward accumulates the adjoint of AvgPool into dx: each dy element
// divided by its window's divisor is added over its window, parallel over the
// (n, c) planes.
func (*CPU) AvgPoolBackward(dx, dy backend.Buffer, g backend.PoolGeom) {
	checkPool("AvgPoolBackward", g)
	checkLen("AvgPoolBackward", "dx", dx, g.N*g.C*g.H*g.W)
	checkLen("AvgPoolBackward", "dy", dy, g.N*g.C*g.OH*g.OW)
	if isF64(dy) {
		avgPoolBackward(floats[float64](dx), floats[float64](dy), g)
	} else {
		avgPoolBackward(floats[float32](dx), floats[float32](dy), g)
	}
}

// checkPool panics unless g is consistent: positive sizes and, for fixed
// windows, OH and OW equal to what the kernel, stride and padding give.
func checkPool(op string, g backend.PoolGeom) {
	if g.N <= 0 || g.C <= 0 || g.H <= 0 || g.W <= 0 || g.OH <= 0 || g.OW <= 0 {
		panic(fmt.Sprintf("cpu: %s: bad geometry %+v", op, g))
	}
	if g.Adaptive {
		return
	}
	if g.KH <= 0 || g.KW <= 0 || g.SH <= 0 || g.SW <= 0 || g.PH < 0 || g.PW < 0 ||
		g.H+2*g.PH < g.KH || g.W+2*g.PW < g.KW {
		panic(fmt.Sprintf("cpu: %s: bad geometry %+v", op, g))
	}
	if oh, ow := (g.H+2*g.PH-g.KH)/g.SH+1, (g.W+2*g.PW-g.KW)/g.SW+1; g.OH != oh || g.OW != ow {
		panic(fmt.Sprintf("cpu: %s: output %dx%d, but kernel %dx%d stride %dx%d padding %dx%d give %dx%d from %dx%d",
			op, g.OH, g.OW, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, oh, ow, g.H, g.W))
	}
}

// poolAxis returns, for each of out windows along one axis of in inputs,
// the clipped input range [lo, hi) and the window's extent as counted by
// the divisor (the unclipped kernel size for fixed windows).
func poolAxis(in, out int, adaptive bool, k, s, p int) (lo, hi, size []int) {
	lo, hi, size = make([]int, out), make([]int, out), make([]int, out)
	for i := range out {
		if adaptive {
			lo[i] = i * in / out
			hi[i] = ((i+1)*in + out - 1) / out
			size[i] = hi[i] - lo[i]
			continue
		}
		start := i*s - p
		lo[i] = max(start, 0)
		hi[i] = max(min(start+k, in), lo[i])
		size[i] = k
	}
	return lo, hi, size
}

func avgPool[T Float](y, x []T, g backend.PoolGeom) {
	hLo, hHi, hSize := poolAxis(g.H, g.OH, g.Adaptive, g.KH, g.SH, g.PH)
	wLo, wHi, wSize := poolAxis(g.W, g.OW, g.Adaptive, g.KW, g.SW, g.PW)
	hw := g.H * g.W
	parallelFor(g.N*g.C*g.OH, max(1, 4096/max(g.OW, hw/g.OH)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			i := r % g.OH
			plane := x[r/g.OH*hw : (r/g.OH+1)*hw]
			out := y[r*g.OW : (r+1)*g.OW]
			for j := range out {
				var sum float64
				for h := hLo[i]; h < hHi[i]; h++ {
					for _, v := range plane[h*g.W+wLo[j] : h*g.W+wHi[j]] {
						sum += float64(v)
					}
				}
				out[j] = T(sum / float64(hSize[i]*wSize[j]))
			}
		}
	})
}

func avgPoolBackward[T Float](dx, dy []T, g backend.PoolGeom) {
	hLo, hHi, hSize := poolAxis(g.H, g.OH, g.Adaptive, g.KH, g.SH, g.PH)
	wLo, wHi, wSize := poolAxis(g.W, g.OW, g.Adaptive, g.KW, g.SW, g.PW)
	hw := g.H * g.W
	parallelFor(g.N*g.C, max(1, 4096/max(hw, g.OH*g.OW)), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			plane := dx[p*hw : (p+1)*hw]
			for i := range g.OH {
				grad := dy[(p*g.OH+i)*g.OW : (p*g.OH+i+1)*g.OW]
				for j, v := range grad {
					d := T(float64(v) / float64(hSize[i]*wSize[j]))
					for h := hLo[i]; h < hHi[i]; h++ {
						row := plane[h*g.W+wLo[j] : h*g.W+wHi[j]]
						for k := range row {
							row[k] += d
						}
					}
				}
			}
		}
	})
}
