package cpu

import (
	"runtime"

	"allnet/engine/backend"
)

// DCNv3 computes the DCNv3 core forward (see backend.DCNv3Geom), in parallel
// over output pixels. Each point's location and bilinear weights are computed
// once, in float64, and then applied to the group's D contiguous channels.
func (*CPU) DCNv3(out, value, offset, mask backend.Buffer, g backend.DCNv3Geom) {
	checkDCNv3("DCNv3", g, value, offset, mask)
	checkLen("DCNv3", "out", out, g.N*g.OH*g.OW*g.G*g.D)
	if isF64(value) {
		dcnv3Forward(g, floats[float64](out), floats[float64](value), floats[float64](offset), floats[float64](mask))
	} else {
		dcnv3Forward(g, floats[float32](out), floats[float32](value), floats[float32](offset), floats[float32](mask))
	}
}

// DCNv3Backward accumulates the gradients of DCNv3 into dValue, dOffset and
// dMask (each may be nil). dOffset and dMask belong to one output pixel each
// and are computed in parallel over output pixels; dValue is scattered
// without races and deterministically (see dcnv3Backward).
func (*CPU) DCNv3Backward(dValue, dOffset, dMask, dOut, value, offset, mask backend.Buffer, g backend.DCNv3Geom) {
	checkDCNv3("DCNv3Backward", g, value, offset, mask)
	npix := g.N * g.OH * g.OW
	checkLen("DCNv3Backward", "dOut", dOut, npix*g.G*g.D)
	if dValue != nil {
		checkLen("DCNv3Backward", "dValue", dValue, value.Len())
	}
	if dOffset != nil {
		checkLen("DCNv3Backward", "dOffset", dOffset, offset.Len())
	}
	if dMask != nil {
		checkLen("DCNv3Backward", "dMask", dMask, mask.Len())
	}
	if dValue == nil && dOffset == nil && dMask == nil {
		return
	}
	if isF64(value) {
		dcnv3Backward(g, floats[float64](dValue), floats[float64](dOffset), floats[float64](dMask),
			floats[float64](dOut), floats[float64](value), floats[float64](offset), floats[float64](mask))
	} else {
		dcnv3Backward(g, floats[float32](dValue), floats[float32](dOffset), floats[float32](dMask),
			floats[float32](dOut), floats[float32](value), floats[float32](offset), floats[float32](mask))
	}
}

func checkDCNv3(op string, g backend.DCNv3Geom, value, offset, mask backend.Buffer) {
	g.Check()
	npix := g.N * g.OH * g.OW
	checkLen(op, "value", value, g.N*g.H*g.W*g.G*g.D)
	checkLen(op, "offset", offset, npix*g.G*g.P()*2)
	checkLen(op, "mask", mask, npix*g.G*g.P())
}

// dcnSampler turns a point's offsets into its bilinear stencil, for one
// geometry.
type dcnSampler struct {
	g      *backend.DCNv3Geom
	C      int
	fW, fH float64
	kx, ky []float64 // tap positions relative to the kernel centre: i*DW - cx, j*DH - cy
}

func newDCNSampler(g *backend.DCNv3Geom) *dcnSampler {
	s := &dcnSampler{g: g, C: g.G * g.D, fW: float64(g.W), fH: float64(g.H),
		kx: make([]float64, g.KW), ky: make([]float64, g.KH)}
	cx, cy := g.DW*(g.KW-1)/2, g.DH*(g.KH-1)/2
	for i := range s.kx {
		s.kx[i] = float64(i*g.DW - cx)
	}
	for j := range s.ky {
		s.ky[j] = float64(j*g.DH - cy)
	}
	return s
}

// origin returns the kernel centre of output pixel (oh, ow) in unpadded input
// coordinates.
func (s *dcnSampler) origin(oh, ow int) (x, y float64) {
	g := s.g
	return float64(ow*g.SW - g.PW + g.DW*(g.KW-1)/2), float64(oh*g.SH - g.PH + g.DH*(g.KH-1)/2)
}

// dcnStencil is the bilinear stencil of one sampling point: its top-left
// corner (h0, w0), the fractional parts (lh, lw), and for the corners
// top-left, top-right, bottom-left, bottom-right their element index
// (h*W + w)*C in the image, or -1 outside, and their weights, 0 outside.
type dcnStencil struct {
	h0, w0 int
	lh, lw float64
	at     [4]int
	wt     [4]float64
}

