package allnet

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/engine"
	"allnet/nn"
)

// allnetTestInputs returns an ImageNet-normalised-like input and a [0, 1]
// degraded image, both (n, 3, h, w).
func allnetTestInputs(n, h, w int, seed uint64) (x, deg *engine.Tensor) {
	g := engine.NewGenerator(seed)
	x = g.Normal(engine.CPU(), engine.Float32, n, 3, h, w)
	deg = g.Uniform(engine.CPU(), engine.Float32, n, 3, h, w)
	return x, deg
}

// allnetTestTargets returns random targets for every task at (n, h, w):
// labels with some 255, depth with some invalid zeros, unit normals with
// some invalid zero pixels, binary edges and saliency, a clean image.
func allnetTestTargets(cfg Config, n, h, w int, seed uint64) *Targets {
	g := engine.NewGenerator(seed)
	u := g.Uniform(engine.CPU(), engine.Float32, 6, n, h, w).Float32s()
	hw := n * h * w
	labels := func(k int, off int) *engine.Tensor {
		v := make([]int32, hw)
		for i := range v {
			r := u[off*hw+i]
			if r < 0.1 {
				v[i] = ignoreLabel
			} else {
				v[i] = int32(r*float32(k)*0.999) % int32(k)
			}
		}
		return engine.FromInt32(engine.CPU(), v, n, h, w)
	}
	depth := make([]float32, hw)
	edge := make([]float32, hw)
	sal := make([]float32, hw)
	for i := range depth {
		if r := u[2*hw+i]; r > 0.1 {
			depth[i] = 4 * r
		}
		if u[3*hw+i] > 0.8 {
			edge[i] = 1
		}
		if u[4*hw+i] > 0.5 {
			sal[i] = 1
		}
	}
	nr := g.Normal(engine.CPU(), engine.Float32, n, 3, h, w).Float32s()
	for b := range n {
		for p := range h * w {
			var s float64
			for c := range 3 {
				s += float64(nr[(b*3+c)*h*w+p] * nr[(b*3+c)*h*w+p])
			}
			for c := range 3 {
				i := (b*3+c)*h*w + p
				if u[5*hw+b*h*w+p] < 0.1 {
					nr[i] = 0
				} else {
					nr[i] /= float32(math.Sqrt(s))
				}
			}
		}
	}
	return &Targets{
		Semseg:  labels(cfg.SemsegClasses, 0),
		Parts:   labels(PartsClasses, 1),
		Depth:   engine.FromFloat32(engine.CPU(), depth, n, 1, h, w),
		Normals: engine.FromFloat32(engine.CPU(), nr, n, 3, h, w),
		Edge:    engine.FromFloat32(engine.CPU(), edge, n, 1, h, w),
		Sal:     engine.FromFloat32(engine.CPU(), sal, n, 1, h, w),
		Clean:   g.Uniform(engine.CPU(), engine.Float32, n, 3, h, w),
	}
}

func allnetTiny(t testing.TB, dataset string) Config {
	cfg, err := Preset("allnet-tiny", dataset)
	require.NoError(t, err)
	return cfg
}

