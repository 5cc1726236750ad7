// rng.cu: the counter-based generator of engine/backend/rng.go, bit for bit.
//
// Element i of a draw (seed, offset) depends only on seed and the counter
// c = offset + i (mod 2^64): bits = mix64(mix64(seed) ^ c), mix64 being the
// SplitMix64 finaliser. RandUniform keeps the top 24 bits (exact in
// float32); RandNormal is Box-Muller on the two 32-bit halves, in double
// precision like the Go reference, then rounded to float32.
//
//   rng_uniform_f32   dst[i] = (bits >> 40) * 2^-24
//   rng_normal_f32    dst[i] = sqrt(-2 ln u1) cos(2 pi u2)
#include "common.cuh"

typedef unsigned long long u64;

static __device__ __forceinline__ u64 rng_mix64(u64 z) {
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

// rng_uniform_f32: dst[i] = Uniform(seed, offset + i) for i < n.
extern "C" __global__ void rng_uniform_f32(float* __restrict__ dst, u64 seed, u64 offset, i64 n) {
	u64 key = rng_mix64(seed);
	GRID_LOOP(i, n) {
		u64 b = rng_mix64(key ^ (offset + (u64)i));
		dst[i] = (float)(unsigned)(b >> 40) * (1.0f / 16777216.0f);
	}
}
EMU_REGISTER_NOSYNC(rng_uniform_f32)

// rng_normal_f32: dst[i] = Normal(seed, offset + i) for i < n.
extern "C" __global__ void rng_normal_f32(float* __restrict__ dst, u64 seed, u64 offset, i64 n) {
	u64 key = rng_mix64(seed);
	GRID_LOOP(i, n) {
		u64 b = rng_mix64(key ^ (offset + (u64)i));
		// The same operations in the same order as backend.Normal; none of
		// them can contract into a fused multiply-add.
		double u1 = ((double)(b >> 32) + 1.0) * (1.0 / 4294967297.0);  // (0, 1]
		double u2 = (double)(b & 0xffffffffull) * (1.0 / 4294967296.0);
		double r = sqrt(-2.0 * log(u1));
		double c = cos(2.0 * 3.141592653589793 * u2);  // (2 pi) * u2, as Go folds 2*math.Pi
		dst[i] = (float)(r * c);
	}
}
EMU_REGISTER_NOSYNC(rng_normal_f32)
