package engine

import (
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/internal/golden"
)

// goldenCase is a case of a PyTorch fixture in testdata/golden, written by
// scripts/golden/gen_*.py (see internal/golden).
type goldenCase struct{ golden.Case }

// loadGolden reads testdata/golden/<name>.json.
func loadGolden(t *testing.T, name string) []goldenCase {
	t.Helper()
	var cases []goldenCase
	for _, c := range golden.Load(t, "testdata/golden", name) {
		cases = append(cases, goldenCase{c})
	}
	return cases
}

// tensor returns the named tensor of the case as dtype dt on the CPU.
func (c goldenCase) tensor(t *testing.T, name string, dt DType) *Tensor {
	t.Helper()
	g := c.Get(t, name)
	return FromValues(CPU(), dt, g.Data, g.Shape...)
}

// goldenTols are the replay tolerances of PyTorch fixtures per dtype.
var goldenTols = []struct {
	dt  DType
	tol float64
}{{Float64, 1e-10}, {Float32, 1e-5}}

// goldenInput returns the case's tensor name as dt, requiring grad, or nil
// when the case lacks it.
func goldenInput(t *testing.T, c goldenCase, name string, dt DType) *Tensor {
	t.Helper()
	if !c.Has(name) {
		return nil
	}
	return c.tensor(t, name, dt).SetRequiresGrad(true)
}

// goldenBackward back-propagates sum(out * r) with the case's r.
func goldenBackward(t *testing.T, c goldenCase, out *Tensor) {
	t.Helper()
	SumAll(Mul(out, c.tensor(t, "r", out.DType()))).Backward()
}

// goldenGrad checks x's gradient against the case's tensor name (skipped when
// x is nil).
func goldenGrad(t *testing.T, c goldenCase, name string, x *Tensor, tol float64) {
	t.Helper()
	if x == nil {
		return
	}
	require.NotNil(t, x.Grad(), "%s: %s missing", c.Name, name)
	require.Equal(t, c.Tensors[name].Shape, x.Grad().Shape(), "%s: %s shape", c.Name, name)
	closeTo(t, c.Name+" "+name, x.Grad(), c.Values(t, name), tol)
}
