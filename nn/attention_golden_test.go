package nn

import (
	"maps"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine"
	"allnet/engine/backend/backendtest"
	"allnet/internal/golden"
)

// attnLoad reads testdata/<name>.json, a fixture written by
// scripts/golden/gen_nn_attention.py (layout of scripts/golden/common.py):
// cases of attributes (with "keys", the PyTorch state_dict keys) and named
// tensors.
func attnLoad(t *testing.T, name string) []golden.Case {
	t.Helper()
	return golden.Load(t, "testdata", name)
}

// attnTensor returns the case's tensor name as dt on the CPU.
func attnTensor(t *testing.T, c golden.Case, name string, dt engine.DType) *engine.Tensor {
	t.Helper()
	g := c.Get(t, name)
	return engine.FromValues(engine.CPU(), dt, g.Data, g.Shape...)
}

// attnDTypes are the dtypes the fixtures are replayed in, with tolerances.
var attnDTypes = []struct {
	dt  engine.DType
	tol float64
}{{engine.Float64, 1e-10}, {engine.Float32, 2e-5}}

// attnLoadState checks m's state_dict names against the case's PyTorch
// keys (less num_batches_tracked, which nn omits), converts m to dt and
// loads the values.
func attnLoadState(t *testing.T, c golden.Case, m Module, dt engine.DType) {
	t.Helper()
	ConvertState(m, dt)
	var keys []string
	for _, k := range c.Attrs["keys"].([]any) {
		if s := k.(string); !strings.HasSuffix(s, "num_batches_tracked") {
			keys = append(keys, s)
		}
	}
	sort.Strings(keys)
	require.Equal(t, keys, Names(m), "state_dict names")
	for name, p := range StateDict(m) {
		p.CopyFrom(attnTensor(t, c, name, dt))
	}
}

// attnCheck compares got with the case's tensor name.
func attnCheck(t *testing.T, c golden.Case, name string, got *engine.Tensor, tol float64) {
	t.Helper()
	require.NotNil(t, got, "%s: no tensor", name)
	want := attnTensor(t, c, name, engine.Float64)
	require.Equal(t, want.Shape(), got.Shape(), name)
	backendtest.Close(t, c.Name+" "+name, got.Cast(engine.Float64).Float64s(), want.Float64s(), tol)
}

// attnReplay runs forward on the case's inputs (created requiring grad),
// compares the output, back-propagates sum(out * r) and compares the
// gradients of the inputs and of every parameter.
func attnReplay(t *testing.T, c golden.Case, m Module, dt engine.DType, tol float64, inputs []string, forward func(in map[string]*engine.Tensor) *engine.Tensor) {
	t.Helper()
	in := map[string]*engine.Tensor{}
	for _, name := range inputs {
		in[name] = attnTensor(t, c, name, dt).SetRequiresGrad(true)
	}
	out := forward(in)
	attnCheck(t, c, "out", out, tol)
	engine.SumAll(engine.Mul(out, attnTensor(t, c, "r", dt))).Backward()
	for _, name := range inputs {
		attnCheck(t, c, "grad:"+name, in[name].Grad(), tol)
	}
	for _, p := range m.Parameters() {
		attnCheck(t, c, "grad:"+p.Name, p.Grad(), tol)
	}
}

func TestBatchNorm2dGolden(t *testing.T) {
	for _, c := range attnLoad(t, "batchnorm2d") {
		for _, d := range attnDTypes {
			t.Run(c.Name+"/"+d.dt.String(), func(t *testing.T) {
				x := attnTensor(t, c, "x", d.dt)
				m := NewBatchNorm2d("bn", x.Dim(1))
				prefixed := c
				prefixed.Attrs = map[string]any{"keys": prefixKeys(c, "bn")}
				prefixed.Tensors = prefixTensors(c, "bn")
				train := c.Attrs["train"].(bool)
				m.SetTraining(train)
				attnLoadState(t, prefixed, m, d.dt)
				attnReplay(t, prefixed, m, d.dt, d.tol, []string{"x"}, func(in map[string]*engine.Tensor) *engine.Tensor {
					return m.Forward(in["x"])
				})
				after := "_after"
				if !train {
					after = "" // evaluation leaves the statistics alone
				}
				attnCheck(t, c, "running_mean"+after, m.RunningMean, d.tol)
				attnCheck(t, c, "running_var"+after, m.RunningVar, d.tol)
			})
		}
	}
}

