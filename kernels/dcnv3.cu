// dcnv3.cu: the DCNv3 core (backend.DCNv3Geom), forward and backward.
//
// Layout (channels last): value (N, H, W, G*D), offset (N, OH, OW, G*P*2),
// mask (N, OH, OW, G*P), out (N, OH, OW, G*D), P = KH*KW, point p = i*KH + j
// (i over the kernel's columns, j over its rows).
//
// Work split, after DCNv4: an item is one (output pixel, group); its D
// channels are cut into chunks of CPT = VW*NV channels, and one thread owns
// one chunk (the threads of an item are consecutive, so a warp reads and
// writes whole runs of channels). A thread reads each point's offset and
// mask once, computes the point's bilinear stencil once, and applies it to
// all its channels with VW-wide loads (VW = 4: float4, when D % 4 == 0 and
// the buffers are 16-byte aligned; VW = 1: scalar loads, any D).
//
// Backward: the threads of an item form a warp-aligned segment of tpg
// lanes (tpg = the chunk count rounded up to a power of two; the lanes past
// the item's chunks hold zeros). Each lane forms its channels' share of the
// point's mask and location gradients, and the segment (or each warp of it,
// when tpg > 32) sums them with __shfl_xor_sync; its first lane adds them to
// dMask and dOffset, with a plain read-modify-write when one warp owns the
// item (the usual case, D <= 32*CPT) and with atomicAdd when several warps
// share it. The value gradient, which many points scatter into, uses
// atomicAdd, lane l taking channels l, l+tpg, l+2*tpg, ... so that each
// atomic instruction of a segment covers consecutive addresses. Every live
// lane of a warp runs the same shuffles in the same order (points that do
// not contribute shuffle zeros), as the emulator requires.
#include "common.cuh"

// dcnv3_geom is the geometry in 32-bit integers (per-image indices fit).
struct dcnv3_geom {
	int H, W, OH, OW, G, D, KH, KW, SH, SW, PH, PW, DH, DW;
	float scale;
};

// dcnv3_stencil is one sampling point's bilinear stencil: the element offset
// of its top-left corner from pixel (0, 0) of the image (negative when that
// corner lies above or left of the image), which of the four corners
// (top-left, top-right, bottom-left, bottom-right) lie inside the image,
// their bilinear weights (0 outside), and the fractional parts lh, lw.
struct dcnv3_stencil {
	int at;
	bool in0, in1, in2, in3;
	float w0, w1, w2, w3;
	float lh, lw;
};

// dcnv3_point fills s for the point at (ox + tx, oy + ty), where (ox, oy)
// is the kernel centre (integers) and (tx, ty) the point's displacement
// from it, and reports whether the point contributes (-1 < x < W and
// -1 < y < H). The floor is taken of the small displacement, which keeps
// the fractional parts accurate in float32. C is the channel count G*D.
static __device__ __forceinline__ bool dcnv3_point(dcnv3_stencil& s, float tx, float ty, int ox, int oy, int H,
	int W, int C) {
	float fx = floorf(tx), fy = floorf(ty);
	// x = ox + fx + lw lies in (-1, W) iff -1 <= ox + fx < W, except x = -1.
	if (!(fx >= (float)(-1 - ox) && fx < (float)(W - ox) && fy >= (float)(-1 - oy) && fy < (float)(H - oy)))
		return false;
	s.lw = tx - fx;
	s.lh = ty - fy;
	int w0 = ox + (int)fx, h0 = oy + (int)fy;
	if ((w0 == -1 && s.lw == 0.f) || (h0 == -1 && s.lh == 0.f)) return false;
	bool top = h0 >= 0, bottom = h0 + 1 < H, left = w0 >= 0, right = w0 + 1 < W;
	s.in0 = top && left;
	s.in1 = top && right;
	s.in2 = bottom && left;
	s.in3 = bottom && right;
	float hh = 1.f - s.lh, hw = 1.f - s.lw;
	s.w0 = s.in0 ? hh * hw : 0.f;
	s.w1 = s.in1 ? hh * s.lw : 0.f;
	s.w2 = s.in2 ? s.lh * hw : 0.f;
	s.w3 = s.in3 ? s.lh * s.lw : 0.f;
	s.at = (h0 * W + w0) * C;
	return true;
}

// dcnv3_load reads the VW*NV channels at p into r, or zeros where the
// channel index (from p) reaches n or where in is false. With VW == 4, p is
// 16-byte aligned and n a multiple of 4.
template <int VW, int NV>
static __device__ __forceinline__ void dcnv3_load(float* r, const float* p, int n, bool in) {
	if (VW == 4) {
#pragma unroll
		for (int k = 0; k < NV; k++) {
			float4 q = make_float4(0.f, 0.f, 0.f, 0.f);
			if (in && 4 * k < n) q = __ldg(reinterpret_cast<const float4*>(p) + k);
			r[4 * k] = q.x;
			r[4 * k + 1] = q.y;
			r[4 * k + 2] = q.z;
			r[4 * k + 3] = q.w;
		}
	} else {
#pragma unroll
		for (int k = 0; k < NV; k++) r[k] = (in && k < n) ? __ldg(p + k) : 0.f;
	}
}

