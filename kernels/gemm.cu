// gemm.cu: batched float32 GEMM, C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b]
// (backend.GemmArgs; CPU twin engine/cpu/gemm*.go).
//
// Kernels (one per transpose combination, suffix nn/nt/tn/tt = TransA, TransB):
//   gemm_simt128_XX_f32  SIMT, 128x128 block tile, BK 8, 256 threads of 8x8
//                        outputs each, double-buffered shared memory; the
//                        emulated reference and the float32 path for big C.
//   gemm_simt64_XX_f32   the same scheme with a 64x64 tile, BK 16 and 4x4
//                        outputs per thread, for narrow products (M or N <= 64)
//                        and grids too small to fill the device.
//   gemm_tf32_XX_f32     tensor cores (sm_80+): mma.sync m16n8k8 TF32 with
//                        float32 accumulation, 128x128x16 block tile, 8 warps of
//                        64x32; inputs rounded to TF32 (cvt.rna) on their way
//                        into shared memory. Not emulated: the GPU script checks
//                        it against the SIMT kernel.
//
// Arguments (all 64-bit): A, B, C point at matrix 0 (the host adds the
// offsets); M, N, K, batch; lda, strideA, ldb, strideB, ldc, strideC (a stride
// of 0 shares one matrix over the batch); alpha, beta (beta == 0 overwrites C
// without reading it); vecA, vecB (1 when that operand's base address is
// 16-byte aligned and its leading dimension and stride are multiples of 4, so
// that four consecutive elements can be read as one float4).
//
// Grid: x over column tiles of C, y over row tiles and z over the batch (both
// grid-stride, so any M and batch fit the launch limits). Every tile load is
// bounds-checked against M, N and K (elements outside read as zero), so any
// shape works; only whole in-range, aligned quads use vector loads.
#include "common.cuh"

// gemm_quad_load reads the four consecutive elements p[0..3], of which the
// first n (0..4) exist, as one float4 when vec allows and all four exist.
static __device__ __forceinline__ float4 gemm_quad_load(const float* __restrict__ p, int n, bool vec) {
	if (vec && n >= 4) return __ldg(reinterpret_cast<const float4*>(p));
	float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
	if (n > 0) v.x = __ldg(p);
	if (n > 1) v.y = __ldg(p + 1);
	if (n > 2) v.z = __ldg(p + 2);
	if (n > 3) v.w = __ldg(p + 3);
	return v;
}

// GemmTile stages a BK x BD tile of op(X) (X = A with D = M, or X = B with D
// = N) from global memory through registers into shared memory. KC says how X
// is stored: with k contiguous (element (d, k) at X[d*ld + k]: A not
// transposed, or B transposed) or with d contiguous (element (k, d) at
// X[k*ld + d]). The tile is read as quads of four elements consecutive in
// memory, NQ per thread.
template <bool KC, int BK, int BD, int NT>
struct GemmTile {
	static constexpr int QUADS = BK * BD / 4;
	static constexpr int NQ = QUADS / NT;
	static_assert(NQ * NT == QUADS, "tile quads must divide evenly among the threads");
	float4 r[NQ];

	// load reads the tile whose origin is (d0, k0).
	__device__ __forceinline__ void load(const float* __restrict__ X, i64 ld, i64 d0, int k0, i64 D, int K, bool vec, int tid) {
#pragma unroll
		for (int i = 0; i < NQ; i++) {
			const int q = tid + i * NT;
			if (KC) {
				const i64 d = d0 + q / (BK / 4);
				const int k = k0 + (q % (BK / 4)) * 4;
				r[i] = gemm_quad_load(X + d * ld + k, d < D ? min(K - k, 4) : 0, vec);
			} else {
				const int k = k0 + q / (BD / 4);
				const i64 d = d0 + (q % (BD / 4)) * 4;
				r[i] = gemm_quad_load(X + k * ld + d, k < K ? (int)min(D - d, (i64)4) : 0, vec);
			}
		}
	}

