// elementwise.cu: dtype conversion, the N-d strided copy, unary ops and
// their derivatives, and binary ops with broadcasting through strides.
//
// Kernels (all grid-stride, no synchronisation between threads):
//   ew_f32_to_i32, ew_i32_to_f32   Convert (float -> int32 truncates toward zero)
//   ew_copy_b32                    Copy of 32-bit elements, plain or accumulating
//   ew_transpose_b32               Copy of a batched transpose, through shared memory
//   ew_unary_f32                   y = op(x; alpha), float4 when aligned
//   ew_unary_bwd_f32               dx = dy * op'(x, y; alpha), float4 when aligned
//   ew_binary_flat_f32             out = op(a, b) with a, b contiguous or scalar
//   ew_binary_f32                  out = op(a, b) through strides (zero broadcasts)
//
// Op codes are the numeric values of backend.UnaryOp and backend.BinaryOp;
// the host (engine/cuda/elementwise.go) validates them. Each op is a
// template parameter, so the switch on op runs once per launch, not per
// element. The scalar functions follow the CPU twin (engine/cpu/elementwise.go):
// Go's math.Max/Min semantics for NaN, infinities and signed zeros,
// comparisons with alpha and Scale/AddScalar in double precision.
//
// Strided geometry: up to EW_MAXR dimensions (the host merges contiguous
// ones first), passed as scalar arguments innermost first; unused trailing
// slots are ignored. Indices are decomposed in 32-bit arithmetic when the
// element count allows, 64-bit otherwise.
#include "common.cuh"

#define EW_MAXR 8

// ---------------------------------------------------------------------------
// Strided geometry.

struct ew_geom {
	int rank;
	i64 shape[EW_MAXR];  // innermost first
	i64 sa[EW_MAXR];     // strides of the first view, in elements
	i64 sb[EW_MAXR];     // strides of the second view
};

#define EW_GEOM_PARAMS                                                                                           \
	i64 rank, i64 n0, i64 n1, i64 n2, i64 n3, i64 n4, i64 n5, i64 n6, i64 n7, i64 a0, i64 a1, i64 a2, i64 a3,  \
		i64 a4, i64 a5, i64 a6, i64 a7, i64 b0, i64 b1, i64 b2, i64 b3, i64 b4, i64 b5, i64 b6, i64 b7

#define EW_GEOM_INIT(g)                                                                                   \
	ew_geom g;                                                                                            \
	g.rank = (int)rank;                                                                                   \
	g.shape[0] = n0, g.shape[1] = n1, g.shape[2] = n2, g.shape[3] = n3;                                   \
	g.shape[4] = n4, g.shape[5] = n5, g.shape[6] = n6, g.shape[7] = n7;                                   \
	g.sa[0] = a0, g.sa[1] = a1, g.sa[2] = a2, g.sa[3] = a3, g.sa[4] = a4, g.sa[5] = a5, g.sa[6] = a6;     \
	g.sa[7] = a7;                                                                                         \
	g.sb[0] = b0, g.sb[1] = b1, g.sb[2] = b2, g.sb[3] = b3, g.sb[4] = b4, g.sb[5] = b5, g.sb[6] = b6;     \
	g.sb[7] = b7

// ew_offsets returns the two views' element offsets of linear (row-major)
// index i, of index type I (unsigned for counts below 2^31, i64 otherwise).
template <typename I>
static __device__ __forceinline__ void ew_offsets(const ew_geom& g, I i, i64& oa, i64& ob) {
	oa = 0;
	ob = 0;
#pragma unroll
	for (int k = 0; k < EW_MAXR; k++) {
		if (k == g.rank) break;
		I r = i;
		if (k + 1 < g.rank) {
			I s = (I)g.shape[k];
			I q = i / s;
			r = i - q * s;
			i = q;
		}
		oa += (i64)r * g.sa[k];
		ob += (i64)r * g.sb[k];
	}
}

static __device__ __forceinline__ bool ew_aligned16(const void* p) { return ((unsigned long long)p & 15) == 0; }

