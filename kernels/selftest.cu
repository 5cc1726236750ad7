// selftest.cu: kernels that exercise the CUDA features the other kernels
// rely on (shared memory, __syncthreads, warp shuffles, atomics, an early
// return, dynamic shared memory). The emulator's tests check them against
// plain Go, and `allnet-cli-cuda info --check` runs them on a real device.
#include "common.cuh"

// selftest_block_sum: out[blockIdx.x] = sum of x over the block's slice,
// and atomically total += the same sum. Threads past n return at once.
extern "C" __global__ void selftest_block_sum(const float* __restrict__ x, float* __restrict__ out,
	float* __restrict__ total, i64 n) {
	__shared__ float warp_sums[32];
	i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x;
	float v = i < n ? x[i] : 0.f;
	if ((i64)blockIdx.x * blockDim.x >= n) return;  // a whole block past the end leaves at once
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
	if (lane == 0) warp_sums[warp] = v;
	__syncthreads();
	if (warp == 0) {
		unsigned nw = (blockDim.x + 31) / 32;
		float s = lane < nw ? warp_sums[lane] : 0.f;
		for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
		if (lane == 0) {
			out[blockIdx.x] = s;
			atomicAdd(total, s);
		}
	}
}
EMU_REGISTER(selftest_block_sum)

// selftest_reverse: reverses each block's slice of x through dynamic shared
// memory (blockDim.x floats): y[b*B + t] = x[b*B + B-1-t].
extern "C" __global__ void selftest_reverse(const float* __restrict__ x, float* __restrict__ y) {
	DYN_SHARED(float, buf);
	i64 base = (i64)blockIdx.x * blockDim.x;
	buf[threadIdx.x] = x[base + threadIdx.x];
	__syncthreads();
	y[base + threadIdx.x] = buf[blockDim.x - 1 - threadIdx.x];
}
EMU_REGISTER(selftest_reverse)

// selftest_axpy: y = a*x + y over n elements (grid-stride; no synchronisation).
extern "C" __global__ void selftest_axpy(float* __restrict__ y, const float* __restrict__ x, double a, i64 n) {
	GRID_LOOP(i, n) { y[i] = (float)a * x[i] + y[i]; }
}
EMU_REGISTER_NOSYNC(selftest_axpy)
