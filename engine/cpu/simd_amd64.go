//go:build goexperiment.simd && amd64

package cpu

import (
	"math"
	"os"
	"simd/archsimd"

	"allnet/engine/backend"
)

// init installs the AVX2 versions of the float32 channel kernels where the
// CPU has AVX2 and FMA (and ALLNET_CPU_SIMD is not "off").
func init() {
	if os.Getenv("ALLNET_CPU_SIMD") == "off" || !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		return
	}
	dcnGatherF32 = dcnGatherAVX2
	gemmRowF32 = gemmRowAVX2
	layerNormRowF32 = layerNormRowAVX2
	geluF32 = geluAVX2
}

// Scalar float code compiles to SSE instructions without the VEX prefix;
// on some CPUs (measured on the tuning machine: ~100 times slower loops)
// each of them costs a state transition while the upper halves of the YMM
// registers are in use. So the AVX2 functions below keep scalar float
// arithmetic out of their vector loops, run it only after
// archsimd.ClearAVXUpperBits (VZEROUPPER), and clear before returning.
// Scalars enter vectors through archsimd loads, which are VEX-encoded.

type f32x8 = archsimd.Float32x8

func load8(s []float32) f32x8     { return archsimd.LoadFloat32x8Slice(s) }
func bcast8(x float32) f32x8      { return archsimd.BroadcastFloat32x8(x) }
func store8(v f32x8, s []float32) { v.StoreSlice(s) }

// hsum4 returns the sums of the lanes of a, b, c and d.
func hsum4(a, b, c, d f32x8) archsimd.Float32x4 {
	h := a.AddPairsGrouped(b).AddPairsGrouped(c.AddPairsGrouped(d))
	return h.GetLo().Add(h.GetHi())
}

// dcnGatherAVX2 is dcnGather for float32: 16 channels at a time with two
// accumulator pairs (even and odd corners), then 8, then one.
func dcnGatherAVX2(o, img []float32, idx []int, w []float32) {
	D := len(o)
	w = w[:len(idx)]
	c0 := 0
	for ; c0+16 <= D; c0 += 16 {
		var a0, a1, a2, a3 f32x8
		k := 0
		for ; k+2 <= len(idx); k += 2 {
			s, t := img[idx[k]+c0:][:16], img[idx[k+1]+c0:][:16]
			w0, w1 := bcast8(w[k]), bcast8(w[k+1])
			a0 = w0.MulAdd(load8(s[:8]), a0)
			a1 = w0.MulAdd(load8(s[8:]), a1)
			a2 = w1.MulAdd(load8(t[:8]), a2)
			a3 = w1.MulAdd(load8(t[8:]), a3)
		}
		if k < len(idx) {
			s, w0 := img[idx[k]+c0:][:16], bcast8(w[k])
			a0 = w0.MulAdd(load8(s[:8]), a0)
			a1 = w0.MulAdd(load8(s[8:]), a1)
		}
		store8(a0.Add(a2), o[c0:])
		store8(a1.Add(a3), o[c0+8:])
	}
	for ; c0+8 <= D; c0 += 8 {
		var a0, a1 f32x8
		k := 0
		for ; k+2 <= len(idx); k += 2 {
			a0 = bcast8(w[k]).MulAdd(load8(img[idx[k]+c0:]), a0)
			a1 = bcast8(w[k+1]).MulAdd(load8(img[idx[k+1]+c0:]), a1)
		}
		if k < len(idx) {
			a0 = bcast8(w[k]).MulAdd(load8(img[idx[k]+c0:]), a0)
		}
		store8(a0.Add(a1), o[c0:])
	}
	archsimd.ClearAVXUpperBits()
	for ; c0 < D; c0++ {
		var s float32
		for k, at := range idx {
			s += w[k] * img[at+c0]
		}
		o[c0] = s
	}
	archsimd.ClearAVXUpperBits()
}

