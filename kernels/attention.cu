// attention.cu: flash-style scaled dot-product attention, forward and
// backward (see backend.AttnGeom):
//
//	out = softmax(Scale * q k^T + bias) v,  lse = logsumexp of each row,
//
// q (Batch, Lq, D), k (Batch, Lk, D), v (Batch, Lk, DV), bias (BiasBatch,
// Lq, Lk) read as matrix b % BiasBatch by problem b, -Inf masking a key.
// The Lq x Lk score matrix never reaches global memory: every kernel walks
// the other sequence in tiles and keeps its scores in registers and shared
// memory.
//
// All kernels share one layout. A block has 128 threads and owns 32 rows
// (queries, or keys in attention_bwd_dkdv); thread t works on rows
// 4*(t/16) .. 4*(t/16)+3 ("rg", 8 groups) and on tile columns
// t%16 + 16*e ("cg", 16 lanes of a half warp) for e < E, a tile holding
// BN = 16*E columns. Shared memory holds
//   - the tile's operands in natural layout [column][dim], row stride
//     dim|1 (odd: the 16 lanes' reads of one dim hit 16 banks);
//   - the tile's probabilities (or their gradients) transposed, [column]
//     [row] with stride ATT_WS, read as one float4 per column (the 4 rows of
//     a thread, a broadcast within each half warp);
// while the block's own rows (q, dOut; or k, v) are read from global memory
// through the L1 cache, 16 bytes at a time when the head dim allows.
// Products with the tile (P v, dS k, ...) give each thread 4 rows times the
// head-dim columns t%16 + 16*m, m < HD/16, kept in registers.
//
// Kernels are instantiated for head-dim classes HD = 32, 64, 128 (D and DV
// both <= HD, any value), with the tile width E chosen so that shared
// memory stays under 48 KiB:
//   - attention_fwd_f32_hHD: online softmax over key tiles, out and lse;
//   - attention_bwd_delta_f32: delta_i = sum_c dOut_ic out_ic (a warp a row);
//   - attention_bwd_dq_f32_hHD: per query tile, P and dS recomputed tile by
//     tile; dq = Scale * dS k, and dBias += dS (atomically when problems
//     share a bias matrix, BiasBatch < Batch; a plain add otherwise, each
//     element having one writer);
//   - attention_bwd_dkdv_f32_hHD: per key tile, dv = P^T dOut and
//     dk = Scale * dS^T q.
// dq and dk/dv come from two kernels, each output with a single writer, so
// that no atomics or zero-filling are needed for them and the results are
// deterministic; the price is recomputing q k^T and dOut v^T once more.
#include "common.cuh"

#define ATT_THREADS 128
#define ATT_BM 32
#define ATT_WS 36

static __device__ __forceinline__ float att_neg_inf() { return __int_as_float(0xff800000); }

// att_load_rows copies rows [0, nrows) of a row-major (rows, w) matrix at
// src into dst (row stride ld), writing zeros for rows >= valid: one warp
// per row, lanes over columns.
static __device__ void att_load_rows(float* __restrict__ dst, int ld, const float* __restrict__ src, int w,
	int nrows, int valid) {
	const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	for (int r = warp; r < nrows; r += ATT_THREADS / 32) {
		float* d = dst + r * ld;
		if (r < valid) {
			const float* s = src + (i64)r * w;
			for (int c = lane; c < w; c += 32) d[c] = __ldg(s + c);
		} else {
			for (int c = lane; c < w; c += 32) d[c] = 0.f;
		}
	}
}

