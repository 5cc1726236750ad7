package allnet

import (
	"math"
	"testing"

	"allnet/engine"
	"github.com/stretchr/testify/require"
)

// TestRestoreRefineSeesPixels checks the full-resolution refine stage: with
// it, changing one pixel of the degraded input changes the predicted
// residual around that pixel (the 1/4-scale path alone cannot: its input is
// the network input x, held fixed here); without it the residual does not
// change at all.
func TestRestoreRefineSeesPixels(t *testing.T) {
	const n, h, w = 1, 40, 36
	for _, refine := range []int{0, 6} {
		cfg := allnetTiny(t, DatasetNYUD)
		cfg.RestoreRefine, cfg.RestoreInput = refine, 0
		m := NewModel(cfg, 3)
		// The last convolution starts near zero; give it PyTorch's scale
		// so that the residual shows plainly what the path sees.
		engine.NoGrad(func() {
			m.Restore.Out.Weight.CopyFrom(engine.Scale(m.Restore.Out.Weight, 1/restoreOutInitScale))
		})
		x, deg := allnetTestInputs(n, h, w, 5)
		pix := deg.Float32s()
		const py, px = 17, 11
		pix[py*w+px] += 0.5 // channel 0
		deg2 := engine.FromFloat32(engine.CPU(), pix, n, 3, h, w)
		var r1, r2 []float32
		engine.NoGrad(func() {
			r1 = engine.Sub(m.Forward(x, deg, false, nil).Restored, deg).Float32s()
			r2 = engine.Sub(m.Forward(x, deg2, false, nil).Restored, deg2).Float32s()
		})
		maxDiff, far := 0.0, 0.0
		for c := range 3 {
			for y := range h {
				for xx := range w {
					i := (c*h+y)*w + xx
					d := math.Abs(float64(r1[i] - r2[i]))
					if y >= py-2 && y <= py+2 && xx >= px-2 && xx <= px+2 {
						maxDiff = math.Max(maxDiff, d)
					} else {
						far = math.Max(far, d)
					}
				}
			}
		}
		if refine == 0 {
			require.Less(t, maxDiff+far, 1e-6, "without refine the residual ignores the degraded pixels (up to rounding)")
			continue
		}
		require.Greater(t, maxDiff, 1e-3, "the refine stage sees the changed pixel")
		require.Less(t, far, 1e-6, "two 3x3 convolutions reach 2 pixels, no further")
	}
}

// TestRestoreStartsNearIdentity checks that a new model's restoration is
// close to the degraded input (the last convolution starts near zero): its
// residual is about restoreOutInitScale of what PyTorch's default
// initialisation gives.
func TestRestoreStartsNearIdentity(t *testing.T) {
	m := NewModel(allnetTiny(t, DatasetNYUD), 3)
	x, deg := allnetTestInputs(2, 24, 20, 5)
	residual := func() float64 {
		var r *engine.Tensor
		engine.NoGrad(func() { r = engine.Sub(m.Forward(x, deg, false, nil).Restored, deg) })
		return math.Sqrt(engine.MeanAll(engine.Square(r)).Item())
	}
	small := residual()
	engine.NoGrad(func() {
		m.Restore.Out.Weight.CopyFrom(engine.Scale(m.Restore.Out.Weight, 1/restoreOutInitScale))
	})
	full := residual()
	require.Greater(t, full, 1e-3)
	require.InDelta(t, restoreOutInitScale, small/full, 1e-4)
}

// TestModelConfigLossWeights checks that loss_weights override the preset's
// weights and that unknown or invalid entries are refused.
func TestModelConfigLossWeights(t *testing.T) {
	tc := TrainConfig{Model: "allnet-tiny", Dataset: "synthetic", LossWeights: map[string]float64{TaskEdge: 5, TaskRestore: 2}}
	mc, err := ModelConfig(tc, 13)
	require.NoError(t, err)
	require.Equal(t, 5.0, mc.LossWeights[TaskEdge])
	require.Equal(t, 2.0, mc.LossWeights[TaskRestore])
	require.Equal(t, 10.0, mc.LossWeights[TaskNormals], "unnamed tasks keep the paper's weight")

	tc.Tasks = []string{TaskSemseg}
	_, err = ModelConfig(tc, 13)
	require.ErrorContains(t, err, `loss_weights: "edge" is not a trained task`)

	tc = TrainConfig{Model: "allnet-tiny", Dataset: "synthetic", LossWeights: map[string]float64{TaskDepth: -1}}
	_, err = ModelConfig(tc, 13)
	require.ErrorContains(t, err, "depth = -1")
}