// ---------------------------------------------------------------------------
// Convert.

// ew_f32_to_i32: dst[i] = (int)src[i], truncating toward zero.
extern "C" __global__ void ew_f32_to_i32(int* __restrict__ dst, const float* __restrict__ src, i64 n) {
	GRID_LOOP(i, n) { dst[i] = (int)src[i]; }
}
EMU_REGISTER_NOSYNC(ew_f32_to_i32)

// ew_i32_to_f32: dst[i] = (float)src[i], rounding to nearest.
extern "C" __global__ void ew_i32_to_f32(float* __restrict__ dst, const int* __restrict__ src, i64 n) {
	GRID_LOOP(i, n) { dst[i] = (float)src[i]; }
}
EMU_REGISTER_NOSYNC(ew_i32_to_f32)

// ---------------------------------------------------------------------------
// Copy.

template <typename I>
static __device__ __forceinline__ void ew_copy_loop(unsigned* dst, const unsigned* src, i64 mode, const ew_geom& g, I n) {
	I stride = (I)blockDim.x * gridDim.x;
	for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
		i64 od, os;
		ew_offsets<I>(g, i, od, os);
		unsigned v = src[os];
		if (mode == 0) {
			dst[od] = v;
		} else if (mode == 1) {
			dst[od] = __float_as_uint(__uint_as_float(dst[od]) + __uint_as_float(v));
		} else {
			dst[od] = (unsigned)((int)dst[od] + (int)v);
		}
	}
}

// ew_copy_b32: for every index of the geometry, dst[od] = src[os] (mode 0),
// dst[od] += src[os] as float32 (mode 1) or as int32 (mode 2). dst and src
// point at the views' offsets; view a of the geometry is dst, view b src.
extern "C" __global__ void ew_copy_b32(unsigned* dst, const unsigned* src, i64 mode, i64 n, EW_GEOM_PARAMS) {
	EW_GEOM_INIT(g);
	if (n < 0x7fffffff) {
		ew_copy_loop<unsigned>(dst, src, mode, g, (unsigned)n);
	} else {
		ew_copy_loop<i64>(dst, src, mode, g, n);
	}
}
EMU_REGISTER_NOSYNC(ew_copy_b32)

#define EW_TILE 32

// ew_transpose_b32: the Copy of a batched transpose, both sides coalesced
// through a 32 x 33 shared tile. The iteration space is (nb, np, nq); src is
// contiguous along p (stride 1) and dst along q (stride 1):
//   dst[b*dsb + p*dsp + q] (=, += float32, += int32 by mode) src[b*ssb + p + q*ssq].
// Block (32, 8); grid x over q tiles, y over p tiles, z over b (all grid-stride).
extern "C" __global__ void ew_transpose_b32(unsigned* dst, const unsigned* src, i64 mode, i64 nb, i64 np, i64 nq,
	i64 dsb, i64 dsp, i64 ssb, i64 ssq) {
	__shared__ unsigned tile[EW_TILE][EW_TILE + 1];
	for (i64 b = blockIdx.z; b < nb; b += gridDim.z) {
		for (i64 p0 = (i64)blockIdx.y * EW_TILE; p0 < np; p0 += (i64)gridDim.y * EW_TILE) {
			for (i64 q0 = (i64)blockIdx.x * EW_TILE; q0 < nq; q0 += (i64)gridDim.x * EW_TILE) {
				// Read: lanes walk p (contiguous in src).
				i64 p = p0 + threadIdx.x;
				for (int j = threadIdx.y; j < EW_TILE; j += blockDim.y) {
					i64 q = q0 + j;
					if (p < np && q < nq) tile[j][threadIdx.x] = src[b * ssb + p + q * ssq];
				}
				__syncthreads();
				// Write: lanes walk q (contiguous in dst).
				i64 q = q0 + threadIdx.x;
				for (int j = threadIdx.y; j < EW_TILE; j += blockDim.y) {
					i64 pp = p0 + j;
					if (pp < np && q < nq) {
						unsigned v = tile[threadIdx.x][j];
						unsigned* o = dst + b * dsb + pp * dsp + q;
						if (mode == 0) {
							*o = v;
						} else if (mode == 1) {
							*o = __float_as_uint(__uint_as_float(*o) + __uint_as_float(v));
						} else {
							*o = (unsigned)((int)*o + (int)v);
						}
					}
				}
				__syncthreads();
			}
		}
	}
}
EMU_REGISTER(ew_transpose_b32)

