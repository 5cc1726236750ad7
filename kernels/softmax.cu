// softmax.cu: softmax and log-softmax over the middle axis of (outer, dim,
// inner), forward and backward.
//
// inner == 1 (rows of dim contiguous values) uses the row kernels: one row
// group (a warp, or a whole block for long rows, see norm_reduce.cuh) per
// row, an online maximum/sum in one pass over the row, then the output pass.
// inner > 1 uses the column kernels: blockDim.x consecutive inner positions
// (coalesced) times blockDim.y threads splitting dim, combined through
// shared memory.
//
// y may be x and dx may be dy (no __restrict__ on those pairs): every
// element is read before the thread that reads it writes it.
#include "common.cuh"
#include "norm_reduce.cuh"

// aligned16 reports whether p may be read as float4.
static __device__ __forceinline__ bool aligned16(const void* p) { return ((unsigned long long)p & 15) == 0; }

// softmax_rows_f32: y = softmax(x) (log != 0: log-softmax) over each of rows
// rows of dim values. Block (T, G): T threads per row, G rows per block.
extern "C" __global__ void softmax_rows_f32(float* y, const float* x, i64 rows, i64 dim, i64 log) {
	__shared__ float red[64];
	i64 r = (i64)blockIdx.x * blockDim.y + threadIdx.y;
	if (r >= rows) return;  // the whole row group leaves
	const float* xr = x + r * dim;
	float* yr = y + r * dim;
	bool vec = (dim & 3) == 0 && aligned16(xr) && aligned16(yr);
	float m = -INFINITY, s = 0.f;
	if (vec) {
		const float4* x4 = reinterpret_cast<const float4*>(xr);
		for (i64 i = threadIdx.x; i < dim / 4; i += blockDim.x) {
			float4 v = x4[i];
			ms_push(m, s, v.x);
			ms_push(m, s, v.y);
			ms_push(m, s, v.z);
			ms_push(m, s, v.w);
		}
	} else {
		for (i64 i = threadIdx.x; i < dim; i += blockDim.x) ms_push(m, s, xr[i]);
	}
	group_ms(m, s, red);
	if (log) {
		float l = m + logf(s);
		if (vec) {
			const float4* x4 = reinterpret_cast<const float4*>(xr);
			float4* y4 = reinterpret_cast<float4*>(yr);
			for (i64 i = threadIdx.x; i < dim / 4; i += blockDim.x) {
				float4 v = x4[i];
				y4[i] = make_float4(v.x - l, v.y - l, v.z - l, v.w - l);
			}
		} else {
			for (i64 i = threadIdx.x; i < dim; i += blockDim.x) yr[i] = xr[i] - l;
		}
		return;
	}
	float inv = 1.f / s;
	if (vec) {
		const float4* x4 = reinterpret_cast<const float4*>(xr);
		float4* y4 = reinterpret_cast<float4*>(yr);
		for (i64 i = threadIdx.x; i < dim / 4; i += blockDim.x) {
			float4 v = x4[i];
			y4[i] = make_float4(expf(v.x - m) * inv, expf(v.y - m) * inv, expf(v.z - m) * inv, expf(v.w - m) * inv);
		}
	} else {
		for (i64 i = threadIdx.x; i < dim; i += blockDim.x) yr[i] = expf(xr[i] - m) * inv;
	}
}
EMU_REGISTER(softmax_rows_f32)

