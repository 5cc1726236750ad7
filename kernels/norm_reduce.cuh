// norm_reduce.cuh: reductions shared by the norm group's kernels (softmax,
// layer norm, cross entropy).
//
// A "row group" is the blockDim.x threads of one threadIdx.y: one row of a
// (rows, cols) problem per group. blockDim.x is a multiple of 32; when it is
// larger than 32 the block holds a single group (blockDim.y == 1), so the
// block-wide barriers of the cross-warp step involve only that group's
// threads. Every thread of a group must call a group reduction.
#pragma once

#include "common.cuh"

// warp_sum returns the sum of v over the calling warp, in every lane.
static __device__ __forceinline__ float warp_sum(float v) {
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

// warp_max returns the maximum of v over the calling warp, in every lane.
static __device__ __forceinline__ float warp_max(float v) {
	for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
	return v;
}

// ms_merge folds the online-softmax state (m2, s2), a maximum and a sum of
// exp(x - maximum), into (m, s). An empty state has m == -inf and s == 0.
static __device__ __forceinline__ void ms_merge(float& m, float& s, float m2, float s2) {
	float mn = fmaxf(m, m2);
	if (mn == -INFINITY) return;  // both empty
	s = s * expf(m - mn) + s2 * expf(m2 - mn);
	m = mn;
}

// ms_push adds the value x to the online-softmax state (m, s).
static __device__ __forceinline__ void ms_push(float& m, float& s, float x) {
	if (x > m) {
		s = s * expf(m - x) + 1.f;
		m = x;
	} else {
		s += expf(x - m);
	}
}

// warp_ms merges the online-softmax states of the calling warp.
static __device__ __forceinline__ void warp_ms(float& m, float& s) {
	for (int o = 16; o > 0; o >>= 1) {
		float m2 = __shfl_xor_sync(0xffffffffu, m, o);
		float s2 = __shfl_xor_sync(0xffffffffu, s, o);
		ms_merge(m, s, m2, s2);
	}
}

// group_sum returns the sum of v over the calling row group, in every
// thread; sh is 32 floats of shared memory per group (only used when the
// group spans several warps).
static __device__ __forceinline__ float group_sum(float v, float* sh) {
	v = warp_sum(v);
	if (blockDim.x <= 32) return v;
	unsigned lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
	__syncthreads();  // sh may still be read by a previous reduction
	if (lane == 0) sh[w] = v;
	__syncthreads();
	return warp_sum(lane < nw ? sh[lane] : 0.f);
}

// group_ms merges the online-softmax states of the calling row group (sh:
// 64 floats of shared memory per group).
static __device__ __forceinline__ void group_ms(float& m, float& s, float* sh) {
	warp_ms(m, s);
	if (blockDim.x <= 32) return;
	unsigned lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
	__syncthreads();
	if (lane == 0) {
		sh[w] = m;
		sh[32 + w] = s;
	}
	__syncthreads();
	m = lane < nw ? sh[lane] : -INFINITY;
	s = lane < nw ? sh[32 + lane] : 0.f;
	warp_ms(m, s);
}