// att_dot sets s[a][e] = <a_rows[a], bs[cg + 16e]> over n dims: a_rows are
// the thread's 4 rows in global memory, bs the tile in shared memory (row
// stride ldb). vec says that n % 4 == 0 and the rows are 16-byte aligned.
template <int E>
static __device__ __forceinline__ void att_dot(float (&s)[4][E], const float* const (&ar)[4],
	const float* __restrict__ bs, int ldb, int n, int cg, bool vec) {
#pragma unroll
	for (int a = 0; a < 4; a++)
#pragma unroll
		for (int e = 0; e < E; e++) s[a][e] = 0.f;
	const float* bc = bs + cg * ldb;
	if (vec) {
		for (int d = 0; d < n; d += 4) {
			float4 x[4];
#pragma unroll
			for (int a = 0; a < 4; a++) x[a] = __ldg(reinterpret_cast<const float4*>(ar[a] + d));
#pragma unroll
			for (int e = 0; e < E; e++) {
				const float* bp = bc + 16 * e * ldb + d;
				float b0 = bp[0], b1 = bp[1], b2 = bp[2], b3 = bp[3];
#pragma unroll
				for (int a = 0; a < 4; a++) s[a][e] += x[a].x * b0 + x[a].y * b1 + x[a].z * b2 + x[a].w * b3;
			}
		}
	} else {
		for (int d = 0; d < n; d++) {
			float x[4];
#pragma unroll
			for (int a = 0; a < 4; a++) x[a] = __ldg(ar[a] + d);
#pragma unroll
			for (int e = 0; e < E; e++) {
				float bv = bc[16 * e * ldb + d];
#pragma unroll
				for (int a = 0; a < 4; a++) s[a][e] += x[a] * bv;
			}
		}
	}
}

// att_put_t stores w[a][e] transposed: dst[(cg + 16e) * ATT_WS + 4*rg + a].
template <int E>
static __device__ __forceinline__ void att_put_t(float* __restrict__ dst, const float (&w)[4][E], int rg, int cg) {
#pragma unroll
	for (int e = 0; e < E; e++)
		*reinterpret_cast<float4*>(dst + (cg + 16 * e) * ATT_WS + 4 * rg) = make_float4(w[0][e], w[1][e], w[2][e], w[3][e]);
}

// att_aligned reports whether p is 16-byte aligned.
static __device__ __forceinline__ bool att_aligned(const float* p) {
	return (reinterpret_cast<unsigned long long>(p) & 15ull) == 0;
}