	// store writes the tile to S laid out [BK][SD] (S[k*SD + d]).
	template <int SD>
	__device__ __forceinline__ void store_kmajor(float* S, int tid) const {
#pragma unroll
		for (int i = 0; i < NQ; i++) {
			int q = tid + i * NT;
			if (KC) {
				int d = q / (BK / 4), k = (q % (BK / 4)) * 4;
				S[(k + 0) * SD + d] = r[i].x;
				S[(k + 1) * SD + d] = r[i].y;
				S[(k + 2) * SD + d] = r[i].z;
				S[(k + 3) * SD + d] = r[i].w;
			} else {
				int k = q / (BD / 4), d = (q % (BD / 4)) * 4;
				*reinterpret_cast<float4*>(S + k * SD + d) = r[i];
			}
		}
	}
};

// gemm_simt computes one batch of tiles of C with BM x BN block tiles, a
// k-step of BK and TM x TN outputs per thread (NT = (BM/TM)*(BN/TN) threads
// in a 2-D block of BN/TN x BM/TM). A thread's rows are TM/4 groups of four,
// group g at g*BM/(TM/4) + ty*4 (columns likewise), so that its shared-memory
// reads are float4s without bank conflicts.
template <int BM, int BN, int BK, int TM, int TN, bool TA, bool TB>
static __device__ __forceinline__ void gemm_simt(const float* __restrict__ A, const float* __restrict__ B,
	float* __restrict__ C, i64 M, i64 N, i64 K, i64 batch, i64 lda, i64 sa, i64 ldb, i64 sb, i64 ldc, i64 sc,
	double alpha_, double beta_, i64 vecA, i64 vecB) {
	constexpr int NT = (BM / TM) * (BN / TN);
	constexpr int RG = TM / 4, CG = TN / 4;
	constexpr int SA = BM + 4, SB = BN + 4;  // padded rows: conflict-free transposing stores
	__shared__ float4 smem4[2 * BK * (SA + SB) / 4];
	float* As = reinterpret_cast<float*>(smem4);  // [2][BK][SA]
	float* Bs = As + 2 * BK * SA;                  // [2][BK][SB]

	const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * (BN / TN) + tx;
	const float alpha = (float)alpha_, beta = (float)beta_;
	const i64 n0 = (i64)blockIdx.x * BN;
	const i64 mTiles = (M + BM - 1) / BM;
	const int kTiles = (int)((K + BK - 1) / BK);

	GemmTile<!TA, BK, BM, NT> ta;
	GemmTile<TB, BK, BN, NT> tb;
	for (i64 bz = blockIdx.z; bz < batch; bz += gridDim.z) {
		for (i64 mt = blockIdx.y; mt < mTiles; mt += gridDim.y) {
			const i64 m0 = mt * BM;
			float acc[TM][TN];
#pragma unroll
			for (int i = 0; i < TM; i++)
#pragma unroll
				for (int j = 0; j < TN; j++) acc[i][j] = 0.f;

			if (kTiles > 0) {
				ta.load(A + bz * sa, lda, m0, 0, M, (int)K, vecA != 0, tid);
				tb.load(B + bz * sb, ldb, n0, 0, N, (int)K, vecB != 0, tid);
				ta.template store_kmajor<SA>(As, tid);
				tb.template store_kmajor<SB>(Bs, tid);
			}
			__syncthreads();
			for (int kt = 0; kt < kTiles; kt++) {
				const int cur = kt & 1;
				const bool more = kt + 1 < kTiles;
				if (more) {
					ta.load(A + bz * sa, lda, m0, (kt + 1) * BK, M, (int)K, vecA != 0, tid);
					tb.load(B + bz * sb, ldb, n0, (kt + 1) * BK, N, (int)K, vecB != 0, tid);
				}
				const float* as = As + cur * BK * SA;
				const float* bs = Bs + cur * BK * SB;
#pragma unroll 2  // full unrolling costs spills at 128 registers
				for (int k = 0; k < BK; k++) {
					float4 a[RG], b[CG];
#pragma unroll
					for (int g = 0; g < RG; g++) a[g] = *reinterpret_cast<const float4*>(as + k * SA + g * (BM / RG) + ty * 4);
#pragma unroll
					for (int g = 0; g < CG; g++) b[g] = *reinterpret_cast<const float4*>(bs + k * SB + g * (BN / CG) + tx * 4);
#pragma unroll
					for (int g = 0; g < RG; g++) {
						const float av[4] = {a[g].x, a[g].y, a[g].z, a[g].w};
#pragma unroll
						for (int i = 0; i < 4; i++)
#pragma unroll
							for (int h = 0; h < CG; h++) {
								acc[g * 4 + i][h * 4 + 0] += av[i] * b[h].x;
								acc[g * 4 + i][h * 4 + 1] += av[i] * b[h].y;
								acc[g * 4 + i][h * 4 + 2] += av[i] * b[h].z;
								acc[g * 4 + i][h * 4 + 3] += av[i] * b[h].w;
							}
					}
				}
				if (more) {
					ta.template store_kmajor<SA>(As + (cur ^ 1) * BK * SA, tid);
					tb.template store_kmajor<SB>(Bs + (cur ^ 1) * BK * SB, tid);
				}
				__syncthreads();
			}

#pragma unroll
			for (int g = 0; g < RG; g++)
#pragma unroll
				for (int i = 0; i < 4; i++) {
					const i64 r = m0 + g * (BM / RG) + ty * 4 + i;
					if (r >= M) continue;
					float* crow = C + bz * sc + r * ldc;
#pragma unroll
					for (int h = 0; h < CG; h++)
#pragma unroll
						for (int j = 0; j < 4; j++) {
							const i64 c = n0 + h * (BN / CG) + tx * 4 + j;
							if (c >= N) continue;
							float v = alpha * acc[g * 4 + i][h * 4 + j];
							if (beta_ != 0.0) v += beta * crow[c];
							crow[c] = v;
						}
				}
		}
	}
}