// dcnv3_item splits an item (item = pixel*G + gi, the threads of an item
// being tid = item*tpg + lane) into its output pixel (n, oh, ow) and group gi.
static __device__ __forceinline__ void dcnv3_item(const dcnv3_geom& g, i64 item, int& n, int& oh, int& ow, int& gi) {
	i64 pix = item / g.G;
	gi = (int)(item - pix * g.G);
	i64 q = pix / g.OW;
	ow = (int)(pix - q * g.OW);
	n = (int)(q / g.OH);
	oh = (int)(q - (i64)n * g.OH);
}

// dcnv3_fwd: one thread per (item, chunk), tpg = chunks per item.
template <int VW, int NV>
static __device__ __forceinline__ void dcnv3_fwd(float* __restrict__ out, const float* __restrict__ value,
	const float* __restrict__ offset, const float* __restrict__ mask, const dcnv3_geom& g, int tpg, i64 nitems) {
	const int CPT = VW * NV;
	i64 tid = (i64)blockIdx.x * blockDim.x + threadIdx.x;
	i64 item = tid / tpg;
	if (item >= nitems) return;
	int c0 = (int)(tid - item * tpg) * CPT;  // the chunk's first channel in the group
	int nleft = g.D - c0;
	int n, oh, ow, gi;
	dcnv3_item(g, item, n, oh, ow, gi);
	int C = g.G * g.D, P = g.KH * g.KW;
	int cx = g.DW * (g.KW - 1) / 2, cy = g.DH * (g.KH - 1) / 2;
	int ox = ow * g.SW - g.PW + cx, oy = oh * g.SH - g.PH + cy;
	const float* img = value + (i64)n * g.H * g.W * C + gi * g.D + c0;
	const float* off = offset + item * P * 2;
	const float* msk = mask + item * P;

	float acc[CPT];
#pragma unroll
	for (int k = 0; k < CPT; k++) acc[k] = 0.f;
	dcnv3_stencil s;
	int p = 0;
	for (int i = 0; i < g.KW; i++) {
		float kx = (float)(i * g.DW - cx);
		for (int j = 0; j < g.KH; j++, p++) {
			float tx = (kx + __ldg(off + 2 * p)) * g.scale;
			float ty = ((float)(j * g.DH - cy) + __ldg(off + 2 * p + 1)) * g.scale;
			if (!dcnv3_point(s, tx, ty, ox, oy, g.H, g.W, C)) continue;
			float m = __ldg(msk + p);
			const float* c = img + s.at;
			float v0[CPT], v1[CPT], v2[CPT], v3[CPT];
			dcnv3_load<VW, NV>(v0, c, nleft, s.in0);
			dcnv3_load<VW, NV>(v1, c + C, nleft, s.in1);
			dcnv3_load<VW, NV>(v2, c + g.W * C, nleft, s.in2);
			dcnv3_load<VW, NV>(v3, c + g.W * C + C, nleft, s.in3);
			float a0 = m * s.w0, a1 = m * s.w1, a2 = m * s.w2, a3 = m * s.w3;
#pragma unroll
			for (int k = 0; k < CPT; k++) acc[k] += a0 * v0[k] + a1 * v1[k] + a2 * v2[k] + a3 * v3[k];
		}
	}
	float* o = out + item * g.D + c0;  // pixel*C + gi*D = item*D
	if (VW == 4) {
#pragma unroll
		for (int k = 0; k < NV; k++)
			if (4 * k < nleft)
				reinterpret_cast<float4*>(o)[k] = make_float4(acc[4 * k], acc[4 * k + 1], acc[4 * k + 2], acc[4 * k + 3]);
	} else {
#pragma unroll
		for (int k = 0; k < NV; k++)
			if (k < nleft) o[k] = acc[k];
	}
}