// dot8 returns lanes whose sum is the dot product of x and y (len(x) >=
// len(y)).
func dot8(x, y []float32) f32x8 {
	var s0, s1 f32x8
	p, k := 0, len(y)
	for ; p+16 <= k; p += 16 {
		s0 = load8(x[p:]).MulAdd(load8(y[p:]), s0)
		s1 = load8(x[p+8:]).MulAdd(load8(y[p+8:]), s1)
	}
	for ; p < k; p += 8 {
		s0 = archsimd.LoadFloat32x8SlicePart(x[p:k]).MulAdd(archsimd.LoadFloat32x8SlicePart(y[p:]), s0)
	}
	return s0.Add(s1)
}

// gemmRowAVX2 is gemmRow for float32: columns [j0, j1) of row i of C[bi].
// Without TransB it keeps 32 columns of C in registers over the whole
// depth; with TransB it computes four dot products at a time. A transposed
// A with TransB (strided dot products) is left to the portable code.
func gemmRowAVX2(g *backend.GemmArgs, a, b, c []float32, bi, i, j0, j1 int) {
	ai, aStep := g.OffA+bi*g.StrideA+i*g.LDA, 1 // op(A)[i, p] = a[ai + p*aStep]
	if g.TransA {
		ai, aStep = g.OffA+bi*g.StrideA+i, g.LDA
	}
	if g.TransB && aStep != 1 {
		gemmRowGo(*g, a, b, c, bi, i, j0, j1)
		return
	}
	ar := a[ai : ai+(g.K-1)*aStep+1]
	bBase, co := g.OffB+bi*g.StrideB, g.OffC+bi*g.StrideC+i*g.LDC
	crow := c[co+j0 : co+j1]
	// alpha and beta enter vectors through memory, and the test of beta is
	// on its bits: scalar float code would be SSE (see the top of the file).
	ab := [2]float32{float32(g.Alpha), float32(g.Beta)}
	beta0 := math.Float32bits(ab[1])<<1 == 0
	var z archsimd.Float32x4
	if g.TransB {
		va4, vb4 := z.SetElem(0, ab[0]).Broadcast1To4(), z.SetElem(0, ab[1]).Broadcast1To4()
		for j := 0; j < len(crow); j += 4 {
			nj := min(4, len(crow)-j)
			row := func(jj int) []float32 { return b[bBase+(j0+j+jj)*g.LDB:][:g.K] }
			var s0, s1, s2, s3 f32x8
			s0 = dot8(ar, row(0))
			if nj > 1 {
				s1 = dot8(ar, row(1))
			}
			if nj > 2 {
				s2 = dot8(ar, row(2))
			}
			if nj > 3 {
				s3 = dot8(ar, row(3))
			}
			o := crow[j : j+nj]
			r := hsum4(s0, s1, s2, s3).Mul(va4)
			if beta0 {
				r.StoreSlicePart(o)
			} else {
				archsimd.LoadFloat32x4SlicePart(o).MulAdd(vb4, r).StoreSlicePart(o)
			}
		}
		archsimd.ClearAVXUpperBits()
		return
	}
	va, vb := z.SetElem(0, ab[0]).Broadcast1To8(), z.SetElem(0, ab[1]).Broadcast1To8()
	j := 0
	for ; j+32 <= len(crow); j += 32 {
		var c0, c1, c2, c3 f32x8
		for p := range g.K {
			av := z.SetElem(0, ar[p*aStep]).Broadcast1To8()
			br := b[bBase+p*g.LDB+j0+j:][:32]
			c0 = av.MulAdd(load8(br[0:]), c0)
			c1 = av.MulAdd(load8(br[8:]), c1)
			c2 = av.MulAdd(load8(br[16:]), c2)
			c3 = av.MulAdd(load8(br[24:]), c3)
		}
		o := crow[j : j+32]
		c0, c1, c2, c3 = c0.Mul(va), c1.Mul(va), c2.Mul(va), c3.Mul(va)
		if !beta0 {
			c0 = load8(o[0:]).MulAdd(vb, c0)
			c1 = load8(o[8:]).MulAdd(vb, c1)
			c2 = load8(o[16:]).MulAdd(vb, c2)
			c3 = load8(o[24:]).MulAdd(vb, c3)
		}
		store8(c0, o[0:])
		store8(c1, o[8:])
		store8(c2, o[16:])
		store8(c3, o[24:])
	}
	for ; j < len(crow); j += 8 {
		n := min(8, len(crow)-j)
		var c0 f32x8
		for p := range g.K {
			br := b[bBase+p*g.LDB+j0+j:][:n]
			c0 = z.SetElem(0, ar[p*aStep]).Broadcast1To8().MulAdd(archsimd.LoadFloat32x8SlicePart(br), c0)
		}
		o := crow[j : j+n]
		c0 = c0.Mul(va)
		if !beta0 {
			c0 = archsimd.LoadFloat32x8SlicePart(o).MulAdd(vb, c0)
		}
		c0.StoreSlicePart(o)
	}
	archsimd.ClearAVXUpperBits()
}

