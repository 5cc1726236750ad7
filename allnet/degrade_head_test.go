package allnet

import (
	"math"
	"testing"

	"allnet/data/loader"
	"allnet/engine"
	"github.com/stretchr/testify/require"
)

// degradeLogitsRef is the float64 reference of the degradation-type head on
// one image: x (3, h, w) and its 1/4-scale features p (c, hp, wp), with the
// head's weights (energy conv valid 5x5, then the MLP with erf GELU).
func degradeLogitsRef(hd *degradeHead, x []float32, h, w int, p []float32, c, hpw int) []float64 {
	ew, eb := hd.Energy.Weight.Float64s(), hd.Energy.Bias.Float64s()
	s := degradeEnergySize
	oh, ow := h-s+1, w-s+1
	var desc []float64
	for o := range degradeEnergyWidth {
		var sum float64
		for y := range oh {
			for xx := range ow {
				acc := eb[o]
				for ci := range 3 {
					for dy := range s {
						for dx := range s {
							acc += ew[((o*3+ci)*s+dy)*s+dx] * float64(x[(ci*h+y+dy)*w+xx+dx])
						}
					}
				}
				sum += acc * acc
			}
		}
		desc = append(desc, math.Log(sum/float64(oh*ow)+1e-6))
	}
	for ci := range c {
		var sum float64
		for _, v := range p[ci*hpw : (ci+1)*hpw] {
			sum += float64(v)
		}
		desc = append(desc, sum/float64(hpw))
	}
	linear := func(in, wt, b []float64, out int) []float64 {
		r := make([]float64, out)
		for o := range out {
			r[o] = b[o]
			for i, v := range in {
				r[o] += wt[o*len(in)+i] * v
			}
		}
		return r
	}
	fc1, fc2 := hd.MLP.FC1, hd.MLP.FC2
	hid := linear(desc, fc1.Weight.Float64s(), fc1.Bias.Float64s(), degradeHidden)
	for i, v := range hid {
		hid[i] = 0.5 * v * (1 + math.Erf(v/math.Sqrt2))
	}
	return linear(hid, fc2.Weight.Float64s(), fc2.Bias.Float64s(), len(DegradeClasses))
}

// TestDegradeHeadMatchesReference checks the head's logits against the
// float64 reference on two images, that its loss term is the mean
// cross-entropy over the images with a known type, and that the restored
// image depends on the class probabilities (a head whose output did not
// reach the restoration path would leave it unchanged).
func TestDegradeHeadMatchesReference(t *testing.T) {
	const n, h, w = 2, 32, 32
	cfg := allnetTiny(t, DatasetNYUD)
	cfg.DegradeHead, cfg.DegradeHeadWeight = true, 0.1
	require.NoError(t, cfg.Validate())
	m := NewModel(cfg, 4)
	require.NotNil(t, m.Degrade)
	c4 := cfg.Widths[Scales-1]

	_, deg := allnetTestInputs(n, h, w, 6)
	p := engine.NewGenerator(7).Normal(engine.CPU(), engine.Float32, n, c4, h/4, w/4)
	var logits *engine.Tensor
	engine.NoGrad(func() { logits = m.Degrade.Forward(p, deg) })
	require.Equal(t, []int{n, len(DegradeClasses)}, logits.Shape())
	got, d, pf := logits.Float64s(), deg.Float32s(), p.Float32s()
	hpw := (h / 4) * (w / 4)
	for i := range n {
		want := degradeLogitsRef(m.Degrade, d[i*3*h*w:(i+1)*3*h*w], h, w, pf[i*c4*hpw:(i+1)*c4*hpw], c4, hpw)
		for k, v := range want {
			require.InDelta(t, v, got[i*len(want)+k], 1e-4, "image %d, class %s", i, DegradeClasses[k])
		}
	}

	// The loss: image 0 is blur, image 1 unknown (ignored).
	labels := engine.FromInt32(engine.CPU(), []int32{degradeClassIndex("blur"), degradeClassIndex("snow")}, n)
	require.Equal(t, int32(4), degradeClassIndex("blur"))
	require.Equal(t, int32(ignoreLabel), degradeClassIndex("snow"))
	row := got[:len(DegradeClasses)]
	var lse float64
	for _, v := range row {
		lse += math.Exp(v)
	}
	wantCE := math.Log(lse) - row[4]
	require.InDelta(t, wantCE, degradeTypeLoss(logits, labels).Item(), 1e-5)

	x, deg2 := allnetTestInputs(n, h, w, 8)
	tg := allnetTestTargets(cfg, n, h, w, 9)
	var out *Outputs
	engine.NoGrad(func() { out = m.Forward(x, deg2, false, nil) })
	require.Equal(t, []int{n, len(DegradeClasses)}, out.DegradeLogits.Shape())
	_, err := m.Loss(out, tg)
	require.ErrorContains(t, err, "no degrade target")
	tg.DegradeType = labels
	terms, err := m.Loss(out, tg)
	require.NoError(t, err)
	require.Contains(t, terms.Terms, TaskDegrade)

	before := out.Restored.Float64s()
	engine.NoGrad(func() {
		m.Restore.Out.Weight.CopyFrom(engine.Scale(m.Restore.Out.Weight, 100)) // make the residual count
		before = m.Forward(x, deg2, false, nil).Restored.Float64s()
		b := m.Degrade.MLP.FC2.Bias
		b.CopyFrom(engine.Add(b, engine.FromFloat64(engine.CPU(), []float64{0, 0, 0, 0, 20}, 5).Cast(b.DType())))
		out = m.Forward(x, deg2, false, nil)
	})
	var diff float64
	for i, v := range out.Restored.Float64s() {
		diff = max(diff, math.Abs(v-before[i]))
	}
	require.Greater(t, diff, 1e-3, "the class probabilities change the restoration")

	cfg.RestoreRefine = 0
	require.ErrorContains(t, cfg.Validate(), "degradation-type head conditions the restoration's refinement")
}

// TestBatchTensorsDegradeTypes checks that the batch's degradation types
// become the head's class indices, unknown ones ignored.
func TestBatchTensorsDegradeTypes(t *testing.T) {
	b := &loader.Batch{B: 3, H: 2, W: 2, Images: make([]float32, 36), Clean: make([]float32, 36),
		Types: []string{"clean", "rain", "fog"}}
	_, _, tg := BatchTensors(b, engine.CPU())
	require.Equal(t, []int32{0, 3, ignoreLabel}, tg.DegradeType.Int32s())
}