// dcnv3_bwd: a segment of tpg lanes (a power of two) per item; lane l owns
// chunk l when l < nchunks for the dot products, and channels l + tpg*k
// (k < CPT) for the value gradient.
template <int VW, int NV>
static __device__ __forceinline__ void dcnv3_bwd(float* __restrict__ dValue, float* __restrict__ dOffset,
	float* __restrict__ dMask, const float* __restrict__ dOut, const float* __restrict__ value,
	const float* __restrict__ offset, const float* __restrict__ mask, const dcnv3_geom& g, int tpg, int nchunks,
	i64 nitems) {
	const int CPT = VW * NV;
	i64 tid = (i64)blockIdx.x * blockDim.x + threadIdx.x;
	i64 item = tid / tpg;
	if (item >= nitems) return;  // whole segments (whole warps when tpg >= 32)
	int lane = (int)(tid - item * tpg);
	int width = tpg < 32 ? tpg : 32;
	unsigned seg = width == 32 ? 0xffffffffu : ((1u << width) - 1u) << ((threadIdx.x % 32) & ~(unsigned)(width - 1));
	bool own = lane < nchunks;
	int c0 = lane * CPT, nleft = own ? g.D - c0 : 0;
	int n, oh, ow, gi;
	dcnv3_item(g, item, n, oh, ow, gi);
	int C = g.G * g.D, P = g.KH * g.KW;
	int cx = g.DW * (g.KW - 1) / 2, cy = g.DH * (g.KH - 1) / 2;
	int ox = ow * g.SW - g.PW + cx, oy = oh * g.SH - g.PH + cy;
	i64 img = (i64)n * g.H * g.W * C + gi * g.D;  // the group's channel 0 of pixel (0, 0)
	const float* off = offset + item * P * 2;
	const float* msk = mask + item * P;
	const float* dout = dOut + item * g.D;  // pixel*C + gi*D = item*D
	bool geo = dOffset != nullptr || dMask != nullptr;

	// dOut twice: t holds the lane's chunk (for the dot products with the
	// vector-loaded corners), ti the channels lane + tpg*k (for the
	// atomics, so that the segment's lanes hit consecutive addresses).
	float t[CPT], ti[CPT];
	dcnv3_load<VW, NV>(t, dout + c0, nleft, geo && own);
#pragma unroll
	for (int k = 0; k < CPT; k++) {
		int ch = lane + tpg * k;
		ti[k] = dValue != nullptr && ch < g.D ? __ldg(dout + ch) : 0.f;
	}
	dcnv3_stencil s;
	int p = 0;
	for (int i = 0; i < g.KW; i++) {
		float kx = (float)(i * g.DW - cx);
		for (int j = 0; j < g.KH; j++, p++) {
			float tx = (kx + __ldg(off + 2 * p)) * g.scale;
			float ty = ((float)(j * g.DH - cy) + __ldg(off + 2 * p + 1)) * g.scale;
			bool in = dcnv3_point(s, tx, ty, ox, oy, g.H, g.W, C);  // the same for the whole segment
			float gm = 0.f, gx = 0.f, gy = 0.f, m = 0.f;
			if (in) {
				m = __ldg(msk + p);
				i64 a0 = img + s.at, a1 = a0 + C, a2 = a0 + g.W * C, a3 = a2 + C;
				if (geo && own) {
					// Over the lane's channels: s0 = t.v0, ex = t.(v1-v0),
					// ey = t.(v2-v0), e = t.(v3-v2) (differences keep the
					// location gradients accurate where neighbours are close).
					float v0[CPT], v1[CPT], v2[CPT], v3[CPT];
					dcnv3_load<VW, NV>(v0, value + a0 + c0, nleft, s.in0);
					dcnv3_load<VW, NV>(v1, value + a1 + c0, nleft, s.in1);
					dcnv3_load<VW, NV>(v2, value + a2 + c0, nleft, s.in2);
					dcnv3_load<VW, NV>(v3, value + a3 + c0, nleft, s.in3);
					float s0 = 0.f, ex = 0.f, ey = 0.f, e = 0.f;
#pragma unroll
					for (int k = 0; k < CPT; k++) {
						s0 += t[k] * v0[k];
						ex += t[k] * (v1[k] - v0[k]);
						ey += t[k] * (v2[k] - v0[k]);
						e += t[k] * (v3[k] - v2[k]);
					}
					// d/dm = sum_k w_k t.v_k; d/dx = (1-lh) ex + lh e;
					// d/dy = (1-lw) ey + lw (t.v3 - t.v1) = (1-lw) ey + lw (ey + e - ex).
					gm = (s.w0 + s.w1 + s.w2 + s.w3) * s0 + s.w1 * ex + s.w2 * ey + s.w3 * (ey + e);
					gx = (1.f - s.lh) * ex + s.lh * e;
					gy = (1.f - s.lw) * ey + s.lw * (ey + e - ex);
				}
				if (dValue != nullptr) {
					float m0 = m * s.w0, m1 = m * s.w1, m2 = m * s.w2, m3 = m * s.w3;
#pragma unroll
					for (int k = 0; k < CPT; k++) {
						int ch = lane + tpg * k;
						if (ch >= g.D) break;
						if (s.in0) atomicAdd(dValue + a0 + ch, m0 * ti[k]);
						if (s.in1) atomicAdd(dValue + a1 + ch, m1 * ti[k]);
						if (s.in2) atomicAdd(dValue + a2 + ch, m2 * ti[k]);
						if (s.in3) atomicAdd(dValue + a3 + ch, m3 * ti[k]);
					}
				}
			}
			if (geo) {
				for (int o = width / 2; o > 0; o >>= 1) {
					gm += __shfl_xor_sync(seg, gm, o);
					gx += __shfl_xor_sync(seg, gx, o);
					gy += __shfl_xor_sync(seg, gy, o);
				}
				if (in && (lane & (width - 1)) == 0) {
					i64 qp = item * P + p;
					float sc = g.scale * m;
					if (tpg <= 32) {
						if (dMask) dMask[qp] += gm;
						if (dOffset) {
							dOffset[2 * qp] += sc * gx;
							dOffset[2 * qp + 1] += sc * gy;
						}
					} else {
						if (dMask) atomicAdd(dMask + qp, gm);
						if (dOffset) {
							atomicAdd(dOffset + 2 * qp, sc * gx);
							atomicAdd(dOffset + 2 * qp + 1, sc * gy);
						}
					}
				}
			}
		}
	}
}

