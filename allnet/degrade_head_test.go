package allnet

import (
	"math"
	"testing"

	"allnet/data/loader"
	"allnet/engine"
	"github.com/stretchr/testify/require"
)

// convRef is a float64 stride-1 convolution of x (cin, h, w) with square
// kernels w (cout, cin, k, k), bias b and zero padding pad: (cout, oh, ow).
func convRef(x []float64, cin, h, w int, wt, b []float64, cout, k, pad int) (out []float64, oh, ow int) {
	oh, ow = h+2*pad-k+1, w+2*pad-k+1
	out = make([]float64, cout*oh*ow)
	for o := range cout {
		for y := range oh {
			for xx := range ow {
				acc := b[o]
				for ci := range cin {
					for dy := range k {
						for dx := range k {
							iy, ix := y+dy-pad, xx+dx-pad
							if iy >= 0 && iy < h && ix >= 0 && ix < w {
								acc += wt[((o*cin+ci)*k+dy)*k+dx] * x[(ci*h+iy)*w+ix]
							}
						}
					}
				}
				out[(o*oh+y)*ow+xx] = acc
			}
		}
	}
	return out, oh, ow
}

func geluRef(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) }

// degradeHeadRef is the float64 reference of the degradation head on one
// image: x (3, h, w) and its 1/4-scale features p (c, hp, wp), with the
// head's weights (energy conv valid 5x5; detector conv3x3, GELU, conv3x3;
// then the MLP with erf GELU): its logits.
func degradeHeadRef(hd *degradeHead, x32 []float32, h, w int, p []float32, c, hpw int) []float64 {
	x := make([]float64, len(x32))
	for i, v := range x32 {
		x[i] = float64(v)
	}
	var desc []float64
	e, oh, ow := convRef(x, 3, h, w, hd.Energy.Weight.Float64s(), hd.Energy.Bias.Float64s(), degradeEnergyWidth, degradeEnergySize, 0)
	for o := range degradeEnergyWidth {
		var sum float64
		for _, v := range e[o*oh*ow : (o+1)*oh*ow] {
			sum += v * v
		}
		desc = append(desc, math.Log(sum/float64(oh*ow)+1e-6))
	}
	d1, _, _ := convRef(x, 3, h, w, hd.Detect1.Weight.Float64s(), hd.Detect1.Bias.Float64s(), degradeDetectWidth, 3, 1)
	for i, v := range d1 {
		d1[i] = geluRef(v)
	}
	d, _, _ := convRef(d1, degradeDetectWidth, h, w, hd.Detect2.Weight.Float64s(), hd.Detect2.Bias.Float64s(), degradeDetectWidth, 3, 1)
	maxes, means := make([]float64, degradeDetectWidth), make([]float64, degradeDetectWidth)
	for o := range degradeDetectWidth {
		maxes[o] = math.Inf(-1)
		for _, v := range d[o*h*w : (o+1)*h*w] {
			maxes[o] = max(maxes[o], v)
			means[o] += max(v, 0) / float64(h*w)
		}
	}
	desc = append(append(desc, maxes...), means...)
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
		hid[i] = geluRef(v)
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
		want := degradeHeadRef(m.Degrade, d[i*3*h*w:(i+1)*3*h*w], h, w, pf[i*c4*hpw:(i+1)*c4*hpw], c4, hpw)
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