// layerNormRowAVX2 normalises one row: y = (x - mu) * rs * gamma + beta
// (gamma and beta optional), mu and rs = 1/sqrt(var + eps) summed in
// float64 lanes, the vector loops over multiples of 8 columns and the rest
// in scalar code after clearing the upper halves.
func layerNormRowAVX2(y, x, gamma, beta []float32, eps float64) (mu, rs float64) {
	n := len(x)
	n8 := n &^ 7
	y = y[:n]
	var tmp [4]float64
	var s0, s1 archsimd.Float64x4
	for k := 0; k < n8; k += 8 {
		v := load8(x[k:])
		s0 = s0.Add(v.GetLo().ConvertToFloat64())
		s1 = s1.Add(v.GetHi().ConvertToFloat64())
	}
	s0.Add(s1).Store(&tmp)
	archsimd.ClearAVXUpperBits()
	sum := (tmp[0] + tmp[1]) + (tmp[2] + tmp[3])
	for _, v := range x[n8:] {
		sum += float64(v)
	}
	mu = sum / float64(n)
	tmp[0] = mu
	var z2 archsimd.Float64x2
	mv := z2.SetElem(0, tmp[0]).Broadcast1To4()
	var q0, q1 archsimd.Float64x4
	for k := 0; k < n8; k += 8 {
		v := load8(x[k:])
		d0, d1 := v.GetLo().ConvertToFloat64().Sub(mv), v.GetHi().ConvertToFloat64().Sub(mv)
		q0 = d0.MulAdd(d0, q0)
		q1 = d1.MulAdd(d1, q1)
	}
	q0.Add(q1).Store(&tmp)
	archsimd.ClearAVXUpperBits()
	ss := (tmp[0] + tmp[1]) + (tmp[2] + tmp[3])
	for _, v := range x[n8:] {
		d := float64(v) - mu
		ss += d * d
	}
	rs = 1 / math.Sqrt(ss/float64(n)+eps)
	tmp[0], tmp[1] = mu, rs
	mv, rv := z2.SetElem(0, tmp[0]).Broadcast1To4(), z2.SetElem(0, tmp[1]).Broadcast1To4()
	for k := 0; k < n8; k += 8 {
		v := load8(x[k:])
		var o f32x8
		o = o.SetLo(v.GetLo().ConvertToFloat64().Sub(mv).Mul(rv).ConvertToFloat32())
		o = o.SetHi(v.GetHi().ConvertToFloat64().Sub(mv).Mul(rv).ConvertToFloat32())
		switch {
		case gamma != nil && beta != nil:
			o = o.MulAdd(load8(gamma[k:]), load8(beta[k:]))
		case gamma != nil:
			o = o.Mul(load8(gamma[k:]))
		case beta != nil:
			o = o.Add(load8(beta[k:]))
		}
		store8(o, y[k:])
	}
	archsimd.ClearAVXUpperBits()
	for c := n8; c < n; c++ {
		o := (float64(x[c]) - mu) * rs
		if gamma != nil {
			o *= float64(gamma[c])
		}
		if beta != nil {
			o += float64(beta[c])
		}
		y[c] = float32(o)
	}
	return mu, rs
}

