// layernorm.cu: layer normalisation over rows of (rows, cols), forward and
// backward.
//
// The forward and dx kernels give each row a row group (see
// norm_reduce.cuh): two passes for the mean and the biased variance
// (numerically safe for inputs with a large mean), then the output pass.
// Rows of up to 32*N columns use the _wN kernels (forward N = 8 or 16, dx
// N = 8 or 32): a warp per row holding its N values per lane in registers,
// so x (and dy) are read from memory once; longer rows use the generic
// kernels (a warp, or a block beyond 1024 columns, per row), which reread
// the row (from L1/L2) in each pass. dgamma and dbeta
// are a column reduction: layernorm_bwd_param_f32 sums a chunk of rows per
// block (32 columns x 8 row lanes, coalesced) into per-chunk partials, which
// layernorm_bwd_param_sum_f32 adds in chunk order onto dgamma and dbeta (no
// atomics, deterministic). With a single chunk the first kernel accumulates
// straight into dgamma and dbeta.
//
// y may be x and dx may be dy.
#include "common.cuh"
#include "norm_reduce.cuh"

// layernorm_fwd_f32: y = (x - mean) * rstd * gamma + beta per row; gamma and
// beta may be null (1 and 0); mean and rstd receive the statistics.
extern "C" __global__ void layernorm_fwd_f32(float* y, float* __restrict__ mean, float* __restrict__ rstd, const float* x,
	const float* __restrict__ gamma, const float* __restrict__ beta, i64 rows, i64 cols, double eps) {
	__shared__ float red[32];
	i64 r = (i64)blockIdx.x * blockDim.y + threadIdx.y;
	if (r >= rows) return;  // the whole row group leaves
	const float* xr = x + r * cols;
	float* yr = y + r * cols;
	float s = 0.f;
	for (i64 i = threadIdx.x; i < cols; i += blockDim.x) s += xr[i];
	float mu = group_sum(s, red) / (float)cols;
	float ss = 0.f;
	for (i64 i = threadIdx.x; i < cols; i += blockDim.x) {
		float d = xr[i] - mu;
		ss += d * d;
	}
	float rs = rsqrtf(group_sum(ss, red) / (float)cols + (float)eps);
	if (threadIdx.x == 0) {
		mean[r] = mu;
		rstd[r] = rs;
	}
	for (i64 i = threadIdx.x; i < cols; i += blockDim.x) {
		float o = (xr[i] - mu) * rs;
		if (gamma) o *= gamma[i];
		if (beta) o += beta[i];
		yr[i] = o;
	}
}
EMU_REGISTER(layernorm_fwd_f32)

// layernorm_bwd_dx_f32: with xhat = (x - mean) * rstd and g = dy * gamma
// (gamma null: 1), dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
extern "C" __global__ void layernorm_bwd_dx_f32(float* dx, const float* dy, const float* __restrict__ x,
	const float* __restrict__ mean, const float* __restrict__ rstd, const float* __restrict__ gamma, i64 rows, i64 cols) {
	__shared__ float red[32];
	i64 r = (i64)blockIdx.x * blockDim.y + threadIdx.y;
	if (r >= rows) return;
	const float* xr = x + r * cols;
	const float* gr = dy + r * cols;
	float* dr = dx + r * cols;
	float mu = mean[r], rs = rstd[r];
	float sg = 0.f, sgx = 0.f;
	for (i64 i = threadIdx.x; i < cols; i += blockDim.x) {
		float g = gamma ? gr[i] * gamma[i] : gr[i];
		sg += g;
		sgx += g * ((xr[i] - mu) * rs);
	}
	float inv = 1.f / (float)cols;
	sg = group_sum(sg, red) * inv;
	sgx = group_sum(sgx, red) * inv;
	for (i64 i = threadIdx.x; i < cols; i += blockDim.x) {
		float g = gamma ? gr[i] * gamma[i] : gr[i];
		float h = (xr[i] - mu) * rs;
		dr[i] = rs * (g - sg - h * sgx);
	}
}
EMU_REGISTER(layernorm_bwd_dx_f32)

