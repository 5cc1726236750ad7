// resize.cu: bilinear resizing of (planes, H, W) to (planes, OH, OW) with
// PyTorch's align_corners=False rule, forward and backward.
//
// Along each axis, output position d reads source src = (d + 0.5) * in/out
// - 0.5 clamped below at 0: i0 = min(floor(src), in-1), i1 = min(i0+1, in-1),
// weights l0 = 1 - (src - i0) and l1 = src - i0.
//
// The backward is a gather over the input pixels (no atomics): i0 is
// nondecreasing in d, so the outputs reading input row ih are those with
// i0 in {ih-1, ih}, a short run found from an estimate and checked with the
// exact tap rule.
#include "common.cuh"

// resize_taps computes the taps of output position d along an axis.
static __device__ __forceinline__ void resize_taps(i64 d, float scale, i64 in, i64& i0, i64& i1, float& l0, float& l1) {
	float src = fmaxf(((float)d + 0.5f) * scale - 0.5f, 0.f);
	i64 i = min((i64)src, in - 1);
	i0 = i;
	i1 = min(i + 1, in - 1);
	l1 = src - (float)i;
	l0 = 1.f - l1;
}

// resize_weight returns the weight with which output position d reads input
// position ih (0 when it does not), and sets i0 to d's first tap.
static __device__ __forceinline__ float resize_weight(i64 d, i64 ih, float scale, i64 in, i64& i0) {
	i64 i1;
	float l0, l1;
	resize_taps(d, scale, in, i0, i1, l0, l1);
	return (i0 == ih ? l0 : 0.f) + (i1 == ih ? l1 : 0.f);
}

// resize_first returns a position at or before the first output position
// whose first tap is >= ih - 1 (inv = out/in).
static __device__ __forceinline__ i64 resize_first(i64 ih, float inv) {
	float d = ((float)ih - 0.5f) * inv - 0.5f;
	return d < 2.f ? 0 : (i64)d - 2;
}

// resize_fwd_f32: y[p, oy, ox] from x[p] by the bilinear taps, one thread
// per output element; sh = H/OH, sw = W/OW.
extern "C" __global__ void resize_fwd_f32(float* __restrict__ y, const float* __restrict__ x, i64 planes, i64 h, i64 w,
	i64 oh, i64 ow, double sh, double sw) {
	GRID_LOOP(i, planes * oh * ow) {
		i64 ox = i % ow, t = i / ow, oy = t % oh, p = t / oh;
		i64 y0, y1, x0, x1;
		float ly0, ly1, lx0, lx1;
		resize_taps(oy, (float)sh, h, y0, y1, ly0, ly1);
		resize_taps(ox, (float)sw, w, x0, x1, lx0, lx1);
		const float* xp = x + p * h * w;
		const float* r0 = xp + y0 * w;
		const float* r1 = xp + y1 * w;
		y[i] = ly0 * (lx0 * r0[x0] + lx1 * r0[x1]) + ly1 * (lx0 * r1[x0] + lx1 * r1[x1]);
	}
}
EMU_REGISTER_NOSYNC(resize_fwd_f32)

// resize_bwd_f32: dx[p, ih, iw] += sum of weight * dy over the outputs that
// read (ih, iw), one thread per input element; sh = H/OH, sw = W/OW, ih_ =
// OH/H, iw_ = OW/W.
extern "C" __global__ void resize_bwd_f32(float* __restrict__ dx, const float* __restrict__ dy, i64 planes, i64 h, i64 w,
	i64 oh, i64 ow, double sh, double sw, double ish, double isw) {
	GRID_LOOP(i, planes * h * w) {
		i64 iw = i % w, t = i / w, ih = t % h, p = t / h;
		const float* g = dy + p * oh * ow;
		i64 ox0 = resize_first(iw, (float)isw);
		float acc = 0.f;
		for (i64 oy = resize_first(ih, (float)ish); oy < oh; oy++) {
			i64 ty;
			float wy = resize_weight(oy, ih, (float)sh, h, ty);
			if (ty > ih) break;
			if (wy == 0.f) continue;
			float row = 0.f;
			for (i64 ox = ox0; ox < ow; ox++) {
				i64 tx;
				float wx = resize_weight(ox, iw, (float)sw, w, tx);
				if (tx > iw) break;
				row += wx * g[oy * ow + ox];
			}
			acc += wy * row;
		}
		dx[i] += acc;
	}
}
EMU_REGISTER_NOSYNC(resize_bwd_f32)
