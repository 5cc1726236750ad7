package allnet

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/data/synth"
	"allnet/engine"
)

func TestClassBalanceWeights(t *testing.T) {
	// Present counts 10, 40, 90 (median 40) and an absent class.
	counts := []int64{10, 0, 40, 90}
	require.Equal(t, []float64{4, 1, 1, 40.0 / 90}, ClassBalanceWeights(counts, 1))
	w := ClassBalanceWeights(counts, 0.5)
	for i, want := range []float64{2, 1, 1, math.Sqrt(40.0 / 90)} {
		require.InDelta(t, want, w[i], 1e-15, "class %d", i)
	}
	require.Equal(t, []float64{1, 1, 1, 1}, ClassBalanceWeights(counts, 0))
	// An even number of present classes takes the mean of the middle two.
	require.Equal(t, []float64{3, 0.6}, ClassBalanceWeights([]int64{2, 10}, 1))
	require.Equal(t, []float64{1, 1}, ClassBalanceWeights([]int64{0, 0}, 1))
}

func TestSemsegClassCounts(t *testing.T) {
	ds := synth.NewDataset(synth.Config{Like: synth.LikeNYUD, H: 32, W: 48}, 3, "train", 5)
	got, err := SemsegClassCounts(ds, 2)
	require.NoError(t, err)
	want := make([]int64, ds.Info().Classes)
	for i := range ds.Len() {
		s, err := ds.Load(i)
		require.NoError(t, err)
		for _, l := range s.Semseg {
			want[l]++
		}
	}
	require.Equal(t, want, got)
	var total int64
	for _, n := range got {
		total += n
	}
	require.Equal(t, int64(5*32*48), total)
}

// TestLossSemsegClassWeights checks that Config.SemsegClassWeights weighs
// the semseg term as engine.WeightedCrossEntropy and nothing else.
func TestLossSemsegClassWeights(t *testing.T) {
	cfg, err := Preset("allnet-tiny", DatasetNYUD)
	require.NoError(t, err)
	cfg.SemsegClasses = 13
	m := NewModel(cfg, 1)
	x, d01 := allnetTestInputs(2, 32, 48, 1)
	tg := allnetTestTargets(cfg, 2, 32, 48, 2)
	out := m.Forward(x, d01, true, engine.NewGenerator(1))
	plain, err := m.Loss(out, tg)
	require.NoError(t, err)

	w := make([]float64, 13)
	for i := range w {
		w[i] = 0.2 + 0.3*float64(i)
	}
	m.Config.SemsegClassWeights = w
	weighted, err := m.Loss(out, tg)
	require.NoError(t, err)
	want := engine.WeightedCrossEntropy(out.Tasks[TaskSemseg], tg.Semseg, engine.FromFloat64(engine.CPU(), w, 13).Cast(engine.Float32), 255)
	require.InDelta(t, want.Item(), weighted.Terms[TaskSemseg].Item(), 1e-6)
	require.Greater(t, math.Abs(weighted.Terms[TaskSemseg].Item()-plain.Terms[TaskSemseg].Item()), 1e-4, "the weights changed nothing")
	for k, v := range plain.Terms {
		if k != TaskSemseg {
			require.Equal(t, v.Item(), weighted.Terms[k].Item(), k)
		}
	}

	for _, bad := range [][]float64{{1, 2}, make([]float64, 13), append(make([]float64, 12), math.Inf(1))} {
		c := cfg
		c.SemsegClassWeights = bad
		require.ErrorContains(t, c.Validate(), "semseg class weight")
	}
}

// TestTrainSemsegClassBalance checks that semseg_class_balance stores the
// weights of the training split's counts in the run's model, and that a
// resumed run keeps them.
func TestTrainSemsegClassBalance(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	c := tinyTrainConfig(out)
	c.SemsegClassBalance, c.StopAt = 0.5, 2
	_, err := Train(c, TrainHooks{})
	require.NoError(t, err)
	m, _, _, err := LoadModelCheckpoint(filepath.Join(out, RunLastCkpt))
	require.NoError(t, err)
	trainDS, _, err := OpenTrainData(c)
	require.NoError(t, err)
	counts, err := SemsegClassCounts(trainDS, 1)
	require.NoError(t, err)
	require.Equal(t, ClassBalanceWeights(counts, 0.5), m.Config.SemsegClassWeights)
	require.NotEqual(t, counts[0], counts[1], "equal counts cannot show the weights")

	rc, err := ReadTrainConfig(filepath.Join(out, RunConfigFile), DefaultTrainConfig())
	require.NoError(t, err)
	require.Equal(t, 0.5, rc.SemsegClassBalance)
	rc.StopAt = 0
	_, err = Train(rc, TrainHooks{Resume: true})
	require.NoError(t, err)
	m, _, _, err = LoadModelCheckpoint(filepath.Join(out, RunLastCkpt))
	require.NoError(t, err)
	require.Equal(t, ClassBalanceWeights(counts, 0.5), m.Config.SemsegClassWeights)
}