func TestAllnetPresetsValidate(t *testing.T) {
	for _, name := range PresetNames() {
		for _, ds := range []string{DatasetNYUD, DatasetPASCAL} {
			cfg, err := Preset(name, ds)
			require.NoError(t, err, name+"/"+ds)
			require.NoError(t, cfg.Validate(), name+"/"+ds)
		}
	}
	s, _ := Preset("allnet-s", DatasetNYUD)
	assert.Equal(t, []int{640, 320, 160, 80}, s.Widths)
	assert.Equal(t, []int{2, 2, 4, 4}, s.Stages)
	assert.Equal(t, 5, s.TCR.Iterations)
	assert.Equal(t, []string{"semseg", "depth", "normals", "edge"}, s.Tasks)
	assert.Equal(t, map[string]float64{"semseg": 1, "depth": 1, "normals": 10, "edge": 50, "restore": 1}, s.LossWeights)
	p, _ := Preset("allnet-s", DatasetPASCAL)
	assert.Equal(t, []string{"semseg", "parts", "sal", "normals", "edge"}, p.Tasks)
	assert.Equal(t, 21, p.SemsegClasses)
	assert.Equal(t, map[string]float64{"semseg": 1, "parts": 2, "sal": 5, "normals": 10, "edge": 50, "restore": 1}, p.LossWeights)

	_, err := Preset("allnet-xl", DatasetNYUD)
	assert.ErrorContains(t, err, "unknown ALLNet preset")
	_, err = Preset("allnet-s", "ade20k")
	assert.ErrorContains(t, err, "unknown dataset")

	bad := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"three widths", func(c *Config) { c.Widths = c.Widths[:3] }, "widths"},
		{"zero width", func(c *Config) { c.Widths[1] = 0 }, "width 0"},
		{"unknown task", func(c *Config) { c.Tasks = append(c.Tasks, "flow") }, `task "flow"`},
		{"task twice", func(c *Config) { c.Tasks = append(c.Tasks, TaskDepth) }, "twice"},
		{"weight for absent task", func(c *Config) { c.LossWeights[TaskSal] = 1 }, "not a task"},
		{"head norm", func(c *Config) { c.HeadNorm = "gn" }, "head norm"},
		{"decoder norm", func(c *Config) { c.DecoderNorm = "gn" }, "decoder norm"},
		{"depth activation", func(c *Config) { c.DepthActivation = "exp" }, "depth activation"},
		{"pad", func(c *Config) { c.Pad = "reflect" }, "pad"},
		{"depth init", func(c *Config) { c.DepthInit = -1 }, "depth init"},
		{"edge weight", func(c *Config) { c.EdgePosWeight = 2 }, "edge positive weight"},
		{"no classes", func(c *Config) { c.SemsegClasses = 0 }, "semseg"},
	}
	for _, b := range bad {
		cfg := allnetTiny(t, DatasetNYUD)
		b.edit(&cfg)
		assert.ErrorContains(t, cfg.Validate(), b.want, b.name)
	}
}

// TestAllnetDepthInit checks that the depth head's output bias starts where
// its activation gives Config.DepthInit, and that 0 keeps the default
// (small, uniform) bias.
func TestAllnetDepthInit(t *testing.T) {
	depthBias := func(cfg Config) float64 {
		for _, h := range NewModel(cfg, 1).Heads {
			if h.Task == TaskDepth {
				return h.Out.Bias.Float64s()[0]
			}
		}
		t.Fatal("no depth head")
		return 0
	}
	cfg := allnetTiny(t, DatasetNYUD)
	require.Equal(t, 3.0, cfg.DepthInit)
	assert.InDelta(t, 3, math.Log1p(math.Exp(depthBias(cfg))), 1e-6, "softplus(bias)")
	cfg.DepthActivation = "relu"
	assert.InDelta(t, 3, depthBias(cfg), 1e-6)
	cfg.DepthInit = 0
	assert.Less(t, math.Abs(depthBias(cfg)), 1.0, "default init")
}

func TestAllnetPadReplicate(t *testing.T) {
	x := engine.FromFloat32(engine.CPU(), []float32{1, 2, 3, 4, 5, 6}, 1, 1, 2, 3)
	y := padTo(x, 4, "replicate")
	require.Equal(t, []int{1, 1, 4, 4}, y.Shape())
	assert.Equal(t, []float32{1, 2, 3, 3, 4, 5, 6, 6, 4, 5, 6, 6, 4, 5, 6, 6}, y.Float32s())
	z := padTo(x, 4, "zero")
	assert.Equal(t, []float32{1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0}, z.Float32s())
	assert.Same(t, x, padTo(x, 1, "zero"))
	assert.Same(t, x, padTo(x, 4, PadNone))
}

