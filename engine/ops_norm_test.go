package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// layerNormRef normalises x (rows, c) row by row in float64 loops; gamma
// and beta may be nil.
func layerNormRef(x []float64, c int, gamma, beta []float64, eps float64) []float64 {
	out := make([]float64, len(x))
	for r := 0; r < len(x)/c; r++ {
		row := x[r*c : (r+1)*c]
		var mu, v float64
		for _, a := range row {
			mu += a
		}
		mu /= float64(c)
		for _, a := range row {
			v += (a - mu) * (a - mu)
		}
		v /= float64(c)
		for j, a := range row {
			y := (a - mu) / math.Sqrt(v+eps)
			if gamma != nil {
				y *= gamma[j]
			}
			if beta != nil {
				y += beta[j]
			}
			out[r*c+j] = y
		}
	}
	return out
}

// valuesOrNil returns t's values, or nil for a nil tensor.
func valuesOrNil(t *Tensor) []float64 {
	if t == nil {
		return nil
	}
	return t.Float64s()
}

func TestLayerNormForward(t *testing.T) {
	rng := testRNG(t)
	x := randT(rng, 2, 3, 7)
	gamma, beta := randT(rng, 7), randT(rng, 7)
	for _, p := range []struct{ g, b *Tensor }{{gamma, beta}, {nil, nil}, {gamma, nil}, {nil, beta}} {
		want := layerNormRef(x.Float64s(), 7, valuesOrNil(p.g), valuesOrNil(p.b), 1e-5)
		got := LayerNorm(x, p.g, p.b, 1e-5)
		require.Equal(t, x.Shape(), got.Shape())
		closeTo(t, "layer norm", got, want, 1e-12)
		var g32, b32 *Tensor
		if p.g != nil {
			g32 = p.g.Cast(Float32)
		}
		if p.b != nil {
			b32 = p.b.Cast(Float32)
		}
		closeTo(t, "layer norm float32", LayerNorm(x.Cast(Float32), g32, b32, 1e-5), want, 1e-6)
	}
}

func TestLayerNormChannelsForward(t *testing.T) {
	rng := testRNG(t)
	x := randT(rng, 2, 5, 3, 4)
	gamma, beta := randT(rng, 5), randT(rng, 5)
	// Reference: move channels last by hand, normalise, move back.
	xv := x.Float64s()
	perm := make([]float64, len(xv))
	for n := 0; n < 2; n++ {
		for c := 0; c < 5; c++ {
			for s := 0; s < 12; s++ {
				perm[(n*12+s)*5+c] = xv[(n*5+c)*12+s]
			}
		}
	}
	ln := layerNormRef(perm, 5, gamma.Float64s(), beta.Float64s(), 1e-6)
	want := make([]float64, len(xv))
	for n := 0; n < 2; n++ {
		for c := 0; c < 5; c++ {
			for s := 0; s < 12; s++ {
				want[(n*5+c)*12+s] = ln[(n*12+s)*5+c]
			}
		}
	}
	got := LayerNormChannels(x, gamma, beta, 1e-6)
	require.Equal(t, x.Shape(), got.Shape())
	closeTo(t, "layer norm channels", got, want, 1e-12)
}

func TestLayerNormGradients(t *testing.T) {
	rng := testRNG(t)
	x := randT(rng, 3, 2, 6)
	gamma, beta := randT(rng, 6), randT(rng, 6)
	f := func(xs []*Tensor) *Tensor { return LayerNorm(xs[0], xs[1], xs[2], 1e-5) }
	gradCheck(t, f, x, gamma, beta)
	gradCheck(t, func(xs []*Tensor) *Tensor { return LayerNorm(xs[0], nil, nil, 1e-6) }, x)
	gradCheck(t, func(xs []*Tensor) *Tensor { return LayerNorm(xs[0], xs[1], nil, 1e-5) }, x, gamma)
	gradCheck(t, func(xs []*Tensor) *Tensor { return LayerNorm(xs[0], nil, xs[1], 1e-5) }, x, beta)
	// Only the parameters require grad.
	xc := x.Clone()
	gradCheck(t, f, xc, gamma, beta)
	require.Nil(t, xc.Grad())
	xcf := randT(rng, 2, 4, 3, 2)
	g4, b4 := randT(rng, 4), randT(rng, 4)
	gradCheck(t, func(xs []*Tensor) *Tensor { return LayerNormChannels(xs[0], xs[1], xs[2], 1e-6) }, xcf, g4, b4)
}

