package cuda

import (
	"fmt"

	"allnet/engine/backend"
)

// dcnv3Threads is the block size of the DCNv3 kernels (a multiple of 32, so
// that the backward's lane segments never straddle a block's warps).
const dcnv3Threads = 256

// DCNv3 computes the DCNv3 core forward (see backend.DCNv3Geom) with
// kernels/dcnv3.cu: one thread per chunk of a (pixel, group)'s channels,
// overwriting out.
func (b *Backend) DCNv3(out, value, offset, mask backend.Buffer, g backend.DCNv3Geom) {
	dcnv3Check("DCNv3", g, value, offset, mask)
	dcnv3F32("DCNv3", "out", out, g.N*g.OH*g.OW*g.G*g.D)
	v := dcnv3Pick(g.D, out, value)
	nitems := g.N * g.OH * g.OW * g.G
	tpg := (g.D + v.cpt - 1) / v.cpt
	b.launch("dcnv3_fwd_f32_"+v.suffix, dim1(dcnv3Blocks(nitems*tpg)), dim1(dcnv3Threads), 0,
		out, value, offset, mask, g.H, g.W, g.OH, g.OW, g.G, g.D, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW,
		g.OffsetScale, tpg, nitems)
}

// DCNv3Backward accumulates the gradients of DCNv3 into dValue, dOffset and
// dMask (each may be nil): the value gradient with atomics, the offset and
// mask gradients reduced over each group's channels with warp shuffles.
func (b *Backend) DCNv3Backward(dValue, dOffset, dMask, dOut, value, offset, mask backend.Buffer, g backend.DCNv3Geom) {
	const op = "DCNv3Backward"
	dcnv3Check(op, g, value, offset, mask)
	npix := g.N * g.OH * g.OW
	dcnv3F32(op, "dOut", dOut, npix*g.G*g.D)
	if dValue != nil {
		dcnv3F32(op, "dValue", dValue, value.Len())
	}
	if dOffset != nil {
		dcnv3F32(op, "dOffset", dOffset, offset.Len())
	}
	if dMask != nil {
		dcnv3F32(op, "dMask", dMask, mask.Len())
	}
	if dValue == nil && dOffset == nil && dMask == nil {
		return
	}
	// The backward has no two-float4 variant: with four channels per lane a
	// group's atomics into dValue cover more consecutive addresses per
	// instruction (see kernels/dcnv3.cu). dValue only takes scalar atomics,
	// so its alignment does not matter.
	v := dcnv3Pick(g.D, dOut, value)
	if v.cpt == 8 {
		v = dcnv3Variant{"v4x1", 4}
	}
	nitems := npix * g.G
	nchunks := (g.D + v.cpt - 1) / v.cpt
	tpg := 1
	for tpg < nchunks {
		tpg *= 2
	}
	b.launch("dcnv3_bwd_f32_"+v.suffix, dim1(dcnv3Blocks(nitems*tpg)), dim1(dcnv3Threads), 0,
		dValue, dOffset, dMask, dOut, value, offset, mask,
		g.H, g.W, g.OH, g.OW, g.G, g.D, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW,
		g.OffsetScale, tpg, nchunks, nitems)
}

// dcnv3Variant is one compiled width of the kernels: cpt channels per thread.
type dcnv3Variant struct {
	suffix string
	cpt    int
}

// dcnv3Pick chooses the forward kernel variant for group width d: two
// float4 per thread when d % 8 == 0, one when d % 4 == 0 (both need the
// vector-loaded buffers 16-byte aligned), four scalar channels otherwise.
func dcnv3Pick(d int, vec ...backend.Buffer) dcnv3Variant {
	aligned := true
	for _, x := range vec {
		aligned = aligned && uint64(ptrAt(x, 0))%16 == 0
	}
	switch {
	case aligned && d%8 == 0:
		return dcnv3Variant{"v4x2", 8}
	case aligned && d%4 == 0:
		return dcnv3Variant{"v4x1", 4}
	default:
		return dcnv3Variant{"s4", 4}
	}
}

// dcnv3Blocks returns the blocks covering threads threads (the kernels map
// one thread to one work item; they have no grid-stride loop).
func dcnv3Blocks(threads int) int {
	n := (threads + dcnv3Threads - 1) / dcnv3Threads
	if n > maxGridX {
		panic(fmt.Sprintf("cuda: DCNv3: %d threads exceed one launch", threads))
	}
	return n
}

// dcnv3Check validates the geometry and the input buffers; the kernels index
// within one image with 32-bit integers.
func dcnv3Check(op string, g backend.DCNv3Geom, value, offset, mask backend.Buffer) {
	g.Check()
	if int64(g.H)*int64(g.W)*int64(g.G*g.D) >= 1<<31 || int64(g.KH)*int64(g.KW) >= 1<<20 {
		panic(fmt.Sprintf("cuda: %s: geometry %+v too large for 32-bit image indices", op, g))
	}
	npix := g.N * g.OH * g.OW
	dcnv3F32(op, "value", value, g.N*g.H*g.W*g.G*g.D)
	dcnv3F32(op, "offset", offset, npix*g.G*g.P()*2)
	dcnv3F32(op, "mask", mask, npix*g.G*g.P())
}

// dcnv3F32 panics unless buf is a float32 buffer of n elements.
func dcnv3F32(op, name string, buf backend.Buffer, n int) {
	if buf == nil {
		panic(fmt.Sprintf("cuda: %s: %s is nil", op, name))
	}
	if buf.DType() != backend.Float32 || buf.Len() != n {
		panic(fmt.Sprintf("cuda: %s: %s is %v[%d], want float32[%d]", op, name, buf.DType(), buf.Len(), n))
	}
}
