// index.cu: TopK per row, Gather and ScatterAdd along the middle axis of
// (outer, dim, inner).
//
// TopK sorts 64-bit keys in shared memory with a bitonic network: the high
// word orders values descending (NaN first, -0 == +0), the low word is the
// column, so ascending keys are exactly the twin's order (ties: lower index
// first). A row that fits the buffer (S keys, a power of two) is sorted once;
// a longer one streams through it, the k best kept at the front and the
// other S-k slots refilled with the next columns before each sort (needs
// k <= S/2). index_topk_rank_f32 is the fallback for longer rows with a
// larger k: each column's rank by counting, O(cols^2) per row.
//
// Gather and ScatterAdd check their indices on the device: a thread that
// meets an index outside [0, dim) skips it and lowers *err (initialised to
// all ones by the host) to its flat position with atomicMin, so the host
// learns the first bad position from one small download and panics.
#include "common.cuh"

typedef unsigned long long u64;

#define TOPK_PAD 0xffffffffffffffffull

// topk_key returns the sort key of value v at column c.
static __device__ __forceinline__ u64 topk_key(float v, i64 c) {
	unsigned u;
	if (v != v) {
		u = 0xffffffffu;  // every NaN ranks first, ties by column
	} else {
		unsigned b = __float_as_uint(v == 0.f ? 0.f : v);
		u = (b & 0x80000000u) ? ~b : (b | 0x80000000u);  // monotonic in v
	}
	return ((u64)(~u) << 32) | (u64)(unsigned)c;
}

// bitonic_sort sorts s[0, n) ascending (n a power of two) with the whole
// block; it ends with a barrier.
static __device__ void bitonic_sort(u64* s, unsigned n) {
	for (unsigned size = 2; size <= n; size <<= 1) {
		for (unsigned stride = size >> 1; stride > 0; stride >>= 1) {
			for (unsigned t = threadIdx.x; t < n / 2; t += blockDim.x) {
				unsigned i = 2 * t - (t & (stride - 1)), j = i + stride;
				u64 a = s[i], b = s[j];
				bool up = (i & size) == 0;
				if ((a > b) == up) {
					s[i] = b;
					s[j] = a;
				}
			}
			__syncthreads();
		}
	}
}

// index_topk_f32: for each row (blocks stride over rows), the k best
// entries of x's row by the key order into values and indices (rows, k).
// Dynamic shared memory: S keys (8*S bytes); cols <= S or k <= S/2.
extern "C" __global__ void index_topk_f32(float* __restrict__ values, int* __restrict__ indices, const float* __restrict__ x,
	i64 rows, i64 cols, i64 k, i64 S) {
	DYN_SHARED(u64, s);
	unsigned n = (unsigned)S;
	for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
		const float* xr = x + row * cols;
		for (unsigned i = threadIdx.x; i < n; i += blockDim.x) s[i] = i < cols ? topk_key(xr[i], i) : TOPK_PAD;
		__syncthreads();
		bitonic_sort(s, n);
		for (i64 next = n; next < cols; next += n - k) {
			for (unsigned i = k + threadIdx.x; i < n; i += blockDim.x) {
				i64 c = next + i - k;
				s[i] = c < cols ? topk_key(xr[c], c) : TOPK_PAD;
			}
			__syncthreads();
			bitonic_sort(s, n);
		}
		for (i64 j = threadIdx.x; j < k; j += blockDim.x) {
			unsigned c = (unsigned)s[j];
			values[row * k + j] = xr[c];
			indices[row * k + j] = (int)c;
		}
		__syncthreads();  // s is refilled for the next row
	}
}
EMU_REGISTER(index_topk_f32)

// index_topk_rank_f32: the fallback TopK, one thread per (row, column): the
// column's rank is the number of columns whose key is smaller; ranks below k
// are written.
extern "C" __global__ void index_topk_rank_f32(float* __restrict__ values, int* __restrict__ indices,
	const float* __restrict__ x, i64 rows, i64 cols, i64 k) {
	GRID_LOOP(p, rows * cols) {
		i64 row = p / cols, c = p % cols;
		const float* xr = x + row * cols;
		u64 key = topk_key(xr[c], c);
		i64 rank = 0;
		for (i64 j = 0; j < cols && rank < k; j++) rank += topk_key(xr[j], j) < key;
		if (rank < k) {
			values[row * k + rank] = xr[c];
			indices[row * k + rank] = (int)c;
		}
	}
}
EMU_REGISTER_NOSYNC(index_topk_rank_f32)

// index_gather_b32: dst[o, i, n] = src[o, idx[o, i, n], n] for 32-bit
// elements (float32 or int32), one thread per dst element.
extern "C" __global__ void index_gather_b32(unsigned* __restrict__ dst, const unsigned* __restrict__ src,
	const int* __restrict__ idx, i64 outer, i64 srcDim, i64 idxDim, i64 inner, u64* __restrict__ err) {
	GRID_LOOP(p, outer * idxDim * inner) {
		i64 n = p % inner, o = p / (idxDim * inner);
		int j = idx[p];
		if (j < 0 || j >= srcDim) {
			atomicMin(err, (u64)p);
			continue;
		}
		dst[p] = src[(o * srcDim + j) * inner + n];
	}
}
EMU_REGISTER_NOSYNC(index_gather_b32)

// index_scatter_add_f32: dst[o, idx[o, i, n], n] += src[o, i, n] (atomic:
// repeated indices add up), one thread per src element.
extern "C" __global__ void index_scatter_add_f32(float* __restrict__ dst, const float* __restrict__ src,
	const int* __restrict__ idx, i64 outer, i64 dstDim, i64 idxDim, i64 inner, u64* __restrict__ err) {
	GRID_LOOP(p, outer * idxDim * inner) {
		i64 n = p % inner, o = p / (idxDim * inner);
		int j = idx[p];
		if (j < 0 || j >= dstDim) {
			atomicMin(err, (u64)p);
			continue;
		}
		atomicAdd(dst + (o * dstDim + j) * inner + n, src[p]);
	}
}
EMU_REGISTER_NOSYNC(index_scatter_add_f32)

// index_scatter_add_i32: index_scatter_add_f32 for int32 buffers.
extern "C" __global__ void index_scatter_add_i32(int* __restrict__ dst, const int* __restrict__ src,
	const int* __restrict__ idx, i64 outer, i64 dstDim, i64 idxDim, i64 inner, u64* __restrict__ err) {
	GRID_LOOP(p, outer * idxDim * inner) {
		i64 n = p % inner, o = p / (idxDim * inner);
		int j = idx[p];
		if (j < 0 || j >= dstDim) {
			atomicMin(err, (u64)p);
			continue;
		}
		atomicAdd(dst + (o * dstDim + j) * inner + n, src[p]);
	}
}
EMU_REGISTER_NOSYNC(index_scatter_add_i32)
