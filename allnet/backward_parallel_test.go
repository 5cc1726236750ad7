package allnet

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine"
)

// TestParallelBackwardModel checks allnet-tiny's training gradients (every
// task, restoration and the MaE load-balancing loss) with Backward on two
// goroutines against the sequential pass: identical to the bit. Run it
// with -race to check that the model's backward functions share no state.
func TestParallelBackwardModel(t *testing.T) {
	const n, h, w = 2, 40, 48
	cfg := allnetTiny(t, DatasetNYUD)
	grads := func(workers int) map[string][]float32 {
		prev := engine.SetBackwardWorkers(workers)
		defer engine.SetBackwardWorkers(prev)
		m := NewModel(cfg, 5)
		x, deg := allnetTestInputs(n, h, w, 6)
		lt, err := m.Loss(m.Forward(x, deg, true, engine.NewGenerator(7)), allnetTestTargets(cfg, n, h, w, 8))
		require.NoError(t, err)
		lt.Total.Backward()
		out := map[string][]float32{}
		for _, p := range m.Parameters() {
			if p.Grad() != nil {
				out[p.Name] = p.Grad().Float32s()
			}
		}
		return out
	}
	want, got := grads(1), grads(2)
	require.Len(t, got, len(want))
	require.Greater(t, len(want), 100, "most parameters get a gradient")
	for name, a := range want {
		b := got[name]
		require.Len(t, b, len(a), name)
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s[%d]: %g with two workers, %g sequential", name, i, b[i], a[i])
			}
		}
	}
}