// TestAllnetPadNone runs the model unpadded at a size that is no multiple
// of 32: the encoder's levels round up (37x50: 10x13 at 1/4 ... 2x2 at
// 1/32), the decoder follows them and every output has the input's size.
func TestAllnetPadNone(t *testing.T) {
	cfg := allnetTiny(t, DatasetNYUD)
	cfg.Pad = PadNone
	require.NoError(t, cfg.Validate())
	m := NewModel(cfg, 3)
	x, deg := allnetTestInputs(2, 37, 50, 5)
	feats := m.Backbone.Forward(padTo(x, inputMultiple, cfg.Pad))
	var got [][]int
	for _, f := range feats {
		got = append(got, f.Shape()[2:])
	}
	assert.Equal(t, [][]int{{10, 13}, {5, 7}, {3, 4}, {2, 2}}, got)
	p, j, _ := m.Decoder.Forward(feats, false, nil)
	assert.Equal(t, []int{10, 13}, p.Shape()[2:])
	assert.Equal(t, []int{10, 13}, j.Shape()[2:])
	out := m.Forward(x, deg, false, nil)
	for task, v := range out.Tasks {
		assert.Equal(t, []int{37, 50}, v.Shape()[2:], task)
	}
	assert.Equal(t, []int{2, 3, 37, 50}, out.Restored.Shape())
	for _, v := range out.Restored.Float32s() {
		require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0))
	}
	bad := cfg
	bad.Pad = "reflect"
	assert.ErrorContains(t, bad.Validate(), "want zero, replicate or none")
}

func TestAllnetStateDictNames(t *testing.T) {
	cfg := allnetTiny(t, DatasetPASCAL)
	m := NewModel(cfg, 1)
	names := nn.Names(m) // panics on duplicates
	prefixes := []string{"backbone.", "decoder.scales.", "heads.", "restore."}
	for _, n := range names {
		ok := false
		for _, p := range prefixes {
			ok = ok || strings.HasPrefix(n, p)
		}
		assert.True(t, ok, n)
	}
	for _, want := range []string{
		"backbone.patch_embed.conv1.weight", "backbone.levels.3.blocks.0.dcn.offset.weight",
		"decoder.scales.0.unified.proj.weight", "decoder.scales.3.unified.j.norm.bias",
		"heads.sal.out.weight", "heads.parts.norm.weight", "restore.out.bias",
	} {
		assert.Contains(t, names, want)
	}
	assert.True(t, slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "decoder.scales.2.mae.0.") }))
	assert.True(t, slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "decoder.scales.1.skff.") }))
	assert.True(t, slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "decoder.scales.3.tcr.") }))
	total := 0
	for _, pc := range m.ParameterCounts() {
		assert.Positive(t, pc.Params, pc.Part)
		total += pc.Params
	}
	assert.Equal(t, nn.CountParameters(m), total)
}

// TestAllnetLoadBackbone loads the official reduced-config fixture (the
// allnet-tiny encoder's shape) into the model's encoder and checks the
// names are restored.
func TestAllnetLoadBackbone(t *testing.T) {
	cfg := allnetTiny(t, DatasetNYUD)
	m := NewModel(cfg, 1)
	rep, err := m.LoadBackbone("testdata/internimage_tiny.pth", false)
	require.NoError(t, err)
	assert.NotEmpty(t, rep.Loaded)
	for _, p := range m.Backbone.Parameters() {
		require.True(t, strings.HasPrefix(p.Name, "backbone."), p.Name)
	}
}

