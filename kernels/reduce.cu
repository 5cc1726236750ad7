// reduce.cu: sum and max reductions of a tensor viewed as (A, R, B), over R.
//
// The host (engine/cuda/reduce.go) merges adjacent kept and reduced
// dimensions and runs one pass per group of reduced dimensions, innermost
// first, so every pass is one of:
//   reduce_rows_thread_f32  B == 1, R <= 32: one thread per row
//   reduce_rows_warp_f32    B == 1, R small: one warp per row, shuffles
//   reduce_rows_f32         B == 1, R large: a block per (row, chunk of R),
//                           float4 loads when aligned, shared memory + shuffles
//   reduce_cols_f32         B > 1: a 32 x k block per (32 columns, row, chunk
//                           of R); lanes read consecutive columns (coalesced)
// The chunked kernels write one partial per chunk, laid out (A, S, B), so a
// second pass over S finishes a reduction that was split for parallelism.
//
// op: 1 = sum, 2 = max (backend.ReduceOp). Sums accumulate in float32 per
// thread and combine as a tree. Max propagates NaN like the CPU twin: a NaN
// anywhere makes the result NaN.
#include "common.cuh"

static __device__ __forceinline__ float red_identity(bool is_max) {
	return is_max ? __uint_as_float(0xff800000u) : 0.f;  // -Inf or 0
}

template <bool MAX>
static __device__ __forceinline__ float red_op(float acc, float v) {
	if (MAX) return (v > acc || v != v) ? v : acc;
	return acc + v;
}

template <bool MAX>
static __device__ __forceinline__ float red_warp(float v) {
#pragma unroll
	for (int o = 16; o > 0; o >>= 1) v = red_op<MAX>(v, __shfl_xor_sync(0xffffffffu, v, o));
	return v;
}

// red_block combines v over the block (blockDim.x a multiple of 32, one
// dimension); the result is valid in thread 0. sh holds 32 floats.
template <bool MAX>
static __device__ __forceinline__ float red_block(float v, float* sh) {
	unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
	v = red_warp<MAX>(v);
	if (lane == 0) sh[warp] = v;
	__syncthreads();
	if (warp == 0) {
		v = lane < blockDim.x / 32 ? sh[lane] : red_identity(MAX);
		v = red_warp<MAX>(v);
	}
	__syncthreads();  // sh may be reused at once
	return v;
}

// ---------------------------------------------------------------------------
// Rows (B == 1).

template <bool MAX>
static __device__ void red_rows_thread(float* __restrict__ dst, const float* __restrict__ src, i64 A, i64 R) {
	GRID_LOOP(a, A) {
		const float* row = src + a * R;
		float acc = red_identity(MAX);
		for (i64 r = 0; r < R; r++) acc = red_op<MAX>(acc, row[r]);
		dst[a] = acc;
	}
}

// reduce_rows_thread_f32: dst[a] = reduce(src[a, 0:R]), one thread per row.
extern "C" __global__ void reduce_rows_thread_f32(float* __restrict__ dst, const float* __restrict__ src, i64 op, i64 A,
	i64 R) {
	if (op == 2) {
		red_rows_thread<true>(dst, src, A, R);
	} else {
		red_rows_thread<false>(dst, src, A, R);
	}
}
EMU_REGISTER_NOSYNC(reduce_rows_thread_f32)

template <bool MAX>
static __device__ void red_rows_warp(float* __restrict__ dst, const float* __restrict__ src, i64 A, i64 R) {
	unsigned lane = threadIdx.x % 32;
	i64 wpb = blockDim.x / 32;
	for (i64 a = blockIdx.x * wpb + threadIdx.x / 32; a < A; a += (i64)gridDim.x * wpb) {
		const float* row = src + a * R;
		float acc = red_identity(MAX);
		for (i64 r = lane; r < R; r += 32) acc = red_op<MAX>(acc, row[r]);
		acc = red_warp<MAX>(acc);
		if (lane == 0) dst[a] = acc;
	}
}

// reduce_rows_warp_f32: dst[a] = reduce(src[a, 0:R]), one warp per row
// (blockDim.x a multiple of 32).
extern "C" __global__ void reduce_rows_warp_f32(float* __restrict__ dst, const float* __restrict__ src, i64 op, i64 A,
	i64 R) {
	if (op == 2) {
		red_rows_warp<true>(dst, src, A, R);
	} else {
		red_rows_warp<false>(dst, src, A, R);
	}
}
EMU_REGISTER(reduce_rows_warp_f32)