// Forward: block (problem b, query tile of 32 rows); key tiles of BN = 64.
// Shared: the K tile, then (same place) the V tile, and P^T.
template <int HD>
static __device__ void att_fwd(float* __restrict__ out, float* __restrict__ lse, const float* __restrict__ q,
	const float* __restrict__ k, const float* __restrict__ v, const float* __restrict__ bias, i64 batch, i64 Lq,
	i64 Lk, i64 D, i64 DV, double scaled, i64 biasBatch) {
	constexpr int E = 4, BN = 16 * E, MC = HD / 16;
	DYN_SHARED(float, sm);
	const int ldk = (int)D | 1, ldv = (int)DV | 1;
	float* kv = sm;
	float* pt = sm + BN * (ldk > ldv ? ldk : ldv);
	const i64 tiles = (Lq + ATT_BM - 1) / ATT_BM;
	const i64 b = blockIdx.x / tiles;
	const i64 i0 = (blockIdx.x % tiles) * ATT_BM;
	if (b >= batch) return;
	const int t = threadIdx.x, rg = t >> 4, cg = t & 15;
	const float scale = (float)scaled;
	const float* kb = k + b * Lk * D;
	const float* vb = v + b * Lk * DV;
	const float* qa[4];
	const float* brow[4];
#pragma unroll
	for (int a = 0; a < 4; a++) {
		i64 r = i0 + 4 * rg + a;
		if (r > Lq - 1) r = Lq - 1;
		qa[a] = q + (b * Lq + r) * D;
		brow[a] = bias ? bias + ((b % biasBatch) * Lq + r) * Lk : nullptr;
	}
	const bool vec = (D & 3) == 0 && att_aligned(q);
	float m[4], l[4], acc[4][MC];
#pragma unroll
	for (int a = 0; a < 4; a++) {
		m[a] = att_neg_inf();
		l[a] = 0.f;
#pragma unroll
		for (int c = 0; c < MC; c++) acc[a][c] = 0.f;
	}
	for (i64 j0 = 0; j0 < Lk; j0 += BN) {
		const int nk = Lk - j0 < BN ? (int)(Lk - j0) : BN;
		__syncthreads();  // the previous tile's V is no longer read
		att_load_rows(kv, ldk, kb + j0 * D, (int)D, BN, nk);
		__syncthreads();
		float s[4][E];
		att_dot<E>(s, qa, kv, ldk, (int)D, cg, vec);
#pragma unroll
		for (int a = 0; a < 4; a++) {
			float mx = att_neg_inf();
#pragma unroll
			for (int e = 0; e < E; e++) {
				const int j = cg + 16 * e;
				float x = att_neg_inf();
				if (j < nk) {
					x = scale * s[a][e];
					if (brow[a]) x += __ldg(brow[a] + j0 + j);
				}
				s[a][e] = x;
				mx = fmaxf(mx, x);
			}
#pragma unroll
			for (int o = 8; o > 0; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
			const float mnew = fmaxf(m[a], mx);
			const float msafe = mnew == att_neg_inf() ? 0.f : mnew;
			const float alpha = __expf(m[a] - msafe);
			float sum = 0.f;
#pragma unroll
			for (int e = 0; e < E; e++) {
				s[a][e] = __expf(s[a][e] - msafe);
				sum += s[a][e];
			}
			l[a] = l[a] * alpha + sum;
			m[a] = mnew;
#pragma unroll
			for (int c = 0; c < MC; c++) acc[a][c] *= alpha;
		}
		att_put_t<E>(pt, s, rg, cg);
		__syncthreads();  // K no longer read; P^T written
		att_load_rows(kv, ldv, vb + j0 * DV, (int)DV, nk, nk);
		__syncthreads();
		for (int j = 0; j < nk; j++) {
			const float4 w = *reinterpret_cast<const float4*>(pt + j * ATT_WS + 4 * rg);
			const float* vr = kv + j * ldv;
#pragma unroll
			for (int c = 0; c < MC; c++) {
				if (cg + 16 * c < DV) {
					const float x = vr[cg + 16 * c];
					acc[0][c] += w.x * x;
					acc[1][c] += w.y * x;
					acc[2][c] += w.z * x;
					acc[3][c] += w.w * x;
				}
			}
		}
	}
#pragma unroll
	for (int a = 0; a < 4; a++) {
		float lt = l[a];
#pragma unroll
		for (int o = 8; o > 0; o >>= 1) lt += __shfl_xor_sync(0xffffffffu, lt, o);
		const i64 r = i0 + 4 * rg + a;
		if (r >= Lq) continue;
		const float inv = lt > 0.f ? 1.f / lt : 0.f;
		float* orow = out + (b * Lq + r) * DV;
#pragma unroll
		for (int c = 0; c < MC; c++)
			if (cg + 16 * c < DV) orow[cg + 16 * c] = acc[a][c] * inv;
		if (cg == 0) lse[b * Lq + r] = lt > 0.f ? m[a] + logf(lt) : att_neg_inf();
	}
}

#define ATT_FWD(HD)                                                                                                  \
	extern "C" __global__ void __launch_bounds__(ATT_THREADS, 3) attention_fwd_f32_h##HD(float* __restrict__ out,       \
		float* __restrict__ lse, const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v, \
		const float* __restrict__ bias, i64 batch, i64 Lq, i64 Lk, i64 D, i64 DV, double scale, i64 biasBatch) {     \
		att_fwd<HD>(out, lse, q, k, v, bias, batch, Lq, Lk, D, DV, scale, biasBatch);                               \
	}                                                                                                                \
	EMU_REGISTER(attention_fwd_f32_h##HD)

ATT_FWD(32)
ATT_FWD(64)
ATT_FWD(128)

// attention_bwd_delta_f32: delta[r] = sum_c dOut[r, c] * out[r, c] over
// rows rows of width DV; one warp per row, grid-stride over rows.
extern "C" __global__ void attention_bwd_delta_f32(float* __restrict__ delta, const float* __restrict__ dOut,
	const float* __restrict__ out, i64 rows, i64 DV) {
	const int lane = threadIdx.x & 31;
	const i64 warps = (i64)gridDim.x * (blockDim.x >> 5);
	for (i64 r = (i64)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); r < rows; r += warps) {
		const float* g = dOut + r * DV;
		const float* o = out + r * DV;
		float s = 0.f;
		for (i64 c = lane; c < DV; c += 32) s += __ldg(g + c) * __ldg(o + c);
#pragma unroll
		for (int x = 16; x > 0; x >>= 1) s += __shfl_xor_sync(0xffffffffu, s, x);
		if (lane == 0) delta[r] = s;
	}
}
EMU_REGISTER(attention_bwd_delta_f32)

