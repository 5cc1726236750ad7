// crossentropy.cu: per-position cross entropy of logits viewed as (outer,
// classes, inner) against int32 labels (outer, inner), with an ignore
// label; forward (loss and softmax probabilities) and backward.
//
// inner > 1 (segmentation maps): one thread per position walks the classes
// (consecutive threads read consecutive positions), an online maximum/sum
// pass then the probability pass. inner == 1: one row group per position
// (norm_reduce.cuh). A label outside [0, classes) that is not ignore lowers
// *err (all ones from the host) to its position with atomicMin; the host
// downloads it and panics.
#include "common.cuh"
#include "norm_reduce.cuh"

typedef unsigned long long u64;

// ce_loss returns the loss of a position with maximum m, sum s, label l and
// logit xl at the label; bad labels are flagged in err.
static __device__ __forceinline__ float ce_loss(float m, float s, int l, float xl, i64 classes, i64 ignore, i64 q, u64* err) {
	if ((i64)l == ignore) return 0.f;
	if (l < 0 || l >= classes) {
		atomicMin(err, (u64)q);
		return 0.f;
	}
	return (m - xl) + logf(s);
}

// ce_fwd_cols_f32: one thread per position (o, n) of (outer, inner).
extern "C" __global__ void ce_fwd_cols_f32(float* __restrict__ loss, float* __restrict__ prob,
	const float* __restrict__ logits, const int* __restrict__ labels, i64 outer, i64 classes, i64 inner, i64 ignore,
	u64* __restrict__ err) {
	GRID_LOOP(q, outer * inner) {
		i64 o = q / inner, n = q % inner;
		const float* x = logits + o * classes * inner + n;
		float* p = prob + o * classes * inner + n;
		float m = -INFINITY, s = 0.f;
		for (i64 c = 0; c < classes; c++) ms_push(m, s, x[c * inner]);
		float inv = 1.f / s;
		for (i64 c = 0; c < classes; c++) p[c * inner] = expf(x[c * inner] - m) * inv;
		int l = labels[q];
		float xl = (l >= 0 && l < classes) ? x[l * inner] : 0.f;
		loss[q] = ce_loss(m, s, l, xl, classes, ignore, q, err);
	}
}
EMU_REGISTER_NOSYNC(ce_fwd_cols_f32)

// ce_fwd_rows_f32: inner == 1, one row group per position (rows = outer).
extern "C" __global__ void ce_fwd_rows_f32(float* __restrict__ loss, float* __restrict__ prob,
	const float* __restrict__ logits, const int* __restrict__ labels, i64 rows, i64 classes, i64 ignore,
	u64* __restrict__ err) {
	__shared__ float red[64];
	i64 r = (i64)blockIdx.x * blockDim.y + threadIdx.y;
	if (r >= rows) return;  // the whole row group leaves
	const float* x = logits + r * classes;
	float* p = prob + r * classes;
	float m = -INFINITY, s = 0.f;
	for (i64 c = threadIdx.x; c < classes; c += blockDim.x) ms_push(m, s, x[c]);
	group_ms(m, s, red);
	float inv = 1.f / s;
	for (i64 c = threadIdx.x; c < classes; c += blockDim.x) p[c] = expf(x[c] - m) * inv;
	if (threadIdx.x == 0) {
		int l = labels[r];
		float xl = (l >= 0 && l < classes) ? x[l] : 0.f;
		loss[r] = ce_loss(m, s, l, xl, classes, ignore, r, err);
	}
}
EMU_REGISTER(ce_fwd_rows_f32)

// ce_bwd_f32: dlogits = dloss * (prob - onehot(label)), 0 where the label is
// ignore (or invalid: flagged), one thread per element.
extern "C" __global__ void ce_bwd_f32(float* __restrict__ dlogits, const float* __restrict__ dloss,
	const float* __restrict__ prob, const int* __restrict__ labels, i64 outer, i64 classes, i64 inner, i64 ignore,
	u64* __restrict__ err) {
	GRID_LOOP(i, outer * classes * inner) {
		i64 n = i % inner, t = i / inner, c = t % classes, o = t / classes;
		i64 q = o * inner + n;
		int l = labels[q];
		float d = 0.f;
		if ((i64)l != ignore) {
			if (l < 0 || l >= classes) {
				if (c == 0) atomicMin(err, (u64)q);
			} else {
				d = dloss[q] * (prob[i] - (c == l ? 1.f : 0.f));
			}
		}
		dlogits[i] = d;
	}
}
EMU_REGISTER_NOSYNC(ce_bwd_f32)