// point fills st for tap (i, j) (kernel column i, row j) of the output pixel
// whose kernel centre is (ox, oy), and reports whether the point contributes,
// that is whether its location lies inside (-1, W) x (-1, H).
func (s *dcnSampler) point(st *dcnStencil, ox, oy float64, i, j int, offX, offY float64) bool {
	x := ox + (s.kx[i]+offX)*s.g.OffsetScale
	y := oy + (s.ky[j]+offY)*s.g.OffsetScale
	if !(x > -1 && y > -1 && x < s.fW && y < s.fH) {
		return false
	}
	fx, fy := dcnFloor(x), dcnFloor(y)
	h0, w0 := int(fy), int(fx)
	lh, lw := y-fy, x-fx
	hh, hw := 1-lh, 1-lw
	st.h0, st.w0, st.lh, st.lw = h0, w0, lh, lw
	st.wt = [4]float64{hh * hw, hh * lw, lh * hw, lh * lw}
	W, C := s.g.W, s.C
	base := (h0*W + w0) * C
	st.at = [4]int{base, base + C, base + W*C, base + W*C + C}
	if h0 < 0 {
		st.at[0], st.at[1], st.wt[0], st.wt[1] = -1, -1, 0, 0
	}
	if h0+1 >= s.g.H {
		st.at[2], st.at[3], st.wt[2], st.wt[3] = -1, -1, 0, 0
	}
	if w0 < 0 {
		st.at[0], st.at[2], st.wt[0], st.wt[2] = -1, -1, 0, 0
	}
	if w0+1 >= W {
		st.at[1], st.at[3], st.wt[1], st.wt[3] = -1, -1, 0, 0
	}
	return true
}

// dcnFloor is math.Floor for |v| < 2^62, without a function call.
func dcnFloor(v float64) float64 {
	f := float64(int64(v))
	if f > v {
		f--
	}
	return f
}

// dcnCorner returns the D channels at group offset gd of the corner at element
// index at of img, or zero (a slice of D zeros) when at < 0.
func dcnCorner[T Float](img []T, at, gd int, zero []T) []T {
	if at < 0 {
		return zero
	}
	at += gd
	return img[at : at+len(zero) : at+len(zero)]
}

func dcnv3Forward[T Float](g backend.DCNv3Geom, out, value, offset, mask []T) {
	if f := dcnGatherF32; f != nil {
		if out32, ok := any(out).([]float32); ok {
			dcnv3ForwardF32(g, out32, any(value).([]float32), any(offset).([]float32), any(mask).([]float32), f)
			return
		}
	}
	C, P, D := g.G*g.D, g.P(), g.D
	imgLen := g.H * g.W * C
	zero := make([]T, D)
	sm := newDCNSampler(&g)
	parallelFor(g.N*g.OH*g.OW, max(1, 16384/(g.G*P*D)), func(lo, hi int) {
		var st dcnStencil
		for pix := lo; pix < hi; pix++ {
			n, oh, ow := pix/(g.OH*g.OW), pix/g.OW%g.OH, pix%g.OW
			img := value[n*imgLen : (n+1)*imgLen]
			ox, oy := sm.origin(oh, ow)
			for gi := 0; gi < g.G; gi++ {
				o := out[pix*C+gi*D : pix*C+gi*D+D]
				clear(o)
				q := (pix*g.G + gi) * P
				for i := 0; i < g.KW; i++ {
					for j := 0; j < g.KH; j++ {
						p := q + i*g.KH + j
						if !sm.point(&st, ox, oy, i, j, float64(offset[2*p]), float64(offset[2*p+1])) {
							continue
						}
						m := float64(mask[p])
						w0, w1, w2, w3 := T(m*st.wt[0]), T(m*st.wt[1]), T(m*st.wt[2]), T(m*st.wt[3])
						a := dcnCorner(img, st.at[0], gi*D, zero)[:len(o)]
						b := dcnCorner(img, st.at[1], gi*D, zero)[:len(o)]
						c := dcnCorner(img, st.at[2], gi*D, zero)[:len(o)]
						d := dcnCorner(img, st.at[3], gi*D, zero)[:len(o)]
						for k := range o {
							o[k] += w0*a[k] + w1*b[k] + w2*c[k] + w3*d[k]
						}
					}
				}
			}
		}
	})
}