// dq (and dBias): block (problem b, query tile of 32 rows), key tiles of BN
// = 16*E. Shared: the K and V tiles and dS^T.
template <int HD, int E>
static __device__ void att_bwd_dq(float* __restrict__ dq, float* __restrict__ dBias, const float* __restrict__ dOut,
	const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
	const float* __restrict__ bias, const float* __restrict__ lse, const float* __restrict__ delta, i64 batch,
	i64 Lq, i64 Lk, i64 D, i64 DV, double scaled, i64 biasBatch) {
	constexpr int BN = 16 * E, MC = HD / 16;
	DYN_SHARED(float, sm);
	const int ldk = (int)D | 1, ldv = (int)DV | 1;
	float* ks = sm;
	float* vs = ks + BN * ldk;
	float* dst = vs + BN * ldv;
	const i64 tiles = (Lq + ATT_BM - 1) / ATT_BM;
	const i64 b = blockIdx.x / tiles;
	const i64 i0 = (blockIdx.x % tiles) * ATT_BM;
	if (b >= batch) return;
	const int t = threadIdx.x, rg = t >> 4, cg = t & 15;
	const float scale = (float)scaled;
	const bool shared_bias = biasBatch < batch;
	const float* kb = k + b * Lk * D;
	const float* vb = v + b * Lk * DV;
	const float* qa[4];
	const float* da[4];
	const float* brow[4];
	float* dbrow[4];
	float lr[4], dr[4];
	bool live[4];
#pragma unroll
	for (int a = 0; a < 4; a++) {
		i64 r = i0 + 4 * rg + a;
		live[a] = r < Lq;
		if (r > Lq - 1) r = Lq - 1;
		qa[a] = q + (b * Lq + r) * D;
		da[a] = dOut + (b * Lq + r) * DV;
		const i64 bo = ((b % biasBatch) * Lq + r) * Lk;
		brow[a] = bias ? bias + bo : nullptr;
		dbrow[a] = dBias ? dBias + bo : nullptr;
		lr[a] = __ldg(lse + b * Lq + r);
		dr[a] = __ldg(delta + b * Lq + r);
	}
	const bool vecq = (D & 3) == 0 && att_aligned(q);
	const bool vecd = (DV & 3) == 0 && att_aligned(dOut);
	float acc[4][MC];
#pragma unroll
	for (int a = 0; a < 4; a++)
#pragma unroll
		for (int c = 0; c < MC; c++) acc[a][c] = 0.f;
	for (i64 j0 = 0; j0 < Lk; j0 += BN) {
		const int nk = Lk - j0 < BN ? (int)(Lk - j0) : BN;
		__syncthreads();
		att_load_rows(ks, ldk, kb + j0 * D, (int)D, BN, nk);
		att_load_rows(vs, ldv, vb + j0 * DV, (int)DV, BN, nk);
		__syncthreads();
		float s[4][E], dp[4][E];
		att_dot<E>(s, qa, ks, ldk, (int)D, cg, vecq);
		att_dot<E>(dp, da, vs, ldv, (int)DV, cg, vecd);
#pragma unroll
		for (int a = 0; a < 4; a++) {
#pragma unroll
			for (int e = 0; e < E; e++) {
				const int j = cg + 16 * e;
				float ds = 0.f;
				if (j < nk && lr[a] != att_neg_inf()) {
					float x = scale * s[a][e];
					if (brow[a]) x += __ldg(brow[a] + j0 + j);
					ds = __expf(x - lr[a]) * (dp[a][e] - dr[a]);
				}
				s[a][e] = ds;
				if (dbrow[a] && live[a] && j < nk) {
					if (shared_bias)
						atomicAdd(dbrow[a] + j0 + j, ds);
					else
						dbrow[a][j0 + j] += ds;
				}
			}
		}
		att_put_t<E>(dst, s, rg, cg);
		__syncthreads();
		for (int j = 0; j < nk; j++) {
			const float4 w = *reinterpret_cast<const float4*>(dst + j * ATT_WS + 4 * rg);
			const float* kr = ks + j * ldk;
#pragma unroll
			for (int c = 0; c < MC; c++) {
				if (cg + 16 * c < D) {
					const float x = kr[cg + 16 * c];
					acc[0][c] += w.x * x;
					acc[1][c] += w.y * x;
					acc[2][c] += w.z * x;
					acc[3][c] += w.w * x;
				}
			}
		}
	}
#pragma unroll
	for (int a = 0; a < 4; a++) {
		if (!live[a]) continue;
		float* row = dq + (b * Lq + i0 + 4 * rg + a) * D;
#pragma unroll
		for (int c = 0; c < MC; c++)
			if (cg + 16 * c < D) row[cg + 16 * c] = scale * acc[a][c];
	}
}