template <bool MAX>
static __device__ void red_rows_block(float* __restrict__ dst, const float* __restrict__ src, i64 A, i64 R, i64 chunk) {
	__shared__ float sh[32];
	i64 S = gridDim.y, s = blockIdx.y;
	i64 r0 = s * chunk, r1 = min(R, r0 + chunk);
	// float4 loads when every row and chunk starts on a 16-byte boundary.
	bool vec = ((R | chunk) & 3) == 0 && ((unsigned long long)src & 15) == 0;
	for (i64 a = blockIdx.x; a < A; a += gridDim.x) {
		const float* row = src + a * R;
		float acc = red_identity(MAX);
		if (vec) {
			const float4* row4 = reinterpret_cast<const float4*>(row);
			for (i64 r = r0 / 4 + threadIdx.x; r < r1 / 4; r += blockDim.x) {
				float4 v = row4[r];
				acc = red_op<MAX>(acc, v.x);
				acc = red_op<MAX>(acc, v.y);
				acc = red_op<MAX>(acc, v.z);
				acc = red_op<MAX>(acc, v.w);
			}
		} else {
			for (i64 r = r0 + threadIdx.x; r < r1; r += blockDim.x) acc = red_op<MAX>(acc, row[r]);
		}
		acc = red_block<MAX>(acc, sh);
		if (threadIdx.x == 0) dst[a * S + s] = acc;
	}
}

// reduce_rows_f32: a block per row a (grid-stride over gridDim.x) and chunk
// s = blockIdx.y of chunk elements: dst[a*S + s] = reduce(src[a, s*chunk :
// min(R, (s+1)*chunk)]) with S = gridDim.y. blockDim.x is a multiple of 32.
extern "C" __global__ void reduce_rows_f32(float* __restrict__ dst, const float* __restrict__ src, i64 op, i64 A, i64 R,
	i64 chunk) {
	if (op == 2) {
		red_rows_block<true>(dst, src, A, R, chunk);
	} else {
		red_rows_block<false>(dst, src, A, R, chunk);
	}
}
EMU_REGISTER(reduce_rows_f32)

// ---------------------------------------------------------------------------
// Columns (B > 1).

template <bool MAX>
static __device__ void red_cols(float* __restrict__ dst, const float* __restrict__ src, i64 A, i64 R, i64 B, i64 chunk) {
	__shared__ float sh[32][33];
	i64 S = gridDim.z, s = blockIdx.z;
	i64 r0 = s * chunk, r1 = min(R, r0 + chunk);
	i64 b = (i64)blockIdx.x * 32 + threadIdx.x;
	for (i64 a = blockIdx.y; a < A; a += gridDim.y) {  // uniform over the block
		float acc = red_identity(MAX);
		if (b < B) {
			const float* col = src + a * R * B + b;
			for (i64 r = r0 + threadIdx.y; r < r1; r += blockDim.y) acc = red_op<MAX>(acc, col[r * B]);
		}
		sh[threadIdx.y][threadIdx.x] = acc;
		__syncthreads();
		if (threadIdx.y == 0) {
			for (unsigned k = 1; k < blockDim.y; k++) acc = red_op<MAX>(acc, sh[k][threadIdx.x]);
			if (b < B) dst[(a * S + s) * B + b] = acc;
		}
		__syncthreads();
	}
}

// reduce_cols_f32: src viewed as (A, R, B); block (32, k <= 32) covers columns
// blockIdx.x*32 .. +32 of row a (grid-stride over gridDim.y) and chunk
// s = blockIdx.z: dst[(a*S + s)*B + b] = reduce over r in [s*chunk,
// min(R, (s+1)*chunk)) of src[a, r, b], with S = gridDim.z.
extern "C" __global__ void reduce_cols_f32(float* __restrict__ dst, const float* __restrict__ src, i64 op, i64 A, i64 R,
	i64 B, i64 chunk) {
	if (op == 2) {
		red_cols<true>(dst, src, A, R, B, chunk);
	} else {
		red_cols<false>(dst, src, A, R, B, chunk);
	}
}
EMU_REGISTER(reduce_cols_f32)
