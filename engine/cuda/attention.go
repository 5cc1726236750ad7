package cuda

import (
	"fmt"

	"allnet/engine/backend"
)

// Attention launch constants, matching kernels/attention.cu: 128 threads
// own 32 rows, tiles of the other sequence hold 16*E columns, the
// transposed probability tiles have rows of attnWS floats.
const (
	attnThreads = 128
	attnRows    = 32
	attnWS      = 36
	attnMaxHead = 128
)

// attnVariant is one compiled head-dim class of the kernels: D and DV up to
// hd, with tile widths (16*E columns) for the forward, the dq and the dk/dv
// kernels.
type attnVariant struct {
	hd              int
	eFwd, eDq, eKkv int
}

var attnVariants = []attnVariant{
	{hd: 32, eFwd: 4, eDq: 4, eKkv: 4},
	{hd: 64, eFwd: 4, eDq: 4, eKkv: 2},
	{hd: 128, eFwd: 4, eDq: 2, eKkv: 2},
}

// attnPick returns the smallest variant holding head dims d and dv.
func attnPick(op string, d, dv int) attnVariant {
	for _, v := range attnVariants {
		if d <= v.hd && dv <= v.hd {
			return v
		}
	}
	panic(fmt.Sprintf("cuda: %s: head dims D=%d, DV=%d exceed the kernels' limit %d", op, d, dv, attnMaxHead))
}

// Attention computes out = softmax(Scale*q k^T + bias) v and each row's
// log-sum-exp (see backend.AttnGeom) with one flash-style kernel: a block
// of 128 threads per 32 query rows walks the keys in tiles of 64 with an
// online softmax, so the score matrix never reaches device memory. D and
// DV must be at most 128.
func (b *Backend) Attention(out, lse, q, k, v, bias backend.Buffer, g backend.AttnGeom) {
	const op = "Attention"
	attnCheck(op, g, bias, nil)
	attnF32(op, "out", out, g.Batch*g.Lq*g.DV)
	attnF32(op, "lse", lse, g.Batch*g.Lq)
	attnF32(op, "q", q, g.Batch*g.Lq*g.D)
	attnF32(op, "k", k, g.Batch*g.Lk*g.D)
	attnF32(op, "v", v, g.Batch*g.Lk*g.DV)
	if g.Batch == 0 || g.Lq == 0 {
		return
	}
	vr := attnPick(op, g.D, g.DV)
	bn := 16 * vr.eFwd
	shared := 4 * bn * (max(g.D|1, g.DV|1) + attnWS)
	b.launch(fmt.Sprintf("attention_fwd_f32_h%d", vr.hd), dim1(attnBlocks(op, g.Batch, g.Lq)), dim1(attnThreads), shared,
		out, lse, q, k, v, bias, g.Batch, g.Lq, g.Lk, g.D, g.DV, g.Scale, max(g.BiasBatch, 1))
}

