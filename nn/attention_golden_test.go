package nn

import (
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine"
	"allnet/engine/backend/backendtest"
)

// attnFixture is a fixture written by scripts/golden/gen_nn_attention.py
// (layout of scripts/golden/common.py).
type attnFixture struct {
	Generator string     `json:"generator"`
	Torch     string     `json:"torch"`
	Cases     []attnCase `json:"cases"`
}

// attnCase is one case: attributes (with "keys", the PyTorch state_dict
// keys) and named tensors.
type attnCase struct {
	Name    string         `json:"name"`
	Attrs   map[string]any `json:"attrs"`
	Tensors map[string]struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	} `json:"tensors"`
}

// attnLoad reads testdata/<name>.json.
func attnLoad(t *testing.T, name string) []attnCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	require.NoError(t, err, "regenerate with scripts/golden/gen_nn_attention.py")
	var f attnFixture
	require.NoError(t, json.Unmarshal(raw, &f))
	require.NotEmpty(t, f.Cases)
	return f.Cases
}

// tensor returns the named tensor as dt on the CPU.
func (c attnCase) tensor(t *testing.T, name string, dt engine.DType) *engine.Tensor {
	t.Helper()
	g, ok := c.Tensors[name]
	require.True(t, ok, "case %s has no tensor %q", c.Name, name)
	return engine.FromValues(engine.CPU(), dt, g.Data, g.Shape...)
}

// attrInt returns a numeric attribute as an int.
func (c attnCase) attrInt(t *testing.T, name string) int {
	t.Helper()
	v, ok := c.Attrs[name].(float64)
	require.True(t, ok, "case %s: attribute %q", c.Name, name)
	return int(v)
}

// attnDTypes are the dtypes the fixtures are replayed in, with tolerances.
var attnDTypes = []struct {
	dt  engine.DType
	tol float64
}{{engine.Float64, 1e-10}, {engine.Float32, 2e-5}}

// attnLoadState checks m's state_dict names against the case's PyTorch
// keys (less num_batches_tracked, which nn omits) and loads the values.
func attnLoadState(t *testing.T, c attnCase, m Module, dt engine.DType) {
	t.Helper()
	var keys []string
	for _, k := range c.Attrs["keys"].([]any) {
		if s := k.(string); !strings.HasSuffix(s, "num_batches_tracked") {
			keys = append(keys, s)
		}
	}
	sort.Strings(keys)
	require.Equal(t, keys, Names(m), "state_dict names")
	for name, p := range StateDict(m) {
		p.CopyFrom(c.tensor(t, name, dt))
	}
}

// attnCheck compares got with the case's tensor name.
func attnCheck(t *testing.T, c attnCase, name string, got *engine.Tensor, tol float64) {
	t.Helper()
	require.NotNil(t, got, "%s: no tensor", name)
	want := c.tensor(t, name, engine.Float64)
	require.Equal(t, want.Shape(), got.Shape(), name)
	backendtest.Close(t, c.Name+" "+name, got.Cast(engine.Float64).Float64s(), want.Float64s(), tol)
}

// attnReplay runs forward on the case's inputs (created requiring grad),
// compares the output, back-propagates sum(out * r) and compares the
// gradients of the inputs and of every parameter.
func attnReplay(t *testing.T, c attnCase, m Module, dt engine.DType, tol float64, inputs []string, forward func(in map[string]*engine.Tensor) *engine.Tensor) {
	t.Helper()
	in := map[string]*engine.Tensor{}
	for _, name := range inputs {
		in[name] = c.tensor(t, name, dt).SetRequiresGrad(true)
	}
	out := forward(in)
	attnCheck(t, c, "out", out, tol)
	engine.SumAll(engine.Mul(out, c.tensor(t, "r", dt))).Backward()
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
				x := c.tensor(t, "x", d.dt)
				m := NewBatchNorm2d("bn", x.Dim(1), d.dt)
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
func prefixKeys(c attnCase, prefix string) []any {
	var out []any
	for _, k := range c.Attrs["keys"].([]any) {
		out = append(out, Join(prefix, k.(string)))
	}
	return out
}

// prefixTensors returns the case's tensors with state_dict names (and
// their "grad:" entries) moved under prefix; inputs keep their names.
func prefixTensors(c attnCase, prefix string) map[string]struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
} {
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
				m := NewMultiHeadAttention("", c.attrInt(t, "dim"), c.attrInt(t, "heads"), d.dt, engine.NewGenerator(1))
				attnLoadState(t, c, m, d.dt)
				if _, ok := c.Tensors["x"]; ok {
					attnReplay(t, c, m, d.dt, d.tol, []string{"x"}, func(in map[string]*engine.Tensor) *engine.Tensor {
						return m.Forward(in["x"], in["x"], in["x"], nil)
					})
					return
				}
				bias := mhaBias(c.tensor(t, "attn_mask", engine.Float64), c.tensor(t, "key_padding", engine.Float64), d.dt)
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
				x := c.tensor(t, "x", d.dt)
				m := NewWindowAttention("attn", x.Dim(3), c.attrInt(t, "heads"), c.attrInt(t, "window"), d.dt, engine.NewGenerator(1))
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
				x := c.tensor(t, "x", d.dt)
				m := NewMDTA("", x.Dim(1), c.attrInt(t, "heads"), c.Attrs["bias"].(bool), d.dt, engine.NewGenerator(1))
				attnLoadState(t, c, m, d.dt)
				attnReplay(t, c, m, d.dt, d.tol, []string{"x"}, func(in map[string]*engine.Tensor) *engine.Tensor {
					return m.Forward(in["x"])
				})
			})
		}
	}
}