// dk, dv: block (problem b, key tile of 32 keys), query tiles of BN = 16*E.
// Shared: the q and dOut tiles, P^T and dS^T, and the tile's lse and delta.
template <int HD, int E>
static __device__ void att_bwd_dkdv(float* __restrict__ dk, float* __restrict__ dv, const float* __restrict__ dOut,
	const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
	const float* __restrict__ bias, const float* __restrict__ lse, const float* __restrict__ delta, i64 batch,
	i64 Lq, i64 Lk, i64 D, i64 DV, double scaled, i64 biasBatch) {
	constexpr int BN = 16 * E, MC = HD / 16;
	DYN_SHARED(float, sm);
	const int ldq = (int)D | 1, ldo = (int)DV | 1;
	float* qs = sm;
	float* dos = qs + BN * ldq;
	float* pt = dos + BN * ldo;
	float* dst = pt + BN * ATT_WS;
	float* ls = dst + BN * ATT_WS;
	float* ds_ = ls + BN;
	const i64 tiles = (Lk + ATT_BM - 1) / ATT_BM;
	const i64 b = blockIdx.x / tiles;
	const i64 j0 = (blockIdx.x % tiles) * ATT_BM;
	if (b >= batch) return;
	const int t = threadIdx.x, rg = t >> 4, cg = t & 15;
	const float scale = (float)scaled;
	const float* qb = q + b * Lq * D;
	const float* dob = dOut + b * Lq * DV;
	const float* bb = bias ? bias + (b % biasBatch) * Lq * Lk : nullptr;
	const float* ka[4];
	const float* va[4];
	i64 key[4];
#pragma unroll
	for (int a = 0; a < 4; a++) {
		i64 j = j0 + 4 * rg + a;
		if (j > Lk - 1) j = Lk - 1;
		key[a] = j;
		ka[a] = k + (b * Lk + j) * D;
		va[a] = v + (b * Lk + j) * DV;
	}
	const bool veck = (D & 3) == 0 && att_aligned(k);
	const bool vecv = (DV & 3) == 0 && att_aligned(v);
	float acck[4][MC], accv[4][MC];
#pragma unroll
	for (int a = 0; a < 4; a++)
#pragma unroll
		for (int c = 0; c < MC; c++) acck[a][c] = accv[a][c] = 0.f;
	for (i64 r0 = 0; r0 < Lq; r0 += BN) {
		const int ni = Lq - r0 < BN ? (int)(Lq - r0) : BN;
		__syncthreads();
		att_load_rows(qs, ldq, qb + r0 * D, (int)D, BN, ni);
		att_load_rows(dos, ldo, dob + r0 * DV, (int)DV, BN, ni);
		if (t < BN) {
			ls[t] = t < ni ? __ldg(lse + b * Lq + r0 + t) : att_neg_inf();
			ds_[t] = t < ni ? __ldg(delta + b * Lq + r0 + t) : 0.f;
		}
		__syncthreads();
		float s[4][E], dp[4][E];
		att_dot<E>(s, ka, qs, ldq, (int)D, cg, veck);
		att_dot<E>(dp, va, dos, ldo, (int)DV, cg, vecv);
#pragma unroll
		for (int e = 0; e < E; e++) {
			const int i = cg + 16 * e;
			const float li = ls[i], di = ds_[i];
#pragma unroll
			for (int a = 0; a < 4; a++) {
				float p = 0.f;
				if (li != att_neg_inf()) {
					float x = scale * s[a][e];
					if (bb) x += __ldg(bb + (r0 + i) * Lk + key[a]);
					p = __expf(x - li);
				}
				s[a][e] = p;
				dp[a][e] = p * (dp[a][e] - di);
			}
		}
		att_put_t<E>(pt, s, rg, cg);
		att_put_t<E>(dst, dp, rg, cg);
		__syncthreads();
		for (int i = 0; i < ni; i++) {
			const float4 wp = *reinterpret_cast<const float4*>(pt + i * ATT_WS + 4 * rg);
			const float4 wd = *reinterpret_cast<const float4*>(dst + i * ATT_WS + 4 * rg);
			const float* orow = dos + i * ldo;
			const float* qrow = qs + i * ldq;
#pragma unroll
			for (int c = 0; c < MC; c++) {
				const int col = cg + 16 * c;
				if (col < DV) {
					const float x = orow[col];
					accv[0][c] += wp.x * x;
					accv[1][c] += wp.y * x;
					accv[2][c] += wp.z * x;
					accv[3][c] += wp.w * x;
				}
				if (col < D) {
					const float x = qrow[col];
					acck[0][c] += wd.x * x;
					acck[1][c] += wd.y * x;
					acck[2][c] += wd.z * x;
					acck[3][c] += wd.w * x;
				}
			}
		}
	}
#pragma unroll
	for (int a = 0; a < 4; a++) {
		const i64 j = j0 + 4 * rg + a;
		if (j >= Lk) continue;
		float* krow = dk + (b * Lk + j) * D;
		float* vrow = dv + (b * Lk + j) * DV;
#pragma unroll
		for (int c = 0; c < MC; c++) {
			const int col = cg + 16 * c;
			if (col < D) krow[col] = scale * acck[a][c];
			if (col < DV) vrow[col] = accv[a][c];
		}
	}
}