// ---------------------------------------------------------------------------
// Scalar functions.

static __device__ __forceinline__ bool ew_isnan(double x) { return x != x; }

// ew_gomax is Go's math.Max: +Inf wins over NaN, NaN over numbers, +0 over -0.
static __device__ __forceinline__ double ew_gomax(double x, double y) {
	if (x == (double)INFINITY || y == (double)INFINITY) return (double)INFINITY;
	if (ew_isnan(x) || ew_isnan(y)) return x + y;
	if (x == 0 && x == y) return __double_as_longlong(x) < 0 ? y : x;
	return x > y ? x : y;
}

// ew_gomin is Go's math.Min: -Inf wins over NaN, NaN over numbers, -0 over +0.
static __device__ __forceinline__ double ew_gomin(double x, double y) {
	if (x == -(double)INFINITY || y == -(double)INFINITY) return -(double)INFINITY;
	if (ew_isnan(x) || ew_isnan(y)) return x + y;
	if (x == 0 && x == y) return __double_as_longlong(x) < 0 ? x : y;
	return x < y ? x : y;
}

// ew_gomaxf and ew_gominf are the same in float32.
static __device__ __forceinline__ float ew_gomaxf(float x, float y) {
	if (x == INFINITY || y == INFINITY) return INFINITY;
	if (x != x || y != y) return x + y;
	if (x == 0.f && x == y) return __float_as_int(x) < 0 ? y : x;
	return x > y ? x : y;
}
static __device__ __forceinline__ float ew_gominf(float x, float y) {
	if (x == -INFINITY || y == -INFINITY) return -INFINITY;
	if (x != x || y != y) return x + y;
	if (x == 0.f && x == y) return __float_as_int(x) < 0 ? x : y;
	return x < y ? x : y;
}

static __device__ __forceinline__ float ew_sigmoid(float x) {
	if (x >= 0.f) return 1.f / (1.f + expf(-x));
	float e = expf(x);
	return e / (1.f + e);
}

// Unary op codes (backend.UnaryOp).
enum {
	EW_NEG = 1, EW_ABS, EW_SIGN, EW_EXP, EW_LOG, EW_SQRT, EW_SQUARE, EW_RECIP, EW_RELU, EW_GELU, EW_SILU,
	EW_SIGMOID, EW_TANH, EW_SOFTPLUS, EW_SCALE, EW_ADD_SCALAR, EW_POW_SCALAR, EW_MAX_SCALAR, EW_MIN_SCALAR,
	EW_GT_SCALAR, EW_EQ_SCALAR, EW_NE_SCALAR
};

#define EW_SQRT1_2 0.70710678118654752440f
#define EW_INV_SQRT_2PI 0.39894228040143267794f

// ew_unary returns op(x; a).
template <int OP>
static __device__ __forceinline__ float ew_unary(float x, double a) {
	switch (OP) {
	case EW_NEG: return -x;
	case EW_ABS: return fabsf(x);
	case EW_SIGN: return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f);
	case EW_EXP: return expf(x);
	case EW_LOG: return logf(x);
	case EW_SQRT: return sqrtf(x);
	case EW_SQUARE: return x * x;
	case EW_RECIP: return 1.f / x;
	case EW_RELU: return x > 0.f ? x : (x != x ? x : 0.f);
	case EW_GELU: return 0.5f * x * erfcf(-x * EW_SQRT1_2);  // x Phi(x); erfc avoids 1 + erf cancelling for x << 0
	case EW_SILU: return x * ew_sigmoid(x);
	case EW_SIGMOID: return ew_sigmoid(x);
	case EW_TANH: return tanhf(x);
	case EW_SOFTPLUS: return (x > 0.f ? x : (x != x ? x : 0.f)) + log1pf(expf(-fabsf(x)));
	case EW_SCALE: return (float)(a * (double)x);
	case EW_ADD_SCALAR: return (float)((double)x + a);
	case EW_POW_SCALAR: return powf(x, (float)a);
	case EW_MAX_SCALAR: return (float)ew_gomax((double)x, a);
	case EW_MIN_SCALAR: return (float)ew_gomin((double)x, a);
	case EW_GT_SCALAR: return (double)x > a ? 1.f : 0.f;
	case EW_EQ_SCALAR: return (double)x == a ? 1.f : 0.f;
	case EW_NE_SCALAR: return (double)x != a ? 1.f : 0.f;
	}
	return x;
}

