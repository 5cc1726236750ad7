package engine

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine/backend"
)

// Naive float64 references of the losses, written from the doc comments.

func ceRef(x []float64, labels []int32, n, k, inner, ignore int) float64 {
	return weightedCERef(x, labels, nil, n, k, inner, ignore)
}

// weightedCERef is PyTorch's weighted mean cross-entropy (weights nil: all
// 1), 0 when no weight is counted.
func weightedCERef(x []float64, labels []int32, weights []float64, n, k, inner, ignore int) float64 {
	var sum, count float64
	for o := 0; o < n; o++ {
		for p := 0; p < inner; p++ {
			y := int(labels[o*inner+p])
			if y == ignore {
				continue
			}
			w := 1.0
			if weights != nil {
				w = weights[y]
			}
			var z float64
			for c := 0; c < k; c++ {
				z += math.Exp(x[(o*k+c)*inner+p])
			}
			sum += w * (math.Log(z) - x[(o*k+y)*inner+p])
			count += w
		}
	}
	if count == 0 {
		return 0
	}
	return sum / count
}

// maskedL1Ref takes p, t as (n, c, inner) and m as (n, 1, inner).
func maskedL1Ref(p, t, m []float64, n, c, inner int) float64 {
	var sum, count float64
	for o := 0; o < n; o++ {
		for ch := 0; ch < c; ch++ {
			for q := 0; q < inner; q++ {
				i := (o*c+ch)*inner + q
				w := m[o*inner+q]
				sum += math.Abs(p[i]-t[i]) * w
				count += w
			}
		}
	}
	return sum / math.Max(count, 1)
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func bceRef(x, y []float64, pw float64) float64 {
	var sum float64
	for i := range x {
		sum += -pw*y[i]*math.Log(sigmoid(x[i])) - (1-y[i])*math.Log(1-sigmoid(x[i]))
	}
	return sum / float64(len(x))
}

// balancedRef takes v (nil = all valid) of x's length.
func balancedRef(x, t, v []float64, pw float64) float64 {
	var lp, ln, neg, nv float64
	for i := range x {
		w := 1.0
		if v != nil {
			w = v[i]
		}
		if t[i] >= 0.5 {
			lp += -w * math.Log(sigmoid(x[i]))
		} else {
			ln += -w * math.Log(1-sigmoid(x[i]))
			neg += w
		}
		nv += w
	}
	if pw < 0 {
		pw = neg / math.Max(nv, 1)
	}
	return (pw*lp + (1-pw)*ln) / float64(len(x))
}

func charbonnierRef(p, t []float64, eps float64) float64 {
	var sum float64
	for i := range p {
		sum += math.Sqrt((p[i]-t[i])*(p[i]-t[i]) + eps*eps)
	}
	return sum / float64(len(p))
}

// psnrLossRef takes p, t as n images of equal size.
func psnrLossRef(p, t []float64, n int, eps float64) float64 {
	per := len(p) / n
	var sum float64
	for i := 0; i < n; i++ {
		var se float64
		for j := i * per; j < (i+1)*per; j++ {
			se += (p[j] - t[j]) * (p[j] - t[j])
		}
		sum += 10 * math.Log10(se/float64(per)+eps)
	}
	return sum / float64(n)
}

// normalsRef takes p, t as (n, c, inner).
func normalsRef(p, t []float64, n, c, inner int) float64 {
	var sum, count float64
	for o := 0; o < n; o++ {
		for q := 0; q < inner; q++ {
			var norm, tabs float64
			for ch := 0; ch < c; ch++ {
				i := (o*c+ch)*inner + q
				norm += p[i] * p[i]
				tabs += math.Abs(t[i])
			}
			if tabs == 0 {
				continue
			}
			norm = math.Sqrt(norm) + 1e-12
			for ch := 0; ch < c; ch++ {
				i := (o*c+ch)*inner + q
				sum += math.Abs(p[i]/norm - t[i])
			}
			count += float64(c)
		}
	}
	return sum / math.Max(count, 1)
}

// randLabels returns int32 labels in [0, k) with about a fifth set to ignore.
func randLabels(rng *rand.Rand, k, ignore int, shape ...int) *Tensor {
	v := make([]int32, backend.NumElements(shape))
	for i := range v {
		v[i] = int32(rng.IntN(k))
		if rng.IntN(5) == 0 {
			v[i] = int32(ignore)
		}
	}
	return FromInt32(CPU(), v, shape...)
}

// randMask returns a float64 0/1 tensor, 1 with probability p.
func randMask(rng *rand.Rand, p float64, shape ...int) *Tensor {
	v := make([]float64, backend.NumElements(shape))
	for i := range v {
		if rng.Float64() < p {
			v[i] = 1
		}
	}
	return FromFloat64(CPU(), v, shape...)
}

// checkLoss asserts a scalar loss of shape () matching want in float64 and,
// recomputed from float32 inputs, within 1e-5.
func checkLoss(t *testing.T, what string, f func(dt DType) *Tensor, want float64) {
	t.Helper()
	got := f(Float64)
	require.Equal(t, []int{}, got.Shape(), what)
	closeTo(t, what, got, []float64{want}, 1e-12)
	got32 := f(Float32)
	require.Equal(t, Float32, got32.DType(), what)
	closeTo(t, what+" float32", got32, []float64{want}, 1e-5)
}

// TestCrossEntropyLossForwardAndGradients checks CrossEntropy and
// WeightedCrossEntropy (random weights, one class weighted 0) against the
// float64 reference, with gradient checks.
func TestCrossEntropyLossForwardAndGradients(t *testing.T) {
	rng := testRNG(t)
	for _, s := range [][]int{{3, 5, 2, 3}, {4, 3}, {2, 4, 7}} {
		x := randT(rng, s...)
		ls := append([]int{s[0]}, s[2:]...)
		labels := randLabels(rng, s[1], 255, ls...)
		inner := x.Len() / (s[0] * s[1])
		want := ceRef(x.Float64s(), labels.Int32s(), s[0], s[1], inner, 255)
		checkLoss(t, "cross entropy", func(dt DType) *Tensor { return CrossEntropy(x.Cast(dt), labels, 255) }, want)
		gradCheck(t, func(xs []*Tensor) *Tensor { return CrossEntropy(xs[0], labels, 255) }, x)

		w := make([]float64, s[1])
		for i := range w {
			w[i] = 0.1 + 3*rng.Float64()
		}
		w[0] = 0 // a class that does not count
		wantW := weightedCERef(x.Float64s(), labels.Int32s(), w, s[0], s[1], inner, 255)
		require.NotEqual(t, want, wantW, "weights that change nothing")
		wt := FromFloat64(CPU(), w, s[1])
		checkLoss(t, "weighted cross entropy", func(dt DType) *Tensor {
			return WeightedCrossEntropy(x.Cast(dt), labels, wt.Cast(dt), 255)
		}, wantW)
		gradCheck(t, func(xs []*Tensor) *Tensor { return WeightedCrossEntropy(xs[0], labels, wt, 255) }, x)
	}
}

// TestWeightedCrossEntropyUniform checks that equal weights give the plain
// cross-entropy and that a class of weight 0 everywhere gives 0.
func TestWeightedCrossEntropyUniform(t *testing.T) {
	rng := testRNG(t)
	x := randT(rng, 2, 3, 4)
	labels := randLabels(rng, 3, 255, 2, 4)
	same := WeightedCrossEntropy(x, labels, Full(CPU(), Float64, 2.5, 3), 255)
	closeTo(t, "uniform weights", same, []float64{CrossEntropy(x, labels, 255).Item()}, 1e-12)
	zero := WeightedCrossEntropy(x, labels, Full(CPU(), Float64, 0, 3), 255)
	require.Equal(t, 0.0, zero.Item())
	zero.Backward()
	require.Equal(t, make([]float64, 24), x.Grad().Float64s())
	require.PanicsWithValue(t, "engine: WeightedCrossEntropy: weights float64[2] for logits float64[2 3 4] (want (3) of the logits' dtype, on their device)",
		func() { WeightedCrossEntropy(x, labels, Full(CPU(), Float64, 1, 2), 255) })
}

func TestCrossEntropyLossAllIgnored(t *testing.T) {
	x := randT(testRNG(t), 2, 3, 4)
	labels := FromInt32(CPU(), []int32{-1, -1, -1, -1, -1, -1, -1, -1}, 2, 4)
	loss := CrossEntropy(x, labels, -1)
	require.Equal(t, 0.0, loss.Item())
	loss.Backward()
	require.Equal(t, make([]float64, 24), x.Grad().Float64s())
}

func TestMaskedL1LossForwardAndGradients(t *testing.T) {
	rng := testRNG(t)
	p, q := randT(rng, 2, 3, 4, 5), randT(rng, 2, 3, 4, 5)
	for _, frac := range []float64{0.6, 1, 0} {
		m := randMask(rng, frac, 2, 1, 4, 5)
		want := maskedL1Ref(p.Float64s(), q.Float64s(), m.Float64s(), 2, 3, 20)
		checkLoss(t, "masked L1", func(dt DType) *Tensor { return MaskedL1(p.Cast(dt), q.Cast(dt), m.Cast(dt)) }, want)
		if frac > 0 {
			gradCheck(t, func(xs []*Tensor) *Tensor { return MaskedL1(xs[0], xs[1], m) }, p, q)
		}
	}
}

func TestDepthL1LossSkipsZeros(t *testing.T) {
	rng := testRNG(t)
	p := randT(rng, 2, 1, 3, 5)
	tv := randT(rng, 2, 1, 3, 5).Float64s()
	m := make([]float64, len(tv))
	for i, v := range tv { // negatives become 0 (invalid)
		tv[i] = math.Max(v, 0)
		if tv[i] > 0 {
			m[i] = 1
		}
	}
	q := FromFloat64(CPU(), tv, 2, 1, 3, 5)
	want := maskedL1Ref(p.Float64s(), tv, m, 2, 1, 15)
	checkLoss(t, "depth L1", func(dt DType) *Tensor { return DepthL1(p.Cast(dt), q.Cast(dt)) }, want)
	gradCheck(t, func(xs []*Tensor) *Tensor { return DepthL1(xs[0], q) }, p)
	z := Zeros(2, 2)
	require.Equal(t, 0.0, DepthL1(Full(CPU(), Float32, 3, 2, 2), z).Item())
}

func TestBCEWithLogitsLossForwardAndGradients(t *testing.T) {
	rng := testRNG(t)
	x := randT(rng, 2, 1, 3, 4)
	y := randMask(rng, 0.5, 2, 1, 3, 4)
	soft := FromFloat64(CPU(), backendRand(rng, 24), 2, 1, 3, 4).SetRequiresGrad(true)
	for _, pw := range []float64{1, 0.3, 4} {
		for _, tgt := range []*Tensor{y, soft} {
			want := bceRef(x.Float64s(), tgt.Float64s(), pw)
			checkLoss(t, "bce", func(dt DType) *Tensor { return BCEWithLogits(x.Cast(dt), tgt.Cast(dt), pw) }, want)
		}
		gradCheck(t, func(xs []*Tensor) *Tensor { return BCEWithLogits(xs[0], xs[1], pw) }, x, soft)
	}
	// Large logits stay finite: -log σ(-1000)*y = 1000.
	big := FromFloat32(CPU(), []float32{-1000, 1000}, 2)
	closeTo(t, "large logits", BCEWithLogits(big, FromFloat32(CPU(), []float32{1, 1}, 2), 2), []float64{1000}, 1e-6)
}

// backendRand returns n values uniform in [0, 1).
func backendRand(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.Float64()
	}
	return v
}

