// psf.cu: per-image convolution with the image's own kernel (backend.PSFGeom;
// CPU twin engine/cpu/psf.go), for motion blur and rain synthesis:
//
//	y[n,c,h,w] = sum_{a,b} psf[n,a,b] * x[n, c, h - a + KH/2, w - b + KW/2]
//
// with zeros outside the image, and its gradients.
//
//   psf_corr_f32       the forward (a correlation with the flipped kernel) and
//                      the input gradient dx += correlation of dy with the
//                      kernel as it is: one block per 16 x 32 output tile of a
//                      plane, the input tile and its halo and the kernel in
//                      shared memory, four outputs per thread in a row with a
//                      sliding register window (one shared read of the input
//                      and one broadcast read of the kernel per four FMAs).
//   psf_dpsf_part_f32  the kernel gradient, pass 1: block (p, n) sums
//                      dy * shifted x over the tiles p, p+P, ... of image n's
//                      C planes for every tap, each thread owning up to 16 taps
//                      in registers (pixels split among threads when there are
//                      fewer than 256 taps), and writes its partial sums.
//   psf_dpsf_sum_f32   pass 2: dpsf[n, tap] += the P partial sums, in order
//                      (deterministic; no atomics).
#include "common.cuh"

// psf_corr_f32: out[n,c,h0+i,w0+j] (=, or += when accumulate) sum over a, b of
// K[a,b] * in[n, c, h0+i+a-oh, w0+j+b-ow], where K is psf[n] flipped in both
// axes and (oh, ow) = (KH-1-KH/2, KW-1-KW/2) when flip (the forward), or psf[n]
// itself and (oh, ow) = (KH/2, KW/2) otherwise (dx from dy).
//
// Block (TW/4, TH) threads computes a TH x TW tile; grid x, y cover the tiles
// of a plane and z strides over the N*C planes. Dynamic shared memory holds
// the input tile, (TH+KH-1) rows of xw >= TW+KW floats (xw % 4 == 1, so the
// rows of a warp start on different banks), then the KH*KW kernel.
extern "C" __global__ void psf_corr_f32(float* __restrict__ out, const float* __restrict__ in,
	const float* __restrict__ psf, i64 N, i64 C, i64 H, i64 W, i64 KH, i64 KW, i64 flip, i64 accumulate, i64 xw) {
	DYN_SHARED(float, smem);
	const int kh = (int)KH, kw = (int)KW, h = (int)H, w = (int)W, XW = (int)xw;
	const int TW = blockDim.x * 4, TH = blockDim.y, XH = TH + kh - 1;
	float* T = smem;
	float* Ks = smem + XH * XW;
	const int tid = threadIdx.y * blockDim.x + threadIdx.x, nt = blockDim.x * blockDim.y;
	const int oh = flip ? kh - 1 - kh / 2 : kh / 2, ow = flip ? kw - 1 - kw / 2 : kw / 2;
	const int h0 = blockIdx.y * TH, w0 = blockIdx.x * TW;
	const int kk = kh * kw;
	for (i64 plane = blockIdx.z; plane < N * C; plane += gridDim.z) {
		const float* src = in + plane * H * W;
		const float* k = psf + plane / C * kk;
		__syncthreads();  // the previous plane is done with T and Ks
		for (int idx = tid; idx < XH * XW; idx += nt) {
			const int r = idx / XW, c = idx - r * XW;
			const int gh = h0 - oh + r, gw = w0 - ow + c;
			float v = 0.f;
			if (c < TW + kw - 1 && gh >= 0 && gh < h && gw >= 0 && gw < w) v = __ldg(src + (i64)gh * w + gw);
			T[idx] = v;
		}
		for (int idx = tid; idx < kk; idx += nt) Ks[idx] = __ldg(k + (flip ? kk - 1 - idx : idx));
		__syncthreads();

		float acc0 = 0.f, acc1 = 0.f, acc2 = 0.f, acc3 = 0.f;
		for (int a = 0; a < kh; a++) {
			const float* row = T + (threadIdx.y + a) * XW + threadIdx.x * 4;
			const float* kr = Ks + a * kw;
			float r0 = row[0], r1 = row[1], r2 = row[2], r3 = row[3];
			for (int b = 0; b < kw; b++) {
				const float kv = kr[b];
				acc0 += kv * r0;
				acc1 += kv * r1;
				acc2 += kv * r2;
				acc3 += kv * r3;
				r0 = r1;
				r1 = r2;
				r2 = r3;
				r3 = row[b + 4];  // at most TW+KW-1 < xw
			}
		}
		const int oy = h0 + threadIdx.y, ox = w0 + threadIdx.x * 4;
		if (oy < h) {
			float* dst = out + plane * H * W + (i64)oy * w + ox;
			const float v[4] = {acc0, acc1, acc2, acc3};
#pragma unroll
			for (int q = 0; q < 4; q++) {
				if (ox + q >= w) break;
				dst[q] = accumulate ? dst[q] + v[q] : v[q];
			}
		}
	}
}
EMU_REGISTER(psf_corr_f32)

// Tile of dy per work item of psf_dpsf_part_f32, and its threads.
#define PSF_DT_H 16
#define PSF_DT_W 32
#define PSF_DP_THREADS 256
#define PSF_DP_MAXQ 16  // taps per thread: KH*KW <= 16*256