// geluK holds the constants of geluAVX2, broadcast from memory.
var geluK = [...]float32{
	-4, 4, // 0, 1: the clamp of erf's argument
	// 2..8: the odd numerator of the rational erf approximation (x^13 down
	// to x), 9..13: its even denominator (x^8 down to 1); absolute error
	// about 4e-7 on [-4, 4].
	-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05,
	-7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02,
	-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03,
	-1.42647390514189e-02,
	0.70710678118654752, 0.5, 1, // 14, 15, 16: 1/sqrt 2, 1/2, 1
	// 17..: exp on [-87, 0] as exp32: 87 (the clamp of -x), log2 e, ln 2 in
	// two parts, the polynomial (21..26), and 1/sqrt(2 pi) (27).
	87, 1.44269504088896341, 0.693359375, -2.12194440e-4,
	1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
	0.398942280401432678,
}

// geluAVX2 leaves the result to the float64 formulas outside [geluLow,
// geluHigh] and for NaN: below geluLow 1 + erf cancels and the
// approximation's absolute error becomes a large relative one (rare in
// practice: 2% of a standard normal input); above geluHigh -x^2/2 passes
// the clamp of the exp at -87 (and x = +Inf must give Inf*0 = NaN in the
// derivative, as the formula does).
const geluLow, geluHigh = -2, 13

// geluAVX2 computes y = x Phi(x) (the erf form of GELU), or with dy set
// y = dy (Phi(x) + x phi(x)), 8 values at a time in float32 with a rational
// approximation of erf and a polynomial exp; values outside [geluLow,
// geluHigh] and the last len%8 are then recomputed with the float64
// formulas.
func geluAVX2(y, x, dy []float32) {
	n := len(x)
	n8 := n &^ 7
	y = y[:n]
	k := &geluK
	var z archsimd.Float32x4
	c := func(i int) f32x8 { return z.SetElem(0, k[i]).Broadcast1To8() }
	for i := 0; i < n8; i += 8 {
		xv := load8(x[i:])
		u := xv.Mul(c(14)).Max(c(0)).Min(c(1))
		u2 := u.Mul(u)
		p := c(2).MulAdd(u2, c(3)).MulAdd(u2, c(4)).MulAdd(u2, c(5)).MulAdd(u2, c(6)).MulAdd(u2, c(7)).MulAdd(u2, c(8))
		q := c(9).MulAdd(u2, c(10)).MulAdd(u2, c(11)).MulAdd(u2, c(12)).MulAdd(u2, c(13))
		cdf := p.Mul(u).Div(q).Add(c(16)).Mul(c(15)) // Phi(x) = (1 + erf(x/sqrt 2)) / 2
		if dy == nil {
			store8(xv.Mul(cdf), y[i:])
			continue
		}
		// phi(x) = exp(e) / sqrt(2 pi) with e = -x^2/2 >= -87, as exp32:
		// e = m ln2 + r, a polynomial for exp(r), m added to the exponent.
		var zero f32x8
		e := zero.Sub(xv.Mul(xv).Mul(c(15)).Min(c(17)))
		m := e.Mul(c(18)).RoundToEven()
		r := e.Sub(m.Mul(c(19))).Sub(m.Mul(c(20)))
		ep := c(21).MulAdd(r, c(22)).MulAdd(r, c(23)).MulAdd(r, c(24)).MulAdd(r, c(25)).MulAdd(r, c(26))
		ep = ep.Mul(r).Mul(r).Add(r).Add(c(16))
		ex := ep.AsInt32x8().Add(m.ConvertToInt32().ShiftAllLeft(23)).AsFloat32x8()
		d := xv.Mul(ex).MulAdd(c(27), cdf)
		store8(load8(dy[i:]).Mul(d), y[i:])
	}
	archsimd.ClearAVXUpperBits()
	for i := range n {
		if v := x[i]; i < n8 && v >= geluLow && v <= geluHigh {
			continue
		}
		v := float64(x[i])
		cdf := 0.5 * (1 + math.Erf(v/math.Sqrt2))
		if dy == nil {
			y[i] = float32(v * cdf)
		} else {
			y[i] = float32(float64(dy[i]) * (cdf + v*math.Exp(-0.5*v*v)/math.Sqrt(2*math.Pi)))
		}
	}
}