// dcnv3Backward splits the output pixels into one contiguous chunk per
// worker. dOffset and dMask are written per pixel. For dValue, a first pass
// finds the range of input rows (n*H + h) each chunk's points touch; rows
// touched by one chunk only are accumulated into dValue directly by that
// chunk, and rows shared by several chunks go to per-chunk buffers that are
// added to dValue afterwards in chunk order, so the result depends only on
// GOMAXPROCS, never on scheduling.
func dcnv3Backward[T Float](g backend.DCNv3Geom, dValue, dOffset, dMask, dOut, value, offset, mask []T) {
	npix := g.N * g.OH * g.OW
	nch := min(runtime.GOMAXPROCS(0), max(1, npix*g.G*g.P()*g.D/4096))
	bounds := func(c int) (int, int) { return c * npix / nch, (c + 1) * npix / nch }
	var sv *dcnShared[T]
	if dValue != nil {
		sv = newDCNShared[T](&g, offset, nch, bounds)
	}
	parallelFor(nch, 1, func(clo, chi int) {
		for c := clo; c < chi; c++ {
			lo, hi := bounds(c)
			dcnv3BackwardChunk(&g, sv, c, lo, hi, dValue, dOffset, dMask, dOut, value, offset, mask)
		}
	})
	if sv != nil {
		sv.merge(dValue, g.W*g.G*g.D)
	}
}

// dcnShared describes how the chunks of a backward pass share input rows:
// shared[r] marks rows touched by several chunks, and chunk c keeps its
// contributions to shared rows lo[c]..lo[c]+rows(c)-1 in local[c].
type dcnShared[T Float] struct {
	shared []bool
	lo     []int
	local  [][]T
}

// newDCNShared finds each chunk's range of input rows (conservatively: the
// rows of its contributing points' in-image corners), marks the rows that
// several ranges cover and gives each chunk a zeroed buffer spanning its
// shared rows.
func newDCNShared[T Float](g *backend.DCNv3Geom, offset []T, nch int, bounds func(int) (int, int)) *dcnShared[T] {
	rows, P := g.N*g.H, g.P()
	sm := newDCNSampler(g)
	first, last := make([]int, nch), make([]int, nch)
	parallelFor(nch, 1, func(clo, chi int) {
		var st dcnStencil
		for c := clo; c < chi; c++ {
			first[c], last[c] = rows, -1
			lo, hi := bounds(c)
			for pix := lo; pix < hi; pix++ {
				n, oh, ow := pix/(g.OH*g.OW), pix/g.OW%g.OH, pix%g.OW
				ox, oy := sm.origin(oh, ow)
				for q := pix * g.G * P; q < (pix+1)*g.G*P; q++ {
					pq := q % P
					if !sm.point(&st, ox, oy, pq/g.KH, pq%g.KH, float64(offset[2*q]), float64(offset[2*q+1])) {
						continue
					}
					r0, r1 := n*g.H+max(st.h0, 0), n*g.H+min(st.h0+1, g.H-1)
					first[c], last[c] = min(first[c], r0), max(last[c], r1)
				}
			}
		}
	})
	cover := make([]int, rows+1)
	for c := range nch {
		if first[c] <= last[c] {
			cover[first[c]]++
			cover[last[c]+1]--
		}
	}
	sv := &dcnShared[T]{shared: make([]bool, rows), lo: make([]int, nch), local: make([][]T, nch)}
	run := 0
	for r := range rows {
		run += cover[r]
		sv.shared[r] = run > 1
	}
	rowLen := g.W * g.G * g.D
	for c := range nch {
		lo, hi := rows, -1 // the shared rows of chunk c
		for r := first[c]; r <= last[c]; r++ {
			if sv.shared[r] {
				lo, hi = min(lo, r), r
			}
		}
		if lo <= hi {
			sv.lo[c] = lo
			sv.local[c] = make([]T, (hi-lo+1)*rowLen)
		}
	}
	return sv
}

// target returns where chunk c accumulates the gradient of the D elements
// of dValue starting at at, which lie in input row r = n*H + h.
func (sv *dcnShared[T]) target(c, r, at, D, rowLen int, dValue []T) []T {
	if sv.shared[r] {
		at -= sv.lo[c] * rowLen
		return sv.local[c][at : at+D : at+D]
	}
	return dValue[at : at+D : at+D]
}