// ew_unary_deriv returns dy * op'(x; a), with y = op(x; a) the forward output.
// Ops that use y read it instead of x (ew_uses_y).
template <int OP>
static __device__ __forceinline__ float ew_unary_deriv(float x, float y, float dy, double a) {
	switch (OP) {
	case EW_NEG: return -dy;
	case EW_ABS: return dy * (x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f));
	case EW_EXP: return dy * y;
	case EW_LOG: return dy / x;
	case EW_SQRT: return dy * (0.5f / y);
	case EW_SQUARE: return dy * (2.f * x);
	case EW_RECIP: return dy * (-y * y);
	case EW_RELU: return dy * (x > 0.f ? 1.f : 0.f);
	case EW_GELU: {
		float cdf = 0.5f * erfcf(-x * EW_SQRT1_2);
		float pdf = expf(-0.5f * x * x) * EW_INV_SQRT_2PI;
		return dy * (cdf + x * pdf);
	}
	case EW_SILU: {
		float s = ew_sigmoid(x);
		return dy * (s * (1.f + x * (1.f - s)));
	}
	case EW_SIGMOID: return dy * (y * (1.f - y));
	case EW_TANH: return dy * (1.f - y * y);
	case EW_SOFTPLUS: return dy * ew_sigmoid(x);
	case EW_SCALE: return (float)((double)dy * a);
	case EW_ADD_SCALAR: return dy;
	case EW_POW_SCALAR: return dy * ((float)a * powf(x, (float)(a - 1.0)));
	case EW_MAX_SCALAR: return dy * ((double)x > a ? 1.f : 0.f);
	case EW_MIN_SCALAR: return dy * ((double)x < a ? 1.f : 0.f);
	}
	return dy * 0.f;  // Sign and the comparisons
}

// ew_uses_x and ew_uses_y say which forward values op's derivative reads.
static __device__ __forceinline__ bool ew_uses_y(int op) {
	return op == EW_EXP || op == EW_SQRT || op == EW_RECIP || op == EW_SIGMOID || op == EW_TANH;
}
static __device__ __forceinline__ bool ew_uses_x(int op) {
	return op == EW_ABS || op == EW_LOG || op == EW_SQUARE || op == EW_RELU || op == EW_GELU || op == EW_SILU ||
		op == EW_SOFTPLUS || op == EW_POW_SCALAR || op == EW_MAX_SCALAR || op == EW_MIN_SCALAR;
}

// ---------------------------------------------------------------------------
// Unary forward and backward.

// y and x may be the same buffer (in place), so they are not __restrict__.
template <int OP>
static __device__ void ew_unary_loop(float* y, const float* x, double a, i64 n) {
	i64 n4 = (ew_aligned16(y) && ew_aligned16(x)) ? n / 4 : 0;
	GRID_LOOP(i, n4) {
		float4 v = reinterpret_cast<const float4*>(x)[i];
		v.x = ew_unary<OP>(v.x, a);
		v.y = ew_unary<OP>(v.y, a);
		v.z = ew_unary<OP>(v.z, a);
		v.w = ew_unary<OP>(v.w, a);
		reinterpret_cast<float4*>(y)[i] = v;
	}
	for (i64 i = n4 * 4 + (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)blockDim.x * gridDim.x) {
		y[i] = ew_unary<OP>(x[i], a);
	}
}