func TestAllnetTinyForwardLossBackward(t *testing.T) {
	const n, h, w = 2, 70, 90
	for _, ds := range []string{DatasetNYUD, DatasetPASCAL} {
		t.Run(ds, func(t *testing.T) {
			cfg := allnetTiny(t, ds)
			// Every expert routed, so that every parameter takes part
			// (with top-1 routing the unchosen experts get no gradient).
			cfg.MaE.TopK = cfg.MaE.Experts
			m := NewModel(cfg, 7)
			// DCNv3's offset and mask start at zero (the official
			// initialisation), which leaves its dw_conv without gradient;
			// make them non-zero so the whole graph is exercised.
			rg := engine.NewGenerator(9)
			for _, p := range m.Backbone.Parameters() {
				if strings.HasSuffix(p.Name, ".dcn.offset.weight") || strings.HasSuffix(p.Name, ".dcn.mask.weight") {
					p.CopyFrom(engine.Scale(rg.Normal(engine.CPU(), engine.Float32, p.Shape()...), 0.05))
				}
			}
			x, deg := allnetTestInputs(n, h, w, 3)
			out := m.Forward(x, deg, true, engine.NewGenerator(5))
			require.Len(t, out.Tasks, len(cfg.Tasks))
			for _, task := range cfg.Tasks {
				require.Contains(t, out.Tasks, task)
				assert.Equal(t, []int{n, cfg.OutChannels(task), h, w}, out.Tasks[task].Shape(), task)
			}
			assert.Equal(t, []int{n, 3, h, w}, out.Restored.Shape())
			assert.Empty(t, out.Aux.Shape())
			nr := out.Tasks[TaskNormals].Float32s()
			for p := 0; p < h*w; p += 97 {
				var s float64
				for c := range 3 {
					s += float64(nr[c*h*w+p]) * float64(nr[c*h*w+p])
				}
				assert.InDelta(t, 1, s, 1e-4)
			}
			if d, ok := out.Tasks[TaskDepth]; ok {
				for _, v := range d.Float32s() {
					require.GreaterOrEqual(t, v, float32(0))
				}
			}

			terms, err := m.Loss(out, allnetTestTargets(cfg, n, h, w, 11))
			require.NoError(t, err)
			total := terms.Total.Item()
			require.False(t, math.IsNaN(total) || math.IsInf(total, 0), "total %g", total)
			var sum float64
			for name, l := range terms.Terms {
				v := l.Item()
				require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s %g", name, v)
				wt := cfg.LossWeights[name]
				if name == TaskAux {
					wt = cfg.AuxWeight
				}
				sum += wt * v
			}
			assert.InDelta(t, sum, total, 1e-4*math.Abs(sum))
			for _, want := range append(slices.Clone(cfg.Tasks), TaskRestore, TaskAux) {
				assert.Contains(t, terms.Terms, want)
			}

			terms.Total.Backward()
			var missing []string
			for _, p := range m.Parameters() {
				if g := p.Grad(); g == nil || !anyNonZero(g.Float32s()) {
					missing = append(missing, p.Name)
				}
			}
			assert.Empty(t, missing, "parameters without gradient")
		})
	}
}

func anyNonZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}

func TestAllnetLossErrors(t *testing.T) {
	cfg := allnetTiny(t, DatasetNYUD)
	m := NewModel(cfg, 1)
	x, deg := allnetTestInputs(1, 32, 32, 1)
	var out *Outputs
	engine.NoGrad(func() { out = m.Forward(x, deg, false, nil) })
	tg := allnetTestTargets(cfg, 1, 32, 32, 2)
	tg.Depth = nil
	_, err := m.Loss(out, tg)
	assert.ErrorContains(t, err, "no depth target")
	tg = allnetTestTargets(cfg, 1, 32, 32, 2)
	tg.Semseg = engine.FromInt32(engine.CPU(), make([]int32, 16), 1, 4, 4)
	_, err = m.Loss(out, tg)
	assert.ErrorContains(t, err, "semseg target")
	assert.Panics(t, func() { m.Forward(x, engine.Zeros(1, 3, 16, 32), false, nil) })
}

// TestAllnetParameterCounts logs the presets' parameter counts by part;
// allnet-s (about 100M parameters) is built only without -short.
func TestAllnetParameterCounts(t *testing.T) {
	names := []string{"allnet-tiny"}
	if !testing.Short() {
		names = append(names, "allnet-s")
	}
	for _, name := range names {
		for _, ds := range []string{DatasetNYUD, DatasetPASCAL} {
			cfg, err := Preset(name, ds)
			require.NoError(t, err)
			m := NewModel(cfg, 1)
			total := 0
			for _, pc := range m.ParameterCounts() {
				t.Logf("%s %s %s: %d", name, ds, pc.Part, pc.Params)
				total += pc.Params
			}
			t.Logf("%s %s total: %d", name, ds, total)
			if name == "allnet-s" {
				assert.Equal(t, 48_502_560, m.ParameterCounts()[0].Params, "InternImage-S backbone")
			}
		}
	}
}

