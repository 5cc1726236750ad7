package cpu

import "allnet/engine/backend"

// dcnGatherF32, when set, is a SIMD kernel that sets o (D channels) to
// sum_k w[k] * img[idx[k] : idx[k]+D] (simd_amd64.go).
var dcnGatherF32 func(o, img []float32, idx []int, w []float32)

// dcnv3ForwardF32 is dcnv3Forward for float32 with the SIMD kernel gather:
// for each output pixel and group it lists the in-image corners of the
// contributing points (element index and mask times bilinear weight) and
// hands them to gather at once, which keeps the D channels in registers.
func dcnv3ForwardF32(g backend.DCNv3Geom, out, value, offset, mask []float32, gather func(o, img []float32, idx []int, w []float32)) {
	C, P, D := g.G*g.D, g.P(), g.D
	imgLen := g.H * g.W * C
	sm := newDCNSampler(&g)
	parallelFor(g.N*g.OH*g.OW, max(1, 16384/(g.G*P*D)), func(lo, hi int) {
		var st dcnStencil
		idx, wts := make([]int, 4*P), make([]float32, 4*P)
		for pix := lo; pix < hi; pix++ {
			n, oh, ow := pix/(g.OH*g.OW), pix/g.OW%g.OH, pix%g.OW
			ox, oy := sm.origin(oh, ow)
			for gi := 0; gi < g.G; gi++ {
				q, nc := (pix*g.G+gi)*P, 0
				off, msk := offset[2*q:2*q+2*P], mask[q:q+P]
				for i := 0; i < g.KW; i++ {
					for j := 0; j < g.KH; j++ {
						p := i*g.KH + j
						if !sm.point(&st, ox, oy, i, j, float64(off[2*p]), float64(off[2*p+1])) {
							continue
						}
						m := float64(msk[p])
						for k, at := range st.at {
							if at >= 0 {
								idx[nc], wts[nc] = n*imgLen+at+gi*D, float32(m*st.wt[k])
								nc++
							}
						}
					}
				}
				gather(out[pix*C+gi*D:pix*C+gi*D+D], value, idx[:nc], wts[:nc])
			}
		}
	})
}