// psf_dpsf_part_f32: ws[n, p, tap] = the sum over the work items (c, tile) of
// image n numbered p, p+P, ... of sum over the tile's pixels of dy * x at the
// tap's shift. Grid (P, N-stride), PSF_DP_THREADS threads; dynamic shared
// memory: the dy tile (PSF_DT_H*PSF_DT_W), the x tile (PSF_DT_H+KH-1 rows of
// xw >= PSF_DT_W+KW-1), and PSF_DP_THREADS floats for the final reduction.
extern "C" __global__ void psf_dpsf_part_f32(float* __restrict__ ws,
	const float* __restrict__ dy, const float* __restrict__ x, i64 N, i64 C, i64 H, i64 W, i64 KH, i64 KW, i64 P, i64 xw) {
	DYN_SHARED(float, smem);
	const int kh = (int)KH, kw = (int)KW, h = (int)H, w = (int)W, XW = (int)xw;
	const int XH = PSF_DT_H + kh - 1;
	float* D = smem;
	float* X = D + PSF_DT_H * PSF_DT_W;
	float* red = X + XH * XW;
	const int tid = threadIdx.x;
	const int taps = kh * kw;
	const int S = min(taps, PSF_DP_THREADS), G = PSF_DP_THREADS / S;  // tap slots, pixel groups
	const int slot = tid % S, grp = tid / S;
	const int nq = grp < G ? (taps - slot + S - 1) / S : 0;
	int off[PSF_DP_MAXQ];
#pragma unroll
	for (int q = 0; q < PSF_DP_MAXQ; q++) {
		const int tap = slot + q * S;
		off[q] = q < nq ? (kh - 1 - tap / kw) * XW + (kw - 1 - tap % kw) : 0;
	}
	const int oh = kh - 1 - kh / 2, ow = kw - 1 - kw / 2;
	const int tilesW = (w + PSF_DT_W - 1) / PSF_DT_W, tilesH = (h + PSF_DT_H - 1) / PSF_DT_H;
	const i64 items = C * tilesH * tilesW;
	for (i64 n = blockIdx.y; n < N; n += gridDim.y) {
		float acc[PSF_DP_MAXQ];
#pragma unroll
		for (int q = 0; q < PSF_DP_MAXQ; q++) acc[q] = 0.f;
		for (i64 item = blockIdx.x; item < items; item += P) {
			const i64 c = item / (tilesH * tilesW);
			const int tile = (int)(item - c * tilesH * tilesW);
			const int h0 = tile / tilesW * PSF_DT_H, w0 = tile % tilesW * PSF_DT_W;
			const i64 plane = n * C + c;
			__syncthreads();  // the previous item is done with D and X
			for (int idx = tid; idx < PSF_DT_H * PSF_DT_W; idx += PSF_DP_THREADS) {
				const int gh = h0 + idx / PSF_DT_W, gw = w0 + idx % PSF_DT_W;
				D[idx] = gh < h && gw < w ? __ldg(dy + (plane * H + gh) * W + gw) : 0.f;
			}
			for (int idx = tid; idx < XH * XW; idx += PSF_DP_THREADS) {
				const int r = idx / XW, cc = idx - r * XW;
				const int gh = h0 - oh + r, gw = w0 - ow + cc;
				float v = 0.f;
				if (gh >= 0 && gh < h && gw >= 0 && gw < w) v = __ldg(x + (plane * H + gh) * W + gw);
				X[idx] = v;
			}
			__syncthreads();
			if (nq == 0) continue;
#pragma unroll 1
			for (int p = grp; p < PSF_DT_H * PSF_DT_W; p += G) {
				const float d = D[p];
				const float* xp = X + (p / PSF_DT_W) * XW + p % PSF_DT_W;
#pragma unroll
				for (int q = 0; q < PSF_DP_MAXQ; q++)
					if (q < nq) acc[q] += d * xp[off[q]];
			}
		}
		float* dst = ws + ((i64)n * P + blockIdx.x) * taps;
		if (G > 1) {  // one tap per thread; add the pixel groups' sums
			__syncthreads();
			red[tid] = acc[0];
			__syncthreads();
			if (tid < S) {
				float s = 0.f;
				for (int g = 0; g < G; g++) s += red[g * S + tid];
				dst[tid] = s;
			}
		} else {
#pragma unroll
			for (int q = 0; q < PSF_DP_MAXQ; q++)
				if (q < nq) dst[slot + q * S] = acc[q];
		}
	}
}
EMU_REGISTER(psf_dpsf_part_f32)

// psf_dpsf_sum_f32: dpsf[n, tap] += sum over p < P of ws[n, p, tap].
extern "C" __global__ void psf_dpsf_sum_f32(float* __restrict__ dpsf, const float* __restrict__ ws, i64 N, i64 taps, i64 P) {
	GRID_LOOP(i, N * taps) {
		const i64 n = i / taps, t = i - n * taps;
		const float* src = ws + n * P * taps + t;
		float s = 0.f;
		for (i64 p = 0; p < P; p++) s += src[p * taps];
		dpsf[i] += s;
	}
}
EMU_REGISTER_NOSYNC(psf_dpsf_sum_f32)