#define EW_UNARY_CASES(X)                                                                                 \
	X(EW_NEG) X(EW_ABS) X(EW_SIGN) X(EW_EXP) X(EW_LOG) X(EW_SQRT) X(EW_SQUARE) X(EW_RECIP) X(EW_RELU)    \
	X(EW_GELU) X(EW_SILU) X(EW_SIGMOID) X(EW_TANH) X(EW_SOFTPLUS) X(EW_SCALE) X(EW_ADD_SCALAR)           \
	X(EW_POW_SCALAR) X(EW_MAX_SCALAR) X(EW_MIN_SCALAR) X(EW_GT_SCALAR) X(EW_EQ_SCALAR) X(EW_NE_SCALAR)

// ew_unary_f32: y[i] = op(x[i]; alpha) for i < n.
extern "C" __global__ void ew_unary_f32(float* y, const float* x, i64 op, double alpha, i64 n) {
	switch (op) {
#define EW_CASE(OP) \
	case OP: ew_unary_loop<OP>(y, x, alpha, n); break;
		EW_UNARY_CASES(EW_CASE)
#undef EW_CASE
	}
}
EMU_REGISTER_NOSYNC(ew_unary_f32)

// dx may alias dy (x and y are only read).
template <int OP>
static __device__ void ew_unary_bwd_loop(float* dx, const float* x, const float* y, const float* dy, double a, i64 n) {
	const bool ux = ew_uses_x(OP), uy = ew_uses_y(OP);
	bool al = ew_aligned16(dx) && ew_aligned16(dy) && (!ux || ew_aligned16(x)) && (!uy || ew_aligned16(y));
	i64 n4 = al ? n / 4 : 0;
	GRID_LOOP(i, n4) {
		float4 g = reinterpret_cast<const float4*>(dy)[i];
		float4 xv = make_float4(0.f, 0.f, 0.f, 0.f), yv = make_float4(0.f, 0.f, 0.f, 0.f);
		if (ux) xv = reinterpret_cast<const float4*>(x)[i];
		if (uy) yv = reinterpret_cast<const float4*>(y)[i];
		g.x = ew_unary_deriv<OP>(xv.x, yv.x, g.x, a);
		g.y = ew_unary_deriv<OP>(xv.y, yv.y, g.y, a);
		g.z = ew_unary_deriv<OP>(xv.z, yv.z, g.z, a);
		g.w = ew_unary_deriv<OP>(xv.w, yv.w, g.w, a);
		reinterpret_cast<float4*>(dx)[i] = g;
	}
	for (i64 i = n4 * 4 + (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)blockDim.x * gridDim.x) {
		float xi = ux ? x[i] : 0.f, yi = uy ? y[i] : 0.f;
		dx[i] = ew_unary_deriv<OP>(xi, yi, dy[i], a);
	}
}

// ew_unary_bwd_f32: dx[i] = dy[i] * op'(x[i], y[i]; alpha). Only the forward
// values op needs are read (the other pointer may be 0).
extern "C" __global__ void ew_unary_bwd_f32(float* dx, const float* x, const float* y, const float* dy, i64 op,
	double alpha, i64 n) {
	switch (op) {
#define EW_CASE(OP) \
	case OP: ew_unary_bwd_loop<OP>(dx, x, y, dy, alpha, n); break;
		EW_UNARY_CASES(EW_CASE)
#undef EW_CASE
	}
}
EMU_REGISTER_NOSYNC(ew_unary_bwd_f32)

// ---------------------------------------------------------------------------
// Binary.

// Binary op codes (backend.BinaryOp).
enum { EW_ADD = 1, EW_SUB, EW_MUL, EW_DIV, EW_MAX, EW_MIN, EW_EQ, EW_GT, EW_GE };

