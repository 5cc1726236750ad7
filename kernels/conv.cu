// conv.cu: im2col and col2im for convolutions as GEMM (backend.ConvGeom; CPU
// twin engine/cpu/conv.go).
//
// img is (N, C, H, W); col is (N, C*KH*KW, OH*OW), row c*KH*KW + ki*KW + kj
// holding img[n, c, oh*SH - PH + ki*DH, ow*SW - PW + kj*DW] at column
// oh*OW + ow (zero outside the image).
//
// Both kernels give one thread one output element and never wait for each
// other: grid x covers the positions of a row of col (im2col) or of an image
// plane (col2im) in blocks of blockDim.x, grid y strides over the rows of col
// (N*C*KH*KW) or the planes (N*C), so that per-thread index arithmetic is
// 32-bit and consecutive threads touch consecutive addresses.
#include "common.cuh"

// conv_im2col_f32 writes every element of col.
extern "C" __global__ void conv_im2col_f32(float* __restrict__ col, const float* __restrict__ img, i64 N, i64 C, i64 H,
	i64 W, i64 KH, i64 KW, i64 SH, i64 SW, i64 PH, i64 PW, i64 DH, i64 DW, i64 OH, i64 OW) {
	const int p = blockIdx.x * blockDim.x + threadIdx.x;
	const int ohw = (int)(OH * OW);
	if (p >= ohw) return;
	const int oy = p / (int)OW, ox = p - oy * (int)OW;
	const i64 rows = N * C * KH * KW;
	for (i64 r = blockIdx.y; r < rows; r += gridDim.y) {
		const int kj = (int)(r % KW), ki = (int)(r / KW % KH);
		const i64 plane = r / (KH * KW);
		const int ih = oy * (int)SH - (int)PH + ki * (int)DH;
		const int iw = ox * (int)SW - (int)PW + kj * (int)DW;
		float v = 0.f;
		if (ih >= 0 && ih < H && iw >= 0 && iw < W) v = __ldg(img + (plane * H + ih) * W + iw);
		col[r * ohw + p] = v;
	}
}
EMU_REGISTER_NOSYNC(conv_im2col_f32)

// conv_col2im_f32 adds to every element of img the column elements that
// im2col copies from it: a gather over the kernel taps (ki, kj) whose output
// position (t/SH, u/SW), t = ih + PH - ki*DH, u = iw + PW - kj*DW, is a whole
// in-range position; no two threads write the same element.
extern "C" __global__ void conv_col2im_f32(float* __restrict__ img, const float* __restrict__ col, i64 N, i64 C, i64 H,
	i64 W, i64 KH, i64 KW, i64 SH, i64 SW, i64 PH, i64 PW, i64 DH, i64 DW, i64 OH, i64 OW) {
	const int p = blockIdx.x * blockDim.x + threadIdx.x;
	if (p >= H * W) return;
	const int ih = p / (int)W, iw = p - ih * (int)W;
	const int kh = (int)KH, kw = (int)KW, sh = (int)SH, sw = (int)SW, oh = (int)OH, ow = (int)OW;
	const i64 planes = N * C, kk = KH * KW, ohw = OH * OW;
	for (i64 plane = blockIdx.y; plane < planes; plane += gridDim.y) {
		const float* cp = col + plane * kk * ohw;
		float s = 0.f;
		for (int ki = 0; ki < kh; ki++) {
			const int t = ih + (int)PH - ki * (int)DH;
			if (t < 0) break;  // t only falls as ki grows
			const int y = t / sh;
			if (y * sh != t || y >= oh) continue;
			for (int kj = 0; kj < kw; kj++) {
				const int u = iw + (int)PW - kj * (int)DW;
				if (u < 0) break;
				const int x = u / sw;
				if (x * sw != u || x >= ow) continue;
				s += __ldg(cp + (i64)(ki * kw + kj) * ohw + y * ow + x);
			}
		}
		img[plane * H * W + p] += s;
	}
}
EMU_REGISTER_NOSYNC(conv_col2im_f32)