func TestBalancedBCELossForwardAndGradients(t *testing.T) {
	rng := testRNG(t)
	x := randT(rng, 2, 1, 4, 5)
	tg := FromFloat64(CPU(), backendRand(rng, 40), 2, 1, 4, 5)
	v := randMask(rng, 0.7, 2, 1, 4, 5)
	for _, pw := range []float64{0.95, 0, 1, -1} {
		for _, valid := range []*Tensor{nil, v} {
			var vv []float64
			if valid != nil {
				vv = valid.Float64s()
			}
			want := balancedRef(x.Float64s(), tg.Float64s(), vv, pw)
			checkLoss(t, "balanced bce", func(dt DType) *Tensor {
				var vd *Tensor
				if valid != nil {
					vd = valid.Cast(dt)
				}
				return BalancedBCEWithLogits(x.Cast(dt), tg.Cast(dt), pw, vd)
			}, want)
			gradCheck(t, func(xs []*Tensor) *Tensor { return BalancedBCEWithLogits(xs[0], tg, pw, valid) }, x)
		}
	}
}

func TestCharbonnierLossForwardAndGradients(t *testing.T) {
	rng := testRNG(t)
	p, q := randT(rng, 2, 3, 4, 5), randT(rng, 2, 3, 4, 5)
	for _, eps := range []float64{CharbonnierEps, 0.5} {
		want := charbonnierRef(p.Float64s(), q.Float64s(), eps)
		checkLoss(t, "charbonnier", func(dt DType) *Tensor { return Charbonnier(p.Cast(dt), q.Cast(dt), eps) }, want)
		gradCheck(t, func(xs []*Tensor) *Tensor { return Charbonnier(xs[0], xs[1], eps) }, p, q)
	}
	same := Charbonnier(p, p.Detach(), 1e-3)
	closeTo(t, "equal inputs", same, []float64{1e-3}, 1e-12)
}