// softmax_bwd_rows_f32: dx from y and dy over rows of dim values:
// softmax dx = y*(dy - sum(dy*y)), log-softmax dx = dy - exp(y)*sum(dy).
extern "C" __global__ void softmax_bwd_rows_f32(float* dx, const float* __restrict__ y, const float* dy, i64 rows, i64 dim,
	i64 log) {
	__shared__ float red[32];
	i64 r = (i64)blockIdx.x * blockDim.y + threadIdx.y;
	if (r >= rows) return;
	const float* yr = y + r * dim;
	const float* gr = dy + r * dim;
	float* dr = dx + r * dim;
	float s = 0.f;
	if (log) {
		for (i64 i = threadIdx.x; i < dim; i += blockDim.x) s += gr[i];
	} else {
		for (i64 i = threadIdx.x; i < dim; i += blockDim.x) s += gr[i] * yr[i];
	}
	s = group_sum(s, red);
	if (log) {
		for (i64 i = threadIdx.x; i < dim; i += blockDim.x) dr[i] = gr[i] - expf(yr[i]) * s;
	} else {
		for (i64 i = threadIdx.x; i < dim; i += blockDim.x) dr[i] = yr[i] * (gr[i] - s);
	}
}
EMU_REGISTER(softmax_bwd_rows_f32)

// softmax_cols_f32: softmax over dim of (outer, dim, inner) for inner > 1.
// Block (BX, BY): BX inner positions, BY threads splitting dim; grid
// (ceil(inner/BX), min(outer, 65535)), striding over outer. Dynamic shared
// memory: 2*BX*BY floats.
extern "C" __global__ void softmax_cols_f32(float* y, const float* x, i64 outer, i64 dim, i64 inner, i64 log) {
	DYN_SHARED(float, sh);
	unsigned bx = blockDim.x, by = blockDim.y, tx = threadIdx.x, ty = threadIdx.y;
	i64 n = (i64)blockIdx.x * bx + tx;
	bool live = n < inner;
	for (i64 o = blockIdx.y; o < outer; o += gridDim.y) {
		const float* xo = x + o * dim * inner + n;
		float* yo = y + o * dim * inner + n;
		float m = -INFINITY, s = 0.f;
		if (live)
			for (i64 d = ty; d < dim; d += by) ms_push(m, s, xo[d * inner]);
		sh[ty * bx + tx] = m;
		sh[(by + ty) * bx + tx] = s;
		__syncthreads();
		m = -INFINITY;
		s = 0.f;
		for (unsigned j = 0; j < by; j++) ms_merge(m, s, sh[j * bx + tx], sh[(by + j) * bx + tx]);
		__syncthreads();  // sh is rewritten by the next outer slice
		if (!live) continue;
		if (log) {
			float l = m + logf(s);
			for (i64 d = ty; d < dim; d += by) yo[d * inner] = xo[d * inner] - l;
		} else {
			float inv = 1.f / s;
			for (i64 d = ty; d < dim; d += by) yo[d * inner] = expf(xo[d * inner] - m) * inv;
		}
	}
}
EMU_REGISTER(softmax_cols_f32)

// softmax_bwd_cols_f32: SoftmaxBackward for inner > 1, laid out as
// softmax_cols_f32 (dynamic shared memory: BX*BY floats).
extern "C" __global__ void softmax_bwd_cols_f32(float* dx, const float* __restrict__ y, const float* dy, i64 outer, i64 dim,
	i64 inner, i64 log) {
	DYN_SHARED(float, sh);
	unsigned bx = blockDim.x, by = blockDim.y, tx = threadIdx.x, ty = threadIdx.y;
	i64 n = (i64)blockIdx.x * bx + tx;
	bool live = n < inner;
	for (i64 o = blockIdx.y; o < outer; o += gridDim.y) {
		i64 base = o * dim * inner + n;
		float s = 0.f;
		if (live)
			for (i64 d = ty; d < dim; d += by) {
				float g = dy[base + d * inner];
				s += log ? g : g * y[base + d * inner];
			}
		sh[ty * bx + tx] = s;
		__syncthreads();
		s = 0.f;
		for (unsigned j = 0; j < by; j++) s += sh[j * bx + tx];
		__syncthreads();
		if (!live) continue;
		for (i64 d = ty; d < dim; d += by) {
			i64 p = base + d * inner;
			float g = dy[p], v = y[p];
			dx[p] = log ? g - expf(v) * s : v * (g - s);
		}
	}
}
EMU_REGISTER(softmax_bwd_cols_f32)