// merge adds the chunks' shared-row buffers into dValue, chunk by chunk in
// order for every row, in parallel over rows.
func (sv *dcnShared[T]) merge(dValue []T, rowLen int) {
	parallelFor(len(sv.shared), max(1, 16384/rowLen), func(rlo, rhi int) {
		for r := rlo; r < rhi; r++ {
			if !sv.shared[r] {
				continue
			}
			dst := dValue[r*rowLen : (r+1)*rowLen]
			for c, loc := range sv.local {
				k := r - sv.lo[c]
				if loc == nil || k < 0 || (k+1)*rowLen > len(loc) {
					continue
				}
				src := loc[k*rowLen : (k+1)*rowLen]
				for i := range dst {
					dst[i] += src[i]
				}
			}
		}
	})
}

// dcnv3BackwardChunk handles output pixels [lo, hi) as chunk c.
func dcnv3BackwardChunk[T Float](g *backend.DCNv3Geom, sv *dcnShared[T], c, lo, hi int,
	dValue, dOffset, dMask, dOut, value, offset, mask []T) {
	C, P, D := g.G*g.D, g.P(), g.D
	imgLen, rowLen := g.H*g.W*C, g.W*C
	zero, sink := make([]T, D), make([]T, D)
	sm := newDCNSampler(g)
	var st dcnStencil
	for pix := lo; pix < hi; pix++ {
		n, oh, ow := pix/(g.OH*g.OW), pix/g.OW%g.OH, pix%g.OW
		img := value[n*imgLen : (n+1)*imgLen]
		ox, oy := sm.origin(oh, ow)
		for gi := 0; gi < g.G; gi++ {
			t := dOut[pix*C+gi*D : pix*C+gi*D+D]
			q := (pix*g.G + gi) * P
			for i := 0; i < g.KW; i++ {
				for j := 0; j < g.KH; j++ {
					p := q + i*g.KH + j
					if !sm.point(&st, ox, oy, i, j, float64(offset[2*p]), float64(offset[2*p+1])) {
						continue
					}
					m := float64(mask[p])
					a := dcnCorner(img, st.at[0], gi*D, zero)[:len(t)]
					b := dcnCorner(img, st.at[1], gi*D, zero)[:len(t)]
					cc := dcnCorner(img, st.at[2], gi*D, zero)[:len(t)]
					d := dcnCorner(img, st.at[3], gi*D, zero)[:len(t)]
					// With corners v0..v3 (top-left, top-right, bottom-left,
					// bottom-right; zero outside), accumulate over the channels
					// s = sum t*v0, ex = sum t*(v1-v0), ey = sum t*(v2-v0) and
					// e = sum t*(v3-v2): differences keep the location
					// gradients accurate in float32 where neighbours are close.
					// dValue's corners get m * weight * t.
					var s0, ex, ey, e T
					if dValue == nil {
						for k, tk := range t {
							s0 += tk * a[k]
							ex += tk * (b[k] - a[k])
							ey += tk * (cc[k] - a[k])
							e += tk * (d[k] - cc[k])
						}
					} else {
						var ds [4][]T
						for k := range ds {
							ds[k] = sink
							if st.at[k] >= 0 {
								ds[k] = sv.target(c, n*g.H+st.h0+k/2, n*imgLen+st.at[k]+gi*D, D, rowLen, dValue)
							}
						}
						m0, m1, m2, m3 := T(m*st.wt[0]), T(m*st.wt[1]), T(m*st.wt[2]), T(m*st.wt[3])
						da, db, dc, dd := ds[0][:len(t)], ds[1][:len(t)], ds[2][:len(t)], ds[3][:len(t)]
						for k, tk := range t {
							s0 += tk * a[k]
							ex += tk * (b[k] - a[k])
							ey += tk * (cc[k] - a[k])
							e += tk * (d[k] - cc[k])
							da[k] += m0 * tk
							db[k] += m1 * tk
							dc[k] += m2 * tk
							dd[k] += m3 * tk
						}
					}
					fs, fx, fy, fe := float64(s0), float64(ex), float64(ey), float64(e)
					if dMask != nil {
						w := &st.wt
						dMask[p] += T((w[0]+w[1]+w[2]+w[3])*fs + w[1]*fx + w[2]*fy + w[3]*(fy+fe))
					}
					if dOffset != nil {
						// d/dx = (1-lh)*sum t*(v1-v0) + lh*sum t*(v3-v2);
						// d/dy = (1-lw)*sum t*(v2-v0) + lw*sum t*(v3-v1).
						sc := g.OffsetScale * m
						dOffset[2*p] += T(sc * ((1-st.lh)*fx + st.lh*fe))
						dOffset[2*p+1] += T(sc * ((1-st.lw)*fy + st.lw*(fy+fe-fx)))
					}
				}
			}
		}
	}
}