// ln_fwd_warp: layernorm_fwd_f32 for a warp per row (block (32, G)) with
// the row's values in registers: cols <= 32*N.
template <int N>
static __device__ __forceinline__ void ln_fwd_warp(float* y, float* __restrict__ mean, float* __restrict__ rstd,
	const float* x, const float* __restrict__ gamma, const float* __restrict__ beta, i64 rows, i64 cols, float eps) {
	i64 r = (i64)blockIdx.x * blockDim.y + threadIdx.y;
	if (r >= rows) return;  // the whole warp leaves
	const float* xr = x + r * cols;
	float* yr = y + r * cols;
	unsigned lane = threadIdx.x;
	float v[N];
	float s = 0.f;
#pragma unroll
	for (int j = 0; j < N; j++) {
		int i = (int)lane + 32 * j;
		v[j] = i < cols ? xr[i] : 0.f;
		s += v[j];
	}
	float mu = warp_sum(s) / (float)cols;
	float ss = 0.f;
#pragma unroll
	for (int j = 0; j < N; j++) {
		float d = (int)lane + 32 * j < cols ? v[j] - mu : 0.f;
		ss += d * d;
	}
	float rs = rsqrtf(warp_sum(ss) / (float)cols + eps);
	if (lane == 0) {
		mean[r] = mu;
		rstd[r] = rs;
	}
#pragma unroll
	for (int j = 0; j < N; j++) {
		int i = (int)lane + 32 * j;
		if (i < cols) {
			float o = (v[j] - mu) * rs;
			if (gamma) o *= gamma[i];
			if (beta) o += beta[i];
			yr[i] = o;
		}
	}
}

// layernorm_fwd_w8_f32 and layernorm_fwd_w16_f32: LayerNorm forward for
// cols <= 256 and cols <= 512, a warp per row (block (32, G)).
extern "C" __global__ void layernorm_fwd_w8_f32(float* y, float* __restrict__ mean, float* __restrict__ rstd, const float* x,
	const float* __restrict__ gamma, const float* __restrict__ beta, i64 rows, i64 cols, double eps) {
	ln_fwd_warp<8>(y, mean, rstd, x, gamma, beta, rows, cols, (float)eps);
}
EMU_REGISTER(layernorm_fwd_w8_f32)

extern "C" __global__ void layernorm_fwd_w16_f32(float* y, float* __restrict__ mean, float* __restrict__ rstd, const float* x,
	const float* __restrict__ gamma, const float* __restrict__ beta, i64 rows, i64 cols, double eps) {
	ln_fwd_warp<16>(y, mean, rstd, x, gamma, beta, rows, cols, (float)eps);
}
EMU_REGISTER(layernorm_fwd_w16_f32)

// ln_bwd_dx_warp: layernorm_bwd_dx_f32 for a warp per row with xhat and g
// in registers: cols <= 32*N.
template <int N>
static __device__ __forceinline__ void ln_bwd_dx_warp(float* dx, const float* dy, const float* __restrict__ x,
	const float* __restrict__ mean, const float* __restrict__ rstd, const float* __restrict__ gamma, i64 rows, i64 cols) {
	i64 r = (i64)blockIdx.x * blockDim.y + threadIdx.y;
	if (r >= rows) return;
	const float* xr = x + r * cols;
	const float* gr = dy + r * cols;
	float* dr = dx + r * cols;
	unsigned lane = threadIdx.x;
	float mu = mean[r], rs = rstd[r];
	float h[N], g[N];
	float sg = 0.f, sgx = 0.f;
#pragma unroll
	for (int j = 0; j < N; j++) {
		int i = (int)lane + 32 * j;
		h[j] = 0.f;
		g[j] = 0.f;
		if (i < cols) {
			h[j] = (xr[i] - mu) * rs;
			g[j] = gamma ? gr[i] * gamma[i] : gr[i];
		}
		sg += g[j];
		sgx += g[j] * h[j];
	}
	float inv = 1.f / (float)cols;
	sg = warp_sum(sg) * inv;
	sgx = warp_sum(sgx) * inv;
#pragma unroll
	for (int j = 0; j < N; j++) {
		int i = (int)lane + 32 * j;
		if (i < cols) dr[i] = rs * (g[j] - sg - h[j] * sgx);
	}
}

