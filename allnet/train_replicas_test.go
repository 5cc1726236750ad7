package allnet

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine"
)

// TestReplicatedStepGradient checks that two replicas' combined gradient
// is the one-model gradient of the whole batch, on a configuration whose
// loss is a mean over independent images: layer norms only, no routing
// noise or load-balancing loss, every target pixel valid.
func TestReplicatedStepGradient(t *testing.T) {
	cfg := allnetTiny(t, DatasetNYUD)
	cfg.SemsegClasses = 13
	cfg.HeadNorm, cfg.DecoderNorm = NormLayer, NormLayer
	cfg.MaE.NoiseStd, cfg.AuxWeight = 0, 0
	n, h, w := 3, 32, 48
	x, d01 := allnetTestInputs(n, h, w, 5)
	tg := allnetTestTargets(cfg, n, h, w, 6)
	labels := tg.Semseg.Int32s()
	for i, l := range labels {
		if l == ignoreLabel {
			labels[i] = int32(i % 13)
		}
	}
	tg.Semseg = engine.FromInt32(engine.CPU(), labels, n, h, w)
	tg.Depth = engine.AddScalar(engine.Abs(tg.Depth), 0.5)
	tg.Normals = engine.Div(engine.AddScalar(tg.Normals, 0.01), engine.Sqrt(engine.Sum(engine.Square(engine.AddScalar(tg.Normals, 0.01)), true, 1)))

	one := NewModel(cfg, 7)
	lt, err := one.Loss(one.Forward(x, d01, true, engine.NewGenerator(1)), tg)
	require.NoError(t, err)
	lt.Total.Backward()

	m := NewModel(cfg, 7)
	tr := &trainer{m: m, reps: newReplicas(m, 2), g: engine.NewGenerator(1), ckptAt: -1}
	vals, err := tr.replicatedStep(1, x, d01, tg)
	require.NoError(t, err)
	require.InDelta(t, lt.Total.Item(), vals[lossKey], 1e-5*math.Abs(lt.Total.Item()))
	for k, v := range lt.Terms {
		if k == TaskAux {
			continue // a statistic of the whole batch, weighted 0 here
		}
		require.InDelta(t, v.Item(), vals[k], 1e-5*math.Abs(v.Item())+1e-7, k)
	}
	want, got := one.Parameters(), m.Parameters()
	for i, p := range want {
		if p.Grad() == nil {
			require.Nil(t, got[i].Grad(), p.Name)
			continue
		}
		g0, g1 := p.Grad().Float32s(), got[i].Grad().Float32s()
		var diff, scale float64
		for j := range g0 {
			diff = math.Max(diff, math.Abs(float64(g0[j]-g1[j])))
			scale = math.Max(scale, math.Abs(float64(g0[j])))
		}
		require.LessOrEqual(t, diff, 1e-4*scale+1e-7, "%s: gradient differs by %g (largest %g)", p.Name, diff, scale)
	}
	for _, r := range tr.reps {
		for _, p := range r.Parameters() {
			require.Nil(t, p.Grad(), "replica gradient left behind")
		}
	}
}

// TestTrainReplicas checks a two-replica run: it repeats exactly, resumes
// exactly, and differs from a one-model run (its batch norms see half the
// batch).
func TestTrainReplicas(t *testing.T) {
	dir := t.TempDir()
	c := tinyTrainConfig(filepath.Join(dir, "two"))
	c.Batch, c.Replicas = 4, 2
	_, err := Train(c, TrainHooks{})
	require.NoError(t, err)
	want := stateOf(t, filepath.Join(c.Out, RunLastCkpt))

	one := c
	one.Out, one.Replicas = filepath.Join(dir, "one"), 1
	_, err = Train(one, TrainHooks{})
	require.NoError(t, err)
	require.False(t, bitEqual(stateOf(t, filepath.Join(one.Out, RunLastCkpt)), want), "replicas changed nothing")

	split := c
	split.Out, split.StopAt = filepath.Join(dir, "split"), 2
	_, err = Train(split, TrainHooks{})
	require.NoError(t, err)
	rc, err := ReadTrainConfig(filepath.Join(split.Out, RunConfigFile), DefaultTrainConfig())
	require.NoError(t, err)
	require.Equal(t, 2, rc.Replicas)
	rc.StopAt = 0
	_, err = Train(rc, TrainHooks{Resume: true})
	require.NoError(t, err)
	require.True(t, bitEqual(stateOf(t, filepath.Join(split.Out, RunLastCkpt)), want), "resumed replicated run differs")

	bad := c
	bad.Out, bad.Replicas = filepath.Join(dir, "bad"), 5
	_, err = Train(bad, TrainHooks{})
	require.ErrorContains(t, err, "replicas is 5")
}