// TestPSNRLossForwardAndGradients checks PSNRLoss against the float64
// reference with a gradient check, and that it is minus the mean of the
// images' PSNRs: images off by 0.1 and by 0.01 everywhere score -20 and -40
// dB, -30 on average, where a pooled MSE would give -23.
func TestPSNRLossForwardAndGradients(t *testing.T) {
	rng := testRNG(t)
	for _, s := range [][]int{{2, 3, 4, 5}, {3, 7}} {
		p, q := randT(rng, s...), randT(rng, s...)
		for _, eps := range []float64{PSNRLossEps, 0.5} {
			want := psnrLossRef(p.Float64s(), q.Float64s(), s[0], eps)
			checkLoss(t, "psnr", func(dt DType) *Tensor { return PSNRLoss(p.Cast(dt), q.Cast(dt), eps) }, want)
			gradCheck(t, func(xs []*Tensor) *Tensor { return PSNRLoss(xs[0], xs[1], eps) }, p, q)
		}
	}
	q := randT(rng, 2, 3, 4, 4)
	off := q.Float64s()
	for i := range off {
		off[i] += []float64{0.1, 0.01}[i/48]
	}
	got := PSNRLoss(FromFloat64(CPU(), off, 2, 3, 4, 4), q, 1e-30)
	closeTo(t, "two images at 20 and 40 dB", got, []float64{-30}, 1e-9)
}