// The launchable variants: forward _v4x2 (8 channels per thread in two
// float4), _v4x1 (4 channels, one float4) and _s4 (4 channels, scalar
// loads); backward _v4x1 and _s4 (with 4 channels per thread a group of 16
// channels spreads over 4 lanes, whose value-gradient atomics then cover 16
// consecutive floats per instruction). Blocks have 256 threads
// (engine/cuda/dcnv3.go); the backward is held to 64 registers (4 blocks
// per SM; 80 and 3 for the scalar one), which it fits without spilling.
#define DCNV3_FWD_PARAMS                                                                                            \
	float* __restrict__ out, const float* __restrict__ value, const float* __restrict__ offset,                      \
		const float* __restrict__ mask, i64 H, i64 W, i64 OH, i64 OW, i64 G, i64 D, i64 KH, i64 KW, i64 SH, i64 SW, \
		i64 PH, i64 PW, i64 DH, i64 DW, double scale, i64 tpg, i64 nitems
#define DCNV3_BWD_PARAMS                                                                                            \
	float* __restrict__ dValue, float* __restrict__ dOffset, float* __restrict__ dMask,                             \
		const float* __restrict__ dOut, const float* __restrict__ value, const float* __restrict__ offset,           \
		const float* __restrict__ mask, i64 H, i64 W, i64 OH, i64 OW, i64 G, i64 D, i64 KH, i64 KW, i64 SH, i64 SW, \
		i64 PH, i64 PW, i64 DH, i64 DW, double scale, i64 tpg, i64 nchunks, i64 nitems
#define DCNV3_GEOM                                                                                               \
	dcnv3_geom g = {(int)H, (int)W, (int)OH, (int)OW, (int)G, (int)D, (int)KH, (int)KW, (int)SH, (int)SW, (int)PH, \
		(int)PW, (int)DH, (int)DW, (float)scale}

extern "C" __global__ void __launch_bounds__(256) dcnv3_fwd_f32_v4x2(DCNV3_FWD_PARAMS) {
	DCNV3_GEOM;
	dcnv3_fwd<4, 2>(out, value, offset, mask, g, (int)tpg, nitems);
}
EMU_REGISTER_NOSYNC(dcnv3_fwd_f32_v4x2)

extern "C" __global__ void __launch_bounds__(256) dcnv3_fwd_f32_v4x1(DCNV3_FWD_PARAMS) {
	DCNV3_GEOM;
	dcnv3_fwd<4, 1>(out, value, offset, mask, g, (int)tpg, nitems);
}
EMU_REGISTER_NOSYNC(dcnv3_fwd_f32_v4x1)

extern "C" __global__ void __launch_bounds__(256) dcnv3_fwd_f32_s4(DCNV3_FWD_PARAMS) {
	DCNV3_GEOM;
	dcnv3_fwd<1, 4>(out, value, offset, mask, g, (int)tpg, nitems);
}
EMU_REGISTER_NOSYNC(dcnv3_fwd_f32_s4)

extern "C" __global__ void __launch_bounds__(256, 4) dcnv3_bwd_f32_v4x1(DCNV3_BWD_PARAMS) {
	DCNV3_GEOM;
	dcnv3_bwd<4, 1>(dValue, dOffset, dMask, dOut, value, offset, mask, g, (int)tpg, (int)nchunks, nitems);
}
EMU_REGISTER(dcnv3_bwd_f32_v4x1)

extern "C" __global__ void __launch_bounds__(256, 3) dcnv3_bwd_f32_s4(DCNV3_BWD_PARAMS) {
	DCNV3_GEOM;
	dcnv3_bwd<1, 4>(dValue, dOffset, dMask, dOut, value, offset, mask, g, (int)tpg, (int)nchunks, nitems);
}
EMU_REGISTER(dcnv3_bwd_f32_s4)