// layernorm_bwd_dx_w8_f32 and layernorm_bwd_dx_w32_f32: the dx kernel for
// cols <= 256 and cols <= 1024, a warp per row (block (32, G)).
extern "C" __global__ void layernorm_bwd_dx_w8_f32(float* dx, const float* dy, const float* __restrict__ x,
	const float* __restrict__ mean, const float* __restrict__ rstd, const float* __restrict__ gamma, i64 rows, i64 cols) {
	ln_bwd_dx_warp<8>(dx, dy, x, mean, rstd, gamma, rows, cols);
}
EMU_REGISTER(layernorm_bwd_dx_w8_f32)

extern "C" __global__ void __launch_bounds__(256, 3) layernorm_bwd_dx_w32_f32(float* dx, const float* dy, const float* __restrict__ x,
	const float* __restrict__ mean, const float* __restrict__ rstd, const float* __restrict__ gamma, i64 rows, i64 cols) {
	ln_bwd_dx_warp<32>(dx, dy, x, mean, rstd, gamma, rows, cols);
}
EMU_REGISTER(layernorm_bwd_dx_w32_f32)

// layernorm_bwd_param_f32: block (32, 8), grid (ceil(cols/32), chunks); block
// (cx, ch) sums dy*xhat and dy over rows [ch*chunk, (ch+1)*chunk) for its 32
// columns. accumulate != 0 (one chunk): pg[c] += ..., pb[c] += ...;
// otherwise pg[ch*cols + c] = ... (partials). pg or pb may be null.
extern "C" __global__ void layernorm_bwd_param_f32(float* __restrict__ pg, float* __restrict__ pb,
	const float* __restrict__ dy, const float* __restrict__ x, const float* __restrict__ mean,
	const float* __restrict__ rstd, i64 rows, i64 cols, i64 chunk, i64 accumulate) {
	__shared__ float sg[8][33], sb[8][33];
	unsigned tx = threadIdx.x, ty = threadIdx.y;
	i64 c = (i64)blockIdx.x * 32 + tx;
	i64 r0 = (i64)blockIdx.y * chunk, r1 = min(rows, r0 + chunk);
	float ag = 0.f, ab = 0.f;
	if (c < cols) {
		for (i64 r = r0 + ty; r < r1; r += 8) {
			float d = dy[r * cols + c];
			ag += d * ((x[r * cols + c] - mean[r]) * rstd[r]);
			ab += d;
		}
	}
	sg[ty][tx] = ag;
	sb[ty][tx] = ab;
	__syncthreads();
	if (ty != 0 || c >= cols) return;
	for (int j = 1; j < 8; j++) {
		ag += sg[j][tx];
		ab += sb[j][tx];
	}
	i64 at = accumulate ? c : (i64)blockIdx.y * cols + c;
	if (accumulate) {
		if (pg) pg[at] += ag;
		if (pb) pb[at] += ab;
	} else {
		if (pg) pg[at] = ag;
		if (pb) pb[at] = ab;
	}
}
EMU_REGISTER(layernorm_bwd_param_f32)

// layernorm_bwd_param_sum_f32: dgamma[c] += sum over chunks of pg[ch*cols+c]
// (likewise dbeta from pb), in chunk order; null outputs are skipped.
extern "C" __global__ void layernorm_bwd_param_sum_f32(float* __restrict__ dgamma, float* __restrict__ dbeta,
	const float* __restrict__ pg, const float* __restrict__ pb, i64 chunks, i64 cols) {
	GRID_LOOP(c, cols) {
		if (dgamma) {
			float s = 0.f;
			for (i64 ch = 0; ch < chunks; ch++) s += pg[ch * cols + c];
			dgamma[c] += s;
		}
		if (dbeta) {
			float s = 0.f;
			for (i64 ch = 0; ch < chunks; ch++) s += pb[ch * cols + c];
			dbeta[c] += s;
		}
	}
}
EMU_REGISTER_NOSYNC(layernorm_bwd_param_sum_f32)