#define GEMM_ARGS                                                                                              \
	const float *__restrict__ A, const float *__restrict__ B, float *__restrict__ C, i64 M, i64 N, i64 K, \
		i64 batch, i64 lda, i64 sa, i64 ldb, i64 sb, i64 ldc, i64 sc, double alpha, double beta, i64 vecA, i64 vecB
#define GEMM_PASS A, B, C, M, N, K, batch, lda, sa, ldb, sb, ldc, sc, alpha, beta, vecA, vecB

#define GEMM_SIMT(name, BM, BN, BK, TM, TN, TA, TB)                                             \
	extern "C" __global__ void __launch_bounds__((BM / TM) * (BN / TN), 2) name(GEMM_ARGS) { \
		gemm_simt<BM, BN, BK, TM, TN, TA, TB>(GEMM_PASS);                                   \
	}                                                                                       \
	EMU_REGISTER(name)

GEMM_SIMT(gemm_simt128_nn_f32, 128, 128, 8, 8, 8, false, false)
GEMM_SIMT(gemm_simt128_nt_f32, 128, 128, 8, 8, 8, false, true)
GEMM_SIMT(gemm_simt128_tn_f32, 128, 128, 8, 8, 8, true, false)
GEMM_SIMT(gemm_simt128_tt_f32, 128, 128, 8, 8, 8, true, true)
GEMM_SIMT(gemm_simt64_nn_f32, 64, 64, 16, 4, 4, false, false)
GEMM_SIMT(gemm_simt64_nt_f32, 64, 64, 16, 4, 4, false, true)
GEMM_SIMT(gemm_simt64_tn_f32, 64, 64, 16, 4, 4, true, false)
GEMM_SIMT(gemm_simt64_tt_f32, 64, 64, 16, 4, 4, true, true)