// BenchmarkAllnetTinyTrainStep times allnet-tiny's forward, loss and
// backward at the demo's batch (8 of 48x64) and at 4 of 96x128, with
// Backward on one goroutine and on two (engine.SetBackwardWorkers).
func BenchmarkAllnetTinyTrainStep(b *testing.B) {
	cfg := allnetTiny(b, DatasetNYUD)
	for _, size := range [][3]int{{8, 48, 64}, {4, 96, 128}} {
		n, h, w := size[0], size[1], size[2]
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/backward-workers=%d", n, h, w, workers), func(b *testing.B) {
				prev := engine.SetBackwardWorkers(workers)
				defer engine.SetBackwardWorkers(prev)
				m := NewModel(cfg, 1)
				x, deg := allnetTestInputs(n, h, w, 1)
				tg := allnetTestTargets(cfg, n, h, w, 2)
				g := engine.NewGenerator(3)
				for b.Loop() {
					for _, p := range m.Parameters() {
						p.ZeroGrad()
					}
					terms, err := m.Loss(m.Forward(x, deg, true, g), tg)
					if err != nil {
						b.Fatal(err)
					}
					terms.Total.Backward()
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}

func BenchmarkAllnetSForward(b *testing.B) {
	cfg, err := Preset("allnet-s", DatasetNYUD)
	require.NoError(b, err)
	m := NewModel(cfg, 1)
	x, deg := allnetTestInputs(1, 288, 384, 1)
	b.ResetTimer()
	for range b.N {
		engine.NoGrad(func() { m.Forward(x, deg, false, nil) })
	}
}

// TestAllnetTopOneGradients: with the default top-1 routing, the only
// parameters left without gradient are those of unchosen experts.
func TestAllnetTopOneGradients(t *testing.T) {
	cfg := allnetTiny(t, DatasetNYUD)
	m := NewModel(cfg, 3)
	for _, p := range m.Backbone.Parameters() {
		if strings.HasSuffix(p.Name, ".dcn.offset.weight") || strings.HasSuffix(p.Name, ".dcn.mask.weight") {
			p.CopyFrom(engine.Scale(engine.NewGenerator(1).Normal(engine.CPU(), engine.Float32, p.Shape()...), 0.05))
		}
	}
	x, deg := allnetTestInputs(2, 32, 32, 4)
	out := m.Forward(x, deg, true, engine.NewGenerator(6))
	terms, err := m.Loss(out, allnetTestTargets(cfg, 2, 32, 32, 8))
	require.NoError(t, err)
	terms.Total.Backward()
	for _, p := range m.Parameters() {
		if g := p.Grad(); g == nil || !anyNonZero(g.Float32s()) {
			assert.Contains(t, p.Name, ".experts.", "parameter outside the experts without gradient")
		}
	}
}

// TestAllnetDecoderNorm checks that DecoderNorm "bn" (allnet-tiny's) gives
// the unified experts batch norms (running statistics among the buffers)
// and "ln" (allnet-s's) layer norms without buffers.
func TestAllnetDecoderNorm(t *testing.T) {
	names := func(cfg Config) map[string]bool {
		out := map[string]bool{}
		for _, b := range NewModel(cfg, 1).Buffers() {
			out[b.Name] = true
		}
		return out
	}
	s, err := Preset("allnet-s", DatasetNYUD)
	require.NoError(t, err)
	require.Equal(t, NormLayer, s.DecoderNorm)
	cfg := allnetTiny(t, DatasetNYUD)
	require.Equal(t, NormBatch, cfg.DecoderNorm)
	cfg.DecoderNorm = NormLayer
	assert.False(t, names(cfg)["decoder.scales.3.unified.p.norm.running_mean"])
	cfg.DecoderNorm = NormBatch
	got := names(cfg)
	assert.True(t, got["decoder.scales.3.unified.p.norm.running_mean"])
	assert.True(t, got["decoder.scales.0.unified.j.norm.running_var"])
}