func TestNormalsL1LossForwardAndGradients(t *testing.T) {
	rng := testRNG(t)
	p := randT(rng, 2, 3, 4, 5)
	tv := randT(rng, 2, 3, 4, 5).Float64s()
	for o := 0; o < 2; o++ { // zero some target vectors (invalid pixels)
		for q := 0; q < 20; q += 3 {
			for c := 0; c < 3; c++ {
				tv[(o*3+c)*20+q] = 0
			}
		}
	}
	q := FromFloat64(CPU(), tv, 2, 3, 4, 5)
	want := normalsRef(p.Float64s(), tv, 2, 3, 20)
	checkLoss(t, "normals", func(dt DType) *Tensor { return NormalsL1(p.Cast(dt), q.Cast(dt)) }, want)
	gradCheck(t, func(xs []*Tensor) *Tensor { return NormalsL1(xs[0], q) }, p)
	// An all-zero prediction keeps a finite gradient.
	z := Zeros(1, 3, 1, 2).SetRequiresGrad(true)
	NormalsL1(z, FromFloat32(CPU(), []float32{1, 0, 0, 0, 0, 1}, 1, 3, 1, 2)).Backward()
	for _, g := range z.Grad().Float64s() {
		require.False(t, math.IsNaN(g) || math.IsInf(g, 0))
	}
}

