package allnet

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine"
	"allnet/internal/golden"
	"allnet/nn"
)

// The fixtures in testdata come from scripts/golden/gen_internimage.py,
// which runs the official OpenGVLab/InternImage model.

type officialFixture struct {
	Config struct {
		Channels    int     `json:"channels"`
		Depths      []int   `json:"depths"`
		Groups      []int   `json:"groups"`
		LayerScale  float64 `json:"layer_scale"`
		PostNorm    bool    `json:"post_norm"`
		OffsetScale float64 `json:"offset_scale"`
		MLPRatio    float64 `json:"mlp_ratio"`
	} `json:"config"`
	Tensors map[string]golden.Tensor `json:"tensors"`
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v))
}

// goldenTensor returns a CPU tensor of dtype dt holding jt.
func goldenTensor(jt golden.Tensor, dt engine.DType) *engine.Tensor {
	return engine.FromValues(engine.CPU(), dt, jt.Data, jt.Shape...)
}

func relErr(a, b []float64) float64 {
	var num, den float64
	for i := range a {
		num += (a[i] - b[i]) * (a[i] - b[i])
		den += b[i] * b[i]
	}
	return math.Sqrt(num / den)
}

func TestInternImageMatchesOfficial(t *testing.T) {
	for _, name := range []string{"internimage_tiny", "internimage_tiny_prenorm"} {
		t.Run(name, func(t *testing.T) {
			var fx officialFixture
			readJSON(t, name+".json", &fx)
			cfg := InternImageConfig{
				Channels: fx.Config.Channels, Depths: fx.Config.Depths, Groups: fx.Config.Groups,
				MLPRatio: fx.Config.MLPRatio, LayerScale: fx.Config.LayerScale,
				PostNorm: fx.Config.PostNorm, OffsetScale: fx.Config.OffsetScale,
			}
			m := NewInternImage(cfg, 7)
			rep, err := m.LoadOfficial(filepath.Join("testdata", name+".pth"), false)
			require.NoError(t, err)
			require.Len(t, rep.Loaded, len(m.Parameters()))
			require.Contains(t, rep.Dropped, "head.weight")
			require.Contains(t, rep.Dropped, "conv_head.0.weight")
			for _, k := range rep.Dropped {
				require.True(t, strings.HasPrefix(k, "head.") || strings.HasPrefix(k, "conv_head."), k)
			}

			in := fx.Tensors["input"]
			x := goldenTensor(in, engine.Float32).SetRequiresGrad(true)
			outs := m.Forward(x)
			require.Len(t, outs, 4)
			loss := engine.Zeros()
			for i, o := range outs {
				want := fx.Tensors[fmt.Sprintf("level%d", i)]
				require.Equal(t, want.Shape, o.Shape(), "level %d", i)
				e := relErr(o.Float64s(), want.Data)
				t.Logf("level%d %v rel err %.2e", i, o.Shape(), e)
				require.Less(t, e, 1e-4, "level %d", i)
				r := fx.Tensors[fmt.Sprintf("r%d", i)]
				loss = engine.Add(loss, engine.SumAll(engine.Mul(o, goldenTensor(r, engine.Float32))))
			}
			loss.Backward()
			want := fx.Tensors["grad_input"]
			e := relErr(x.Grad().Float64s(), want.Data)
			t.Logf("input gradient rel err %.2e", e)
			require.Less(t, e, 1e-3)
		})
	}
}

type manifestEntry struct {
	Parameters     int                  `json:"parameters"`
	ParametersHead int                  `json:"parameters_with_head_1000"`
	Keys           [][2]json.RawMessage `json:"keys"`
}

// TestInternImagePresetsMatchManifest builds both presets and compares
// their names and shapes, in order, with every backbone key of the official
// models, and the parameter counts.
func TestInternImagePresetsMatchManifest(t *testing.T) {
	var man map[string]manifestEntry
	readJSON(t, "internimage_keys.json", &man)
	wantCounts := map[string]int{"internimage-t": 28_754_672, "internimage-s": 48_502_560}
	for _, preset := range []string{"internimage-t", "internimage-s"} {
		t.Run(preset, func(t *testing.T) {
			entry, ok := man[preset]
			require.True(t, ok)
			cfg, err := InternImagePreset(preset)
			require.NoError(t, err)
			m := NewInternImage(cfg, 1)
			var got, want []string
			for _, p := range m.Parameters() {
				got = append(got, fmt.Sprintf("%s %v", p.Name, p.Shape()))
			}
			for _, k := range entry.Keys {
				var name string
				var shape []int
				require.NoError(t, json.Unmarshal(k[0], &name))
				require.NoError(t, json.Unmarshal(k[1], &shape))
				want = append(want, fmt.Sprintf("%s %v", name, shape))
			}
			require.Equal(t, want, got)
			n := nn.CountParameters(m)
			t.Logf("%s: %d parameters (%.2fM); with the 1000-class head %d", preset, n, float64(n)/1e6, entry.ParametersHead)
			require.Equal(t, entry.Parameters, n)
			require.Equal(t, wantCounts[preset], n)
		})
	}
}

func TestInternImageLoadOfficialErrors(t *testing.T) {
	pth := filepath.Join("testdata", "internimage_tiny.pth")
	// Other groups on level 1: the DCN offset and mask projections are mis-shaped.
	m := NewInternImage(InternImageConfig{
		Channels: 16, Depths: []int{1, 1, 2, 1}, Groups: []int{1, 1, 4, 8},
		MLPRatio: 4, LayerScale: 1e-5, PostNorm: true, OffsetScale: 1,
	}, 1)
	before := m.Levels[1].Blocks[0].DCN.InputProj.Weight.Float32s()
	_, err := m.LoadOfficial(pth, false)
	require.Error(t, err)
	require.Contains(t, err.Error(), "levels.1.blocks.0.dcn.offset.weight")
	require.Equal(t, before, m.Levels[1].Blocks[0].DCN.InputProj.Weight.Float32s(), "a failed load changed the model")

	// Pre-norm: the checkpoint lacks the level norms and has no use for the gammas.
	m = NewInternImage(InternImageConfig{
		Channels: 16, Depths: []int{1, 1, 2, 1}, Groups: []int{1, 2, 4, 8}, MLPRatio: 4, OffsetScale: 1,
	}, 1)
	_, err = m.LoadOfficial(pth, false)
	require.Error(t, err)
	require.Contains(t, err.Error(), "levels.0.norm.0.weight")
	require.Contains(t, err.Error(), "gamma1")

	// No EMA weights in the fixture.
	_, err = NewInternImage(InternImageConfig{
		Channels: 16, Depths: []int{1, 1, 2, 1}, Groups: []int{1, 2, 4, 8},
		MLPRatio: 4, LayerScale: 1e-5, PostNorm: true, OffsetScale: 1,
	}, 1).LoadOfficial(pth, true)
	require.Error(t, err)
	require.Contains(t, err.Error(), "model_ema")
}

func TestInternImagePresetErrors(t *testing.T) {
	_, err := InternImagePreset("internimage-x")
	require.ErrorContains(t, err, "internimage-s")
	cfg, err := InternImagePreset("internimage-s")
	require.NoError(t, err)
	cfg.Groups[0] = 3
	require.ErrorContains(t, cfg.Validate(), "groups")
	again, _ := InternImagePreset("internimage-s")
	require.Equal(t, 5, again.Groups[0], "a preset was changed through a returned config")
}