func TestLayerNormGolden(t *testing.T) {
	for _, c := range loadGolden(t, "layer_norm") {
		for _, tc := range goldenTols {
			x := goldenInput(t, c, "x", tc.dt)
			gamma, beta := goldenInput(t, c, "gamma", tc.dt), goldenInput(t, c, "beta", tc.dt)
			eps := c.AttrFloat(t, "eps")
			var out *Tensor
			if c.AttrBool("channels_first") {
				out = LayerNormChannels(x, gamma, beta, eps)
			} else {
				out = LayerNorm(x, gamma, beta, eps)
			}
			closeTo(t, c.Name+" out", out, c.Values(t, "out"), tc.tol)
			goldenBackward(t, c, out)
			goldenGrad(t, c, "grad_x", x, tc.tol)
			goldenGrad(t, c, "grad_gamma", gamma, tc.tol)
			goldenGrad(t, c, "grad_beta", beta, tc.tol)
		}
	}
}

func TestLayerNormMisuse(t *testing.T) {
	x := Zeros(2, 3)
	require.PanicsWithValue(t, "engine: LayerNorm: parameter of shape [4] for input [2 3], want (3)",
		func() { LayerNorm(x, Zeros(4), nil, 1e-5) })
	require.Panics(t, func() { LayerNorm(x, nil, New(CPU(), Float64, 3), 1e-5) })
	require.Panics(t, func() { LayerNorm(Zeros(), nil, nil, 1e-5) })
	require.Panics(t, func() { LayerNormChannels(Zeros(3), nil, nil, 1e-5) })
}

// batchNormRef is PyTorch's batch norm on x (n, c, s) in float64 loops. It
// returns the output and the running statistics after the call (training
// updates copies of rm and rv).
func batchNormRef(x []float64, n, c, s int, gamma, beta, rm, rv []float64, training bool, m, eps float64) (out, nrm, nrv []float64) {
	out = make([]float64, len(x))
	nrm, nrv = append([]float64(nil), rm...), append([]float64(nil), rv...)
	cnt := float64(n * s)
	for ch := 0; ch < c; ch++ {
		mu, v := rm[ch], rv[ch]
		if training {
			mu, v = 0, 0
			for i := 0; i < n; i++ {
				for j := 0; j < s; j++ {
					mu += x[(i*c+ch)*s+j]
				}
			}
			mu /= cnt
			for i := 0; i < n; i++ {
				for j := 0; j < s; j++ {
					d := x[(i*c+ch)*s+j] - mu
					v += d * d
				}
			}
			v /= cnt
			nrm[ch] = (1-m)*rm[ch] + m*mu
			nrv[ch] = (1-m)*rv[ch] + m*v*cnt/(cnt-1)
		}
		for i := 0; i < n; i++ {
			for j := 0; j < s; j++ {
				y := (x[(i*c+ch)*s+j] - mu) / math.Sqrt(v+eps)
				if gamma != nil {
					y = y*gamma[ch] + beta[ch]
				}
				out[(i*c+ch)*s+j] = y
			}
		}
	}
	return out, nrm, nrv
}