// prefixKeys returns the case's state_dict keys under prefix.
func prefixKeys(c golden.Case, prefix string) []any {
	var out []any
	for _, k := range c.Attrs["keys"].([]any) {
		out = append(out, Join(prefix, k.(string)))
	}
	return out
}

// prefixTensors returns the case's tensors with state_dict names (and
// their "grad:" entries) moved under prefix; inputs keep their names.
func prefixTensors(c golden.Case, prefix string) map[string]golden.Tensor {
	out := maps.Clone(c.Tensors)
	for _, k := range c.Attrs["keys"].([]any) {
		s := k.(string)
		if v, ok := c.Tensors[s]; ok {
			out[Join(prefix, s)] = v
		}
		if v, ok := c.Tensors["grad:"+s]; ok {
			out["grad:"+Join(prefix, s)] = v
		}
	}
	return out
}

func TestMultiHeadAttentionGolden(t *testing.T) {
	for _, c := range attnLoad(t, "mha") {
		for _, d := range attnDTypes {
			t.Run(c.Name+"/"+d.dt.String(), func(t *testing.T) {
				m := NewMultiHeadAttention("", c.AttrInt(t, "dim"), c.AttrInt(t, "heads"), engine.NewGenerator(1))
				attnLoadState(t, c, m, d.dt)
				if _, ok := c.Tensors["x"]; ok {
					attnReplay(t, c, m, d.dt, d.tol, []string{"x"}, func(in map[string]*engine.Tensor) *engine.Tensor {
						return m.Forward(in["x"], in["x"], in["x"], nil)
					})
					return
				}
				bias := mhaBias(attnTensor(t, c, "attn_mask", engine.Float64), attnTensor(t, c, "key_padding", engine.Float64), d.dt)
				attnReplay(t, c, m, d.dt, d.tol, []string{"query", "key", "value"}, func(in map[string]*engine.Tensor) *engine.Tensor {
					return m.Forward(in["query"], in["key"], in["value"], bias)
				})
			})
		}
	}
}

// mhaBias combines PyTorch's additive attn_mask (Lq, Lk) and boolean
// key_padding_mask (B, Lk) (1 = masked) into one bias (B, 1, Lq, Lk).
func mhaBias(attnMask, keyPad *engine.Tensor, dt engine.DType) *engine.Tensor {
	lq, lk, b := attnMask.Dim(0), attnMask.Dim(1), keyPad.Dim(0)
	am, kp := attnMask.Float64s(), keyPad.Float64s()
	data := make([]float64, b*lq*lk)
	for n := range b {
		for i := range lq {
			for j := range lk {
				v := am[i*lk+j]
				if kp[n*lk+j] != 0 {
					v = math.Inf(-1)
				}
				data[(n*lq+i)*lk+j] = v
			}
		}
	}
	return engine.FromValues(engine.CPU(), dt, data, b, 1, lq, lk)
}

func TestWindowAttentionGolden(t *testing.T) {
	for _, c := range attnLoad(t, "window_attention") {
		for _, d := range attnDTypes {
			t.Run(c.Name+"/"+d.dt.String(), func(t *testing.T) {
				x := attnTensor(t, c, "x", d.dt)
				m := NewWindowAttention("attn", x.Dim(3), c.AttrInt(t, "heads"), c.AttrInt(t, "window"), engine.NewGenerator(1))
				p := c
				p.Attrs = map[string]any{"keys": prefixKeys(c, "attn")}
				p.Tensors = prefixTensors(c, "attn")
				attnLoadState(t, p, m, d.dt)
				attnReplay(t, p, m, d.dt, d.tol, []string{"x"}, func(in map[string]*engine.Tensor) *engine.Tensor {
					return m.Forward(in["x"])
				})
			})
		}
	}
}

func TestMDTAGolden(t *testing.T) {
	for _, c := range attnLoad(t, "mdta") {
		for _, d := range attnDTypes {
			t.Run(c.Name+"/"+d.dt.String(), func(t *testing.T) {
				x := attnTensor(t, c, "x", d.dt)
				m := NewMDTA("", x.Dim(1), c.AttrInt(t, "heads"), c.Attrs["bias"].(bool), engine.NewGenerator(1))
				attnLoadState(t, c, m, d.dt)
				attnReplay(t, c, m, d.dt, d.tol, []string{"x"}, func(in map[string]*engine.Tensor) *engine.Tensor {
					return m.Forward(in["x"])
				})
			})
		}
	}
}