#if ALLNET_HAS_MMA
// tf32_round rounds a float32 to TF32 (10-bit mantissa, nearest, ties away).
static __device__ __forceinline__ float tf32_round(float x) {
	unsigned r;
	asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
	return __uint_as_float(r);
}

// gemm_tf32 is the tensor-core variant: a 128x128 block tile, BK = 16, eight
// warps in a 2 x 4 grid each computing 64 x 32 outputs as 4 x 4 mma tiles of
// 16 x 8. Each operand keeps its global layout in shared memory (k-contiguous
// rows of BK+4, or d-contiguous rows of BD+8), strides for which the fragment
// reads of a warp hit 32 distinct banks.
template <bool TA, bool TB>
static __device__ __forceinline__ void gemm_tf32(const float* __restrict__ A, const float* __restrict__ B,
	float* __restrict__ C, i64 M, i64 N, i64 K, i64 batch, i64 lda, i64 sa, i64 ldb, i64 sb, i64 ldc, i64 sc,
	double alpha_, double beta_, i64 vecA, i64 vecB) {
	constexpr int BM = 128, BN = 128, BK = 16, NT = 256;
	constexpr bool KCA = !TA, KCB = TB;
	constexpr int SA = KCA ? BK + 4 : BM + 8, SB = KCB ? BK + 4 : BN + 8;
	constexpr int LA = KCA ? BM * SA : BK * SA, LB = KCB ? BN * SB : BK * SB;
	__shared__ float4 smem4[2 * (LA + LB) / 4];
	float* As = reinterpret_cast<float*>(smem4);  // [2][LA]
	float* Bs = As + 2 * LA;                       // [2][LB]

	const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
	const int wm = (warp >> 2) * 64, wn = (warp & 3) * 32;  // the warp's 64 x 32 sub-tile
	const int g = lane >> 2, t = lane & 3;                  // mma fragment coordinates
	const float alpha = (float)alpha_, beta = (float)beta_;
	const i64 n0 = (i64)blockIdx.x * BN;
	const i64 mTiles = (M + BM - 1) / BM;
	const int kTiles = (int)((K + BK - 1) / BK);

	GemmTile<KCA, BK, BM, NT> ta;
	GemmTile<KCB, BK, BN, NT> tb;
	// stage rounds the loaded tiles to TF32 and stores them in buffer buf,
	// each in its own layout.
	auto stage = [&](int buf) {
		float* as = As + buf * LA;
		float* bs = Bs + buf * LB;
#pragma unroll
		for (int i = 0; i < ta.NQ; i++) {
			const int q = tid + i * NT;
			const float4 v = make_float4(tf32_round(ta.r[i].x), tf32_round(ta.r[i].y), tf32_round(ta.r[i].z), tf32_round(ta.r[i].w));
			const int d = KCA ? q / (BK / 4) : (q % (BM / 4)) * 4, k = KCA ? (q % (BK / 4)) * 4 : q / (BM / 4);
			*reinterpret_cast<float4*>(as + (KCA ? d * SA + k : k * SA + d)) = v;
		}
#pragma unroll
		for (int i = 0; i < tb.NQ; i++) {
			const int q = tid + i * NT;
			const float4 v = make_float4(tf32_round(tb.r[i].x), tf32_round(tb.r[i].y), tf32_round(tb.r[i].z), tf32_round(tb.r[i].w));
			const int d = KCB ? q / (BK / 4) : (q % (BN / 4)) * 4, k = KCB ? (q % (BK / 4)) * 4 : q / (BN / 4);
			*reinterpret_cast<float4*>(bs + (KCB ? d * SB + k : k * SB + d)) = v;
		}
	};

	for (i64 bz = blockIdx.z; bz < batch; bz += gridDim.z) {
		for (i64 mt = blockIdx.y; mt < mTiles; mt += gridDim.y) {
			const i64 m0 = mt * BM;
			float acc[4][4][4];
#pragma unroll
			for (int i = 0; i < 4; i++)
#pragma unroll
				for (int j = 0; j < 4; j++)
#pragma unroll
					for (int r = 0; r < 4; r++) acc[i][j][r] = 0.f;

			if (kTiles > 0) {
				ta.load(A + bz * sa, lda, m0, 0, M, (int)K, vecA != 0, tid);
				tb.load(B + bz * sb, ldb, n0, 0, N, (int)K, vecB != 0, tid);
				stage(0);
			}
			__syncthreads();
			for (int kt = 0; kt < kTiles; kt++) {
				const int cur = kt & 1;
				const bool more = kt + 1 < kTiles;
				if (more) {
					ta.load(A + bz * sa, lda, m0, (kt + 1) * BK, M, (int)K, vecA != 0, tid);
					tb.load(B + bz * sb, ldb, n0, (kt + 1) * BK, N, (int)K, vecB != 0, tid);
				}
				const float* as = As + cur * LA;
				const float* bs = Bs + cur * LB;
#pragma unroll 1  // unrolling costs spills at 128 registers
				for (int kk = 0; kk < BK; kk += 8) {
					unsigned bf[4][2];
#pragma unroll
					for (int j = 0; j < 4; j++) {
						const int c = wn + j * 8 + g;
#define BS_AT(k, n) __float_as_uint(bs[KCB ? (n) * SB + (k) : (k) * SB + (n)])
						bf[j][0] = BS_AT(kk + t, c);
						bf[j][1] = BS_AT(kk + t + 4, c);
#undef BS_AT
					}
#pragma unroll
					for (int i = 0; i < 4; i++) {
						const int r = wm + i * 16 + g;
#define AS_AT(m, k) __float_as_uint(as[KCA ? (m) * SA + (k) : (k) * SA + (m)])
						const unsigned a0 = AS_AT(r, kk + t), a1 = AS_AT(r + 8, kk + t);
						const unsigned a2 = AS_AT(r, kk + t + 4), a3 = AS_AT(r + 8, kk + t + 4);
#undef AS_AT
#pragma unroll
						for (int j = 0; j < 4; j++)
							asm volatile(
								"mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
								"{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
								: "+f"(acc[i][j][0]), "+f"(acc[i][j][1]), "+f"(acc[i][j][2]), "+f"(acc[i][j][3])
								: "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(bf[j][0]), "r"(bf[j][1]));
					}
				}
				if (more) stage(cur ^ 1);
				__syncthreads();
			}

			// Accumulator r of tile (i, j) is row g (+8 for r >= 2), column
			// 2t (+1 for odd r) of that 16 x 8 tile.
#pragma unroll
			for (int i = 0; i < 4; i++)
#pragma unroll
				for (int h = 0; h < 2; h++) {
					const i64 row = m0 + wm + i * 16 + g + h * 8;
					if (row >= M) continue;
					float* crow = C + bz * sc + row * ldc;
#pragma unroll
					for (int j = 0; j < 4; j++)
#pragma unroll
						for (int e = 0; e < 2; e++) {
							const i64 col = n0 + wn + j * 8 + 2 * t + e;
							if (col >= N) continue;
							float v = alpha * acc[i][j][h * 2 + e];
							if (beta_ != 0.0) v += beta * crow[col];
							crow[col] = v;
						}
				}
		}
	}
}

#define GEMM_TF32(name, TA, TB) \
	extern "C" __global__ void __launch_bounds__(256, 2) name(GEMM_ARGS) { gemm_tf32<TA, TB>(GEMM_PASS); }

GEMM_TF32(gemm_tf32_nn_f32, false, false)
GEMM_TF32(gemm_tf32_nt_f32, false, true)
GEMM_TF32(gemm_tf32_tn_f32, true, false)
GEMM_TF32(gemm_tf32_tt_f32, true, true)
#endif  // ALLNET_HAS_MMA