// AttentionBackward computes dq, dk and dv (overwritten) and, when dBias is
// not nil, adds the bias gradient into dBias (summed over the problems
// sharing each bias matrix). It recomputes the probabilities from lse tile
// by tile: a small kernel forms delta_i = dOut_i . out_i (the only
// workspace, Batch*Lq floats), one kernel parallel over query tiles computes
// dq and dBias, and one parallel over key tiles computes dk and dv, so that
// dq, dk and dv each have a single writer (no atomics, deterministic
// results). dBias uses atomics only when BiasBatch < Batch.
func (b *Backend) AttentionBackward(dq, dk, dv, dBias, dOut, q, k, v, bias, out, lse backend.Buffer, g backend.AttnGeom) {
	const op = "AttentionBackward"
	attnCheck(op, g, bias, dBias)
	attnF32(op, "dq", dq, g.Batch*g.Lq*g.D)
	attnF32(op, "dk", dk, g.Batch*g.Lk*g.D)
	attnF32(op, "dv", dv, g.Batch*g.Lk*g.DV)
	attnF32(op, "dOut", dOut, g.Batch*g.Lq*g.DV)
	attnF32(op, "q", q, g.Batch*g.Lq*g.D)
	attnF32(op, "k", k, g.Batch*g.Lk*g.D)
	attnF32(op, "v", v, g.Batch*g.Lk*g.DV)
	attnF32(op, "out", out, g.Batch*g.Lq*g.DV)
	attnF32(op, "lse", lse, g.Batch*g.Lq)
	if g.Batch == 0 {
		return
	}
	vr := attnPick(op, g.D, g.DV)
	bb := max(g.BiasBatch, 1)
	rows := g.Batch * g.Lq
	delta := b.Alloc(backend.Float32, rows)
	defer b.Free(delta)
	if rows > 0 {
		b.launch("attention_bwd_delta_f32", dim1(blocksFor(rows, 8)), dim1(256), 0, delta, dOut, out, rows, g.DV)
	}
	ldk, ldv := g.D|1, g.DV|1
	if g.Lq > 0 {
		bn := 16 * vr.eDq
		shared := 4 * bn * (ldk + ldv + attnWS)
		b.launch(fmt.Sprintf("attention_bwd_dq_f32_h%d", vr.hd), dim1(attnBlocks(op, g.Batch, g.Lq)), dim1(attnThreads), shared,
			dq, dBias, dOut, q, k, v, bias, lse, delta, g.Batch, g.Lq, g.Lk, g.D, g.DV, g.Scale, bb)
	}
	if g.Lk > 0 {
		bn := 16 * vr.eKkv
		shared := 4 * bn * (ldk + ldv + 2*attnWS + 2)
		b.launch(fmt.Sprintf("attention_bwd_dkdv_f32_h%d", vr.hd), dim1(attnBlocks(op, g.Batch, g.Lk)), dim1(attnThreads), shared,
			dk, dv, dOut, q, k, v, bias, lse, delta, g.Batch, g.Lq, g.Lk, g.D, g.DV, g.Scale, bb)
	}
}

// attnBlocks returns the number of blocks (one per problem and 32 rows of
// a sequence of length n).
func attnBlocks(op string, batch, n int) int {
	blocks := int64(batch) * int64((n+attnRows-1)/attnRows)
	if blocks > maxGridX {
		panic(fmt.Sprintf("cuda: %s: %d blocks exceed one launch", op, blocks))
	}
	return int(blocks)
}

// attnCheck panics on a negative geometry, head dims over 128, or a bias
// (or its gradient) without a positive BiasBatch or of the wrong length.
func attnCheck(op string, g backend.AttnGeom, bias, dBias backend.Buffer) {
	if g.Batch < 0 || g.Lq < 0 || g.Lk < 0 || g.D < 0 || g.DV < 0 ||
		((bias != nil || dBias != nil) && g.BiasBatch <= 0) {
		panic(fmt.Sprintf("cuda: %s: bad geometry %+v", op, g))
	}
	if g.D > attnMaxHead || g.DV > attnMaxHead {
		panic(fmt.Sprintf("cuda: %s: head dims D=%d, DV=%d exceed the kernels' limit %d", op, g.D, g.DV, attnMaxHead))
	}
	if bias != nil {
		attnF32(op, "bias", bias, g.BiasBatch*g.Lq*g.Lk)
	}
	if dBias != nil {
		attnF32(op, "dBias", dBias, g.BiasBatch*g.Lq*g.Lk)
	}
}

// attnF32 panics unless buf is a float32 buffer of n elements.
func attnF32(op, name string, buf backend.Buffer, n int) {
	if buf == nil {
		panic(fmt.Sprintf("cuda: %s: %s is nil", op, name))
	}
	if buf.DType() != backend.Float32 || buf.Len() != n {
		panic(fmt.Sprintf("cuda: %s: %s is %v[%d], want float32[%d]", op, name, buf.DType(), buf.Len(), n))
	}
}