func TestBatchNormTrainEval(t *testing.T) {
	rng := testRNG(t)
	x := randT(rng, 3, 4, 2, 5)
	gamma, beta := randT(rng, 4), randT(rng, 4)
	rm0 := []float64{0.1, -0.2, 0.3, 0}
	rv0 := []float64{1, 0.5, 2, 1.5}
	for _, training := range []bool{true, false} {
		for _, dt := range []DType{Float64, Float32} {
			what := fmt.Sprintf("training %v %v", training, dt)
			tol := map[DType]float64{Float64: 1e-12, Float32: 1e-6}[dt]
			rm, rv := FromValues(CPU(), dt, rm0, 4), FromValues(CPU(), dt, rv0, 4)
			want, wrm, wrv := batchNormRef(x.Float64s(), 3, 4, 10, gamma.Float64s(), beta.Float64s(), rm0, rv0, training, 0.1, 1e-5)
			got := BatchNorm(x.Cast(dt), gamma.Cast(dt), beta.Cast(dt), rm, rv, training, 0.1, 1e-5)
			require.Equal(t, x.Shape(), got.Shape())
			closeTo(t, what+" out", got, want, tol)
			closeTo(t, what+" running mean", rm, wrm, tol)
			closeTo(t, what+" running var", rv, wrv, tol)
			require.False(t, rm.RequiresGrad() || rv.RequiresGrad())
		}
	}
	// No running statistics: batch statistics in both modes, nothing updated.
	want, _, _ := batchNormRef(x.Float64s(), 3, 4, 10, nil, nil, make([]float64, 4), make([]float64, 4), true, 0.1, 1e-5)
	closeTo(t, "no running stats, eval", BatchNorm(x, nil, nil, nil, nil, false, 0.1, 1e-5), want, 1e-12)
	closeTo(t, "no running stats, train", BatchNorm(x, nil, nil, nil, nil, true, 0.1, 1e-5), want, 1e-12)
}

func TestBatchNormGradients(t *testing.T) {
	rng := testRNG(t)
	x := randT(rng, 3, 4, 2, 3)
	gamma, beta := randT(rng, 4), randT(rng, 4)
	rm := FromValues(CPU(), Float64, []float64{0.1, -0.2, 0.3, 0}, 4)
	rv := FromValues(CPU(), Float64, []float64{1, 0.5, 2, 1.5}, 4)
	for _, training := range []bool{true, false} {
		gradCheck(t, func(xs []*Tensor) *Tensor {
			return BatchNorm(xs[0], xs[1], xs[2], rm, rv, training, 0.1, 1e-5)
		}, x, gamma, beta)
	}
	x2 := randT(rng, 5, 3)
	gradCheck(t, func(xs []*Tensor) *Tensor { return BatchNorm(xs[0], nil, nil, nil, nil, true, 0.1, 1e-5) }, x2)
}

func TestBatchNormGolden(t *testing.T) {
	for _, c := range loadGolden(t, "batch_norm") {
		for _, tc := range goldenTols {
			x := goldenInput(t, c, "x", tc.dt)
			gamma, beta := goldenInput(t, c, "gamma", tc.dt), goldenInput(t, c, "beta", tc.dt)
			rm, rv := c.tensor(t, "running_mean", tc.dt), c.tensor(t, "running_var", tc.dt)
			out := BatchNorm(x, gamma, beta, rm, rv, c.AttrBool("training"), c.AttrFloat(t, "momentum"), c.AttrFloat(t, "eps"))
			closeTo(t, c.Name+" out", out, c.Values(t, "out"), tc.tol)
			closeTo(t, c.Name+" running mean", rm, c.Values(t, "running_mean_after"), tc.tol)
			closeTo(t, c.Name+" running var", rv, c.Values(t, "running_var_after"), tc.tol)
			goldenBackward(t, c, out)
			goldenGrad(t, c, "grad_x", x, tc.tol)
			goldenGrad(t, c, "grad_gamma", gamma, tc.tol)
			goldenGrad(t, c, "grad_beta", beta, tc.tol)
		}
	}
}

func TestBatchNormMisuse(t *testing.T) {
	x := Zeros(2, 3, 4)
	require.Panics(t, func() { BatchNorm(Zeros(3), nil, nil, nil, nil, true, 0.1, 1e-5) })
	require.Panics(t, func() { BatchNorm(x, Zeros(4), nil, nil, nil, true, 0.1, 1e-5) })
	require.Panics(t, func() { BatchNorm(x, nil, nil, Zeros(3), nil, true, 0.1, 1e-5) })
	require.PanicsWithValue(t, "engine: BatchNorm: expected more than 1 value per channel when training, got input [1 3]",
		func() { BatchNorm(Zeros(1, 3), nil, nil, nil, nil, true, 0.1, 1e-5) })
}
