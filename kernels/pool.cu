// pool.cu: average pooling of (planes, H, W) to (planes, OH, OW), fixed
// windows (kernel, stride, padding; padding counts in the divisor) or
// adaptive (window i = [floor(i*in/out), ceil((i+1)*in/out))), forward and
// backward.
//
// The backward is a gather over the input pixels (no atomics): the windows
// containing input row h form a contiguous run of output rows, computed in
// closed form and checked against the window rule.
#include "common.cuh"

// pool_window returns output position i's clipped input range [lo, hi)
// along an axis and its divisor extent.
static __device__ __forceinline__ void pool_window(i64 i, i64 in, i64 out, i64 adaptive, i64 k, i64 s, i64 p, i64& lo,
	i64& hi, i64& size) {
	if (adaptive) {
		lo = i * in / out;
		hi = ((i + 1) * in + out - 1) / out;
		size = hi - lo;
		return;
	}
	i64 start = i * s - p;
	lo = max(start, (i64)0);
	hi = max(min(start + k, in), lo);
	size = k;
}

// pool_range returns the output positions [first, last] whose windows may
// contain input position h along an axis (clipped to [0, out)).
static __device__ __forceinline__ void pool_range(i64 h, i64 in, i64 out, i64 adaptive, i64 k, i64 s, i64 p, i64& first,
	i64& last) {
	if (adaptive) {
		first = h * out / in;                  // hi(i) > h  <=>  i >= floor(h*out/in)
		last = ((h + 1) * out - 1) / in;       // lo(i) <= h <=>  i <= floor(((h+1)*out-1)/in)
	} else {
		i64 a = h + p - k + 1;                  // start(i) + k > h  <=>  i*s >= h+p-k+1
		first = a <= 0 ? 0 : (a + s - 1) / s;
		last = (h + p) / s;                     // start(i) <= h
	}
	first = max(first, (i64)0);
	last = min(last, out - 1);
}

// pool_avg_fwd_f32: y = window averages of x, one thread per output.
extern "C" __global__ void pool_avg_fwd_f32(float* __restrict__ y, const float* __restrict__ x, i64 planes, i64 h, i64 w,
	i64 oh, i64 ow, i64 kh, i64 kw, i64 sh, i64 sw, i64 ph, i64 pw, i64 adaptive) {
	GRID_LOOP(i, planes * oh * ow) {
		i64 j = i % ow, t = i / ow, r = t % oh, p = t / oh;
		i64 h0, h1, eh, w0, w1, ew;
		pool_window(r, h, oh, adaptive, kh, sh, ph, h0, h1, eh);
		pool_window(j, w, ow, adaptive, kw, sw, pw, w0, w1, ew);
		const float* xp = x + p * h * w;
		float s = 0.f;
		for (i64 a = h0; a < h1; a++)
			for (i64 b = w0; b < w1; b++) s += xp[a * w + b];
		y[i] = s / (float)(eh * ew);
	}
}
EMU_REGISTER_NOSYNC(pool_avg_fwd_f32)

// pool_avg_bwd_f32: dx[p, a, b] += sum over the windows containing (a, b) of
// dy / divisor, one thread per input element.
extern "C" __global__ void pool_avg_bwd_f32(float* __restrict__ dx, const float* __restrict__ dy, i64 planes, i64 h, i64 w,
	i64 oh, i64 ow, i64 kh, i64 kw, i64 sh, i64 sw, i64 ph, i64 pw, i64 adaptive) {
	GRID_LOOP(i, planes * h * w) {
		i64 b = i % w, t = i / w, a = t % h, p = t / h;
		i64 r0, r1, c0, c1;
		pool_range(a, h, oh, adaptive, kh, sh, ph, r0, r1);
		pool_range(b, w, ow, adaptive, kw, sw, pw, c0, c1);
		const float* g = dy + p * oh * ow;
		float acc = 0.f;
		for (i64 r = r0; r <= r1; r++) {
			i64 h0, h1, eh;
			pool_window(r, h, oh, adaptive, kh, sh, ph, h0, h1, eh);
			if (a < h0 || a >= h1) continue;
			for (i64 c = c0; c <= c1; c++) {
				i64 w0, w1, ew;
				pool_window(c, w, ow, adaptive, kw, sw, pw, w0, w1, ew);
				if (b < w0 || b >= w1) continue;
				acc += g[r * ow + c] / (float)(eh * ew);
			}
		}
		dx[i] += acc;
	}
}
EMU_REGISTER_NOSYNC(pool_avg_bwd_f32)
