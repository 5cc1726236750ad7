package backendtest

import (
	"fmt"
	"math"
	"testing"

	"allnet/engine/backend"
)

func init() {
	register("AvgPool", func(t *testing.T, b backend.Backend, dt backend.DType) {
		checkAvgPool(t, b, dt, "AvgPool", poolFixedCases)
	})
	register("AvgPoolBackward", func(t *testing.T, b backend.Backend, dt backend.DType) {
		checkAvgPoolBackward(t, b, dt, "AvgPoolBackward", poolFixedCases)
	})
	register("AdaptiveAvgPool", func(t *testing.T, b backend.Backend, dt backend.DType) {
		checkAvgPool(t, b, dt, "AdaptiveAvgPool", poolAdaptiveCases)
	})
	register("AdaptiveAvgPoolBackward", func(t *testing.T, b backend.Backend, dt backend.DType) {
		checkAvgPoolBackward(t, b, dt, "AdaptiveAvgPoolBackward", poolAdaptiveCases)
	})
}

// poolFixed returns the geometry of a fixed-window pooling with its output
// size, OH = (H + 2PH - KH)/SH + 1.
func poolFixed(n, c, h, w, kh, kw, sh, sw, ph, pw int) backend.PoolGeom {
	return backend.PoolGeom{N: n, C: c, H: h, W: w,
		OH: (h+2*ph-kh)/sh + 1, OW: (w+2*pw-kw)/sw + 1,
		KH: kh, KW: kw, SH: sh, SW: sw, PH: ph, PW: pw}
}

// poolAdaptive returns the geometry of an adaptive pooling to (oh, ow).
func poolAdaptive(n, c, h, w, oh, ow int) backend.PoolGeom {
	return backend.PoolGeom{N: n, C: c, H: h, W: w, OH: oh, OW: ow, Adaptive: true}
}

// poolFixedCases cover stride 2 with a dropped last row, padding (which
// counts in the divisor), non-square kernels and mixed strides; the last
// cases of both lists have enough planes for a parallel backend to split.
var poolFixedCases = []backend.PoolGeom{
	poolFixed(2, 3, 7, 9, 2, 2, 2, 2, 0, 0),
	poolFixed(2, 2, 6, 7, 3, 3, 1, 1, 1, 1),
	poolFixed(1, 3, 7, 5, 3, 2, 2, 1, 1, 0),
	poolFixed(2, 2, 5, 8, 3, 3, 3, 2, 1, 1),
	poolFixed(4, 20, 8, 8, 3, 3, 1, 1, 1, 1),
}

// poolAdaptiveCases cover overlapping windows (7 -> 3, 5 -> 3), outputs
// larger than the input, global pooling, identity and a mixed shape.
var poolAdaptiveCases = []backend.PoolGeom{
	poolAdaptive(2, 3, 7, 5, 3, 3),
	poolAdaptive(2, 2, 3, 4, 5, 6),
	poolAdaptive(2, 3, 6, 7, 1, 1),
	poolAdaptive(1, 2, 4, 5, 4, 5),
	poolAdaptive(2, 2, 9, 6, 4, 4),
	poolAdaptive(4, 20, 9, 7, 4, 3),
}

// poolRefWindow returns window i along an axis of in inputs as an unclipped
// range [start, end) and its divisor extent, from the PoolGeom doc comment.
func poolRefWindow(i, in, out int, adaptive bool, k, s, p int) (start, end, extent int) {
	if adaptive {
		start = int(math.Floor(float64(i*in) / float64(out)))
		end = int(math.Ceil(float64((i+1)*in) / float64(out)))
		return start, end, end - start
	}
	start = i*s - p
	return start, start + k, k
}

// poolRefVisit calls fn for every (input index, output index, weight) pair of
// AvgPool with geometry g: y[o] = sum of weight * x[i].
func poolRefVisit(g backend.PoolGeom, fn func(in, out int, wt float64)) {
	for p := range g.N * g.C {
		for i := range g.OH {
			h0, h1, eh := poolRefWindow(i, g.H, g.OH, g.Adaptive, g.KH, g.SH, g.PH)
			for j := range g.OW {
				w0, w1, ew := poolRefWindow(j, g.W, g.OW, g.Adaptive, g.KW, g.SW, g.PW)
				wt := 1 / float64(eh*ew)
				for h := h0; h < h1; h++ {
					for w := w0; w < w1; w++ {
						if h < 0 || h >= g.H || w < 0 || w >= g.W {
							continue // padding: counts in the divisor, adds zero
						}
						fn((p*g.H+h)*g.W+w, (p*g.OH+i)*g.OW+j, wt)
					}
				}
			}
		}
	}
}

// poolRef is the float64 reference of AvgPool.
func poolRef(x []float64, g backend.PoolGeom) []float64 {
	y := make([]float64, g.N*g.C*g.OH*g.OW)
	poolRefVisit(g, func(in, out int, wt float64) { y[out] += wt * x[in] })
	return y
}

// poolRefBackward is the float64 reference of AvgPoolBackward: dx0 plus the
// adjoint of poolRef applied to dy.
func poolRefBackward(dx0, dy []float64, g backend.PoolGeom) []float64 {
	dx := append([]float64(nil), dx0...)
	poolRefVisit(g, func(in, out int, wt float64) { dx[in] += wt * dy[out] })
	return dx
}

func checkAvgPool(t *testing.T, b backend.Backend, dt backend.DType, name string, cases []backend.PoolGeom) {
	r := RNG(name)
	for _, g := range cases {
		x := Rounded(dt, Randn(r, g.N*g.C*g.H*g.W, 1))
		xb, yb := Upload(b, dt, x), b.Alloc(dt, g.N*g.C*g.OH*g.OW)
		b.Fill(yb, math.NaN()) // every element must be written
		b.AvgPool(yb, xb, g)
		Close(t, fmt.Sprintf("%s %+v", name, g), Download(b, yb), poolRef(x, g), Tol(dt))
		b.Free(xb)
		b.Free(yb)
	}
}

func checkAvgPoolBackward(t *testing.T, b backend.Backend, dt backend.DType, name string, cases []backend.PoolGeom) {
	r := RNG(name)
	for _, g := range cases {
		nx, ny := g.N*g.C*g.H*g.W, g.N*g.C*g.OH*g.OW
		dx0 := Rounded(dt, Randn(r, nx, 1))
		dy := Rounded(dt, Randn(r, ny, 1))
		dxb, dyb := Upload(b, dt, dx0), Upload(b, dt, dy)
		b.AvgPoolBackward(dxb, dyb, g)
		what := fmt.Sprintf("%s %+v", name, g)
		Close(t, what, Download(b, dxb), poolRefBackward(dx0, dy, g), Tol(dt))

		// The adjoint identity <AvgPool(x), dy> == <x, AvgPoolBackward(dy)>.
		x := Rounded(dt, Randn(r, nx, 1))
		xb, yb, zero := Upload(b, dt, x), b.Alloc(dt, ny), b.Alloc(dt, nx)
		b.AvgPool(yb, xb, g)
		b.AvgPoolBackward(zero, dyb, g)
		adjointClose(t, what+" adjoint", Download(b, yb), dy, x, Download(b, zero), Tol(dt))
		for _, bf := range []backend.Buffer{dxb, dyb, xb, yb, zero} {
			b.Free(bf)
		}
	}
}