func TestLossGolden(t *testing.T) {
	for _, c := range loadGolden(t, "losses") {
		for _, tc := range goldenTols {
			x := goldenInput(t, c, "x", tc.dt)
			var tg *Tensor
			if c.Has("grad_t") {
				tg = goldenInput(t, c, "t", tc.dt)
			} else if c.Has("t") {
				tg = c.tensor(t, "t", tc.dt)
			}
			var loss *Tensor
			switch op := c.Attrs["op"]; op {
			case "cross_entropy":
				loss = CrossEntropy(x, c.tensor(t, "labels", Int32), c.AttrInt(t, "ignore"))
			case "depth_l1":
				loss = DepthL1(x, tg)
			case "masked_l1":
				loss = MaskedL1(x, tg, c.tensor(t, "mask", tc.dt))
			case "bce_logits":
				loss = BCEWithLogits(x, tg, c.AttrFloat(t, "pos_weight"))
			case "balanced_bce":
				var v *Tensor
				if c.Has("valid") {
					v = c.tensor(t, "valid", tc.dt)
				}
				loss = BalancedBCEWithLogits(x, tg, c.AttrFloat(t, "pos_weight"), v)
			case "charbonnier":
				loss = Charbonnier(x, tg, c.AttrFloat(t, "eps"))
			case "normals_l1":
				loss = NormalsL1(x, tg)
			default:
				t.Fatalf("%s: unknown op %v", c.Name, op)
			}
			require.Equal(t, []int{}, loss.Shape(), c.Name)
			closeTo(t, c.Name+" loss", loss, c.Values(t, "loss"), tc.tol)
			loss.Backward()
			goldenGrad(t, c, "grad_x", x, tc.tol)
			if c.Has("grad_t") {
				goldenGrad(t, c, "grad_t", tg, tc.tol)
			}
		}
	}
}

func TestLossMisuse(t *testing.T) {
	x, y := Zeros(2, 3), Zeros(2, 4)
	lab := FromInt32(CPU(), []int32{0, 1}, 2)
	require.PanicsWithValue(t, "engine: CrossEntropy: logits [2 3] with labels [3] (want (N, K, ...) and (N, ...) on one device)",
		func() { CrossEntropy(x, FromInt32(CPU(), []int32{0, 1, 2}, 3), 255) })
	require.Panics(t, func() { CrossEntropy(x, Zeros(2), 255) })
	require.Panics(t, func() { CrossEntropy(Zeros(3), FromInt32(CPU(), []int32{0}, 1), 255) })
	require.Panics(t, func() { CrossEntropy(x, FromInt32(CPU(), []int32{0, 3}, 2), 255) }) // label out of range
	require.NotPanics(t, func() { CrossEntropy(x, lab, 255) })
	require.PanicsWithValue(t, "engine: MaskedL1: float32[2 3] and float32[2 4] differ (want one shape, dtype and device)",
		func() { MaskedL1(x, y, x) })
	require.PanicsWithValue(t, "engine: MaskedL1: mask float32[3 1] for float32[2 3] (want the same dtype, broadcasting to its shape)",
		func() { MaskedL1(x, x, Zeros(3, 1)) })
	require.Panics(t, func() { MaskedL1(x, x, x.Cast(Float64)) })
	require.Panics(t, func() { DepthL1(x, x.Cast(Float64)) })
	require.Panics(t, func() { BCEWithLogits(x, y, 1) })
	require.Panics(t, func() { BalancedBCEWithLogits(x, x, 1.5, nil) })
	require.Panics(t, func() { BalancedBCEWithLogits(x, x, math.NaN(), nil) })
	require.Panics(t, func() { BalancedBCEWithLogits(x, x, 0.5, Zeros(2, 2)) })
	require.Panics(t, func() { Charbonnier(x, x, 0) })
	require.Panics(t, func() { PSNRLoss(x, x, 0) })
	require.Panics(t, func() { PSNRLoss(x, y, 1e-8) })
	require.Panics(t, func() { Charbonnier(x, y, 1e-3) })
	require.Panics(t, func() { NormalsL1(Zeros(3), Zeros(3)) })
	require.Panics(t, func() { NormalsL1(x, y) })
}