#define ATT_BWD(HD, EQ, EK)                                                                                          \
	extern "C" __global__ void __launch_bounds__(ATT_THREADS, 3) attention_bwd_dq_f32_h##HD(float* __restrict__ dq,    \
		float* __restrict__ dBias, const float* __restrict__ dOut, const float* __restrict__ q,                    \
		const float* __restrict__ k, const float* __restrict__ v, const float* __restrict__ bias,                   \
		const float* __restrict__ lse, const float* __restrict__ delta, i64 batch, i64 Lq, i64 Lk, i64 D, i64 DV,    \
		double scale, i64 biasBatch) {                                                                               \
		att_bwd_dq<HD, EQ>(dq, dBias, dOut, q, k, v, bias, lse, delta, batch, Lq, Lk, D, DV, scale, biasBatch);    \
	}                                                                                                                \
	EMU_REGISTER(attention_bwd_dq_f32_h##HD)                                                                         \
	extern "C" __global__ void __launch_bounds__(ATT_THREADS, 3) attention_bwd_dkdv_f32_h##HD(float* __restrict__ dk,  \
		float* __restrict__ dv, const float* __restrict__ dOut, const float* __restrict__ q,                       \
		const float* __restrict__ k, const float* __restrict__ v, const float* __restrict__ bias,                   \
		const float* __restrict__ lse, const float* __restrict__ delta, i64 batch, i64 Lq, i64 Lk, i64 D, i64 DV,    \
		double scale, i64 biasBatch) {                                                                               \
		att_bwd_dkdv<HD, EK>(dk, dv, dOut, q, k, v, bias, lse, delta, batch, Lq, Lk, D, DV, scale, biasBatch);     \
	}                                                                                                                \
	EMU_REGISTER(attention_bwd_dkdv_f32_h##HD)

ATT_BWD(32, 4, 4)
ATT_BWD(64, 4, 2)
ATT_BWD(128, 2, 2)