// TestModelConfigRestoreLoss checks that restore_loss reaches the model
// and selects the loss term: Charbonnier by default, minus the PSNR with
// "psnr" (the mean over images of 10 log10 of their squared error).
func TestModelConfigRestoreLoss(t *testing.T) {
	const n, h, w = 2, 32, 32
	tc := TrainConfig{Model: "allnet-tiny", Dataset: "synthetic"}
	mc, err := ModelConfig(tc, 13)
	require.NoError(t, err)
	require.Equal(t, RestoreLossCharbonnier, mc.RestoreLoss)
	tc.RestoreLoss = RestoreLossPSNR
	mc, err = ModelConfig(tc, 13)
	require.NoError(t, err)
	require.Equal(t, RestoreLossPSNR, mc.RestoreLoss)

	x, deg := allnetTestInputs(n, h, w, 3)
	m := NewModel(mc, 4)
	tg := allnetTestTargets(mc, n, h, w, 5)
	var out *Outputs
	engine.NoGrad(func() { out = m.Forward(x, deg, false, nil) })
	terms, err := m.Loss(out, tg)
	require.NoError(t, err)
	r, c := out.Restored.Float64s(), tg.Clean.Float64s()
	per := make([]float64, n)
	for i := range r {
		d := r[i] - c[i]
		per[i/(len(r)/n)] += d * d / float64(len(r)/n)
	}
	want := 0.0
	for _, mse := range per {
		want += 10 * math.Log10(mse+engine.PSNRLossEps) / n
	}
	require.InDelta(t, want, terms.Terms[TaskRestore].Item(), 1e-3)
	m.Config.RestoreLoss = RestoreLossCharbonnier
	terms, err = m.Loss(out, tg)
	require.NoError(t, err)
	require.Positive(t, terms.Terms[TaskRestore].Item())

	mc.RestoreLoss = "l2"
	require.ErrorContains(t, mc.Validate(), `restoration loss "l2"`)
}

// TestRestoreInputFeatures checks the restoration path's own features of
// the degraded image (Config.RestoreInput): even without the refine stage
// a changed input pixel now changes the residual (through the stride-2
// skip, so also a few pixels away), and the layers carry the documented
// names and shapes.
func TestRestoreInputFeatures(t *testing.T) {
	const n, h, w = 2, 40, 36
	cfg := allnetTiny(t, DatasetNYUD)
	cfg.RestoreRefine, cfg.RestoreInput = 0, 4
	require.NoError(t, cfg.Validate())
	m := NewModel(cfg, 3)
	shapes := map[string][]int{}
	for _, p := range m.Parameters() {
		shapes[p.Name] = p.Shape()
	}
	require.Equal(t, []int{4, 3, 3, 3}, shapes["restore.in0.conv.weight"])
	require.Equal(t, []int{4, 4, 3, 3}, shapes["restore.in1.conv.weight"])
	require.Equal(t, []int{cfg.RestoreWidths[1], cfg.RestoreWidths[0] + 4, 3, 3}, shapes["restore.conv2.weight"])
	x, deg := allnetTestInputs(n, h, w, 5)
	pix := deg.Float32s()
	pix[17*w+11] += 0.5
	deg2 := engine.FromFloat32(engine.CPU(), pix, n, 3, h, w)
	var r1, r2 []float32
	engine.NoGrad(func() {
		r1 = engine.Sub(m.Forward(x, deg, false, nil).Restored, deg).Float32s()
		r2 = engine.Sub(m.Forward(x, deg2, false, nil).Restored, deg2).Float32s()
	})
	changed := 0
	for i := range r1 {
		if math.Abs(float64(r1[i]-r2[i])) > 1e-7 {
			changed++
		}
	}
	require.Greater(t, changed, 3*9, "the residual follows the input pixel over more than a 3x3 patch")
	require.Less(t, changed, 3*h*w/2, "image 2 and far pixels of image 1 do not change (batch norms in evaluation mode)")

	cfg.RestoreInput = -1
	require.ErrorContains(t, cfg.Validate(), "restoration input width -1")
}