template <int OP>
static __device__ __forceinline__ float ew_binary(float a, float b) {
	switch (OP) {
	case EW_ADD: return a + b;
	case EW_SUB: return a - b;
	case EW_MUL: return a * b;
	case EW_DIV: return a / b;
	case EW_MAX: return ew_gomaxf(a, b);
	case EW_MIN: return ew_gominf(a, b);
	case EW_EQ: return a == b ? 1.f : 0.f;
	case EW_GT: return a > b ? 1.f : 0.f;
	case EW_GE: return a >= b ? 1.f : 0.f;
	}
	return a;
}

#define EW_BINARY_CASES(X) X(EW_ADD) X(EW_SUB) X(EW_MUL) X(EW_DIV) X(EW_MAX) X(EW_MIN) X(EW_EQ) X(EW_GT) X(EW_GE)

// ew_binary_flat_loop: out[i] = op(a[i*sa], b[i*sb]) with sa, sb in {0, 1}.
template <int OP>
static __device__ void ew_binary_flat_loop(float* out, const float* a,
	const float* b, i64 sa, i64 sb, i64 n) {
	bool al = ew_aligned16(out) && (sa == 0 || ew_aligned16(a)) && (sb == 0 || ew_aligned16(b));
	i64 n4 = al ? n / 4 : 0;
	float a0 = sa == 0 ? a[0] : 0.f, b0 = sb == 0 ? b[0] : 0.f;
	GRID_LOOP(i, n4) {
		float4 av = sa ? reinterpret_cast<const float4*>(a)[i] : make_float4(a0, a0, a0, a0);
		float4 bv = sb ? reinterpret_cast<const float4*>(b)[i] : make_float4(b0, b0, b0, b0);
		float4 o;
		o.x = ew_binary<OP>(av.x, bv.x);
		o.y = ew_binary<OP>(av.y, bv.y);
		o.z = ew_binary<OP>(av.z, bv.z);
		o.w = ew_binary<OP>(av.w, bv.w);
		reinterpret_cast<float4*>(out)[i] = o;
	}
	for (i64 i = n4 * 4 + (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)blockDim.x * gridDim.x) {
		out[i] = ew_binary<OP>(a[i * sa], b[i * sb]);
	}
}

// ew_binary_flat_f32: out[i] = op(a[i*sa], b[i*sb]) for i < n, sa and sb
// each 0 (a scalar operand) or 1 (contiguous).
extern "C" __global__ void ew_binary_flat_f32(float* out, const float* a,
	const float* b, i64 op, i64 sa, i64 sb, i64 n) {
	switch (op) {
#define EW_CASE(OP) \
	case OP: ew_binary_flat_loop<OP>(out, a, b, sa, sb, n); break;
		EW_BINARY_CASES(EW_CASE)
#undef EW_CASE
	}
}
EMU_REGISTER_NOSYNC(ew_binary_flat_f32)

template <int OP, typename I>
static __device__ void ew_binary_strided_loop(float* out, const float* a,
	const float* b, const ew_geom& g, I n) {
	I stride = (I)blockDim.x * gridDim.x;
	for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
		i64 oa, ob;
		ew_offsets<I>(g, i, oa, ob);
		out[i] = ew_binary<OP>(a[oa], b[ob]);
	}
}

template <int OP>
static __device__ void ew_binary_strided(float* out, const float* a,
	const float* b, const ew_geom& g, i64 n) {
	if (n < 0x7fffffff) {
		ew_binary_strided_loop<OP, unsigned>(out, a, b, g, (unsigned)n);
	} else {
		ew_binary_strided_loop<OP, i64>(out, a, b, g, n);
	}
}

// ew_binary_f32: out[i] = op(a[oa(i)], b[ob(i)]) for every row-major index i
// of the geometry (out contiguous); a and b point at their views' offsets.
extern "C" __global__ void ew_binary_f32(float* out, const float* a,
	const float* b, i64 op, i64 n, EW_GEOM_PARAMS) {
	EW_GEOM_INIT(g);
	switch (op) {
#define EW_CASE(OP) \
	case OP: ew_binary_strided<OP>(out, a, b, g, n); break;
		EW_BINARY_CASES(EW_CASE)
#undef EW_CASE
	}
}
EMU_REGISTER_NOSYNC(ew_binary_f32)
