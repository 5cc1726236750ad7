package nn

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine"
)

func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(float64(x)))
	}
	return m
}

func TestLinearInit(t *testing.T) {
	g := engine.NewGenerator(3)
	l := NewLinear("a.fc", 50, 30, true, InitDefault, g)
	require.Equal(t, "a.fc.weight", l.Weight.Name)
	require.Equal(t, "a.fc.bias", l.Bias.Name)
	require.Equal(t, []int{30, 50}, l.Weight.Shape())
	bound := 1 / math.Sqrt(50)
	require.LessOrEqual(t, maxAbs(l.Weight.Float32s()), bound)
	require.Greater(t, maxAbs(l.Weight.Float32s()), 0.9*bound)
	require.LessOrEqual(t, maxAbs(l.Bias.Float32s()), bound)
	require.Greater(t, maxAbs(l.Bias.Float32s()), 0.5*bound)

	x := NewLinear("x", 50, 30, true, InitXavier, g)
	xb := math.Sqrt(6.0 / 80)
	require.LessOrEqual(t, maxAbs(x.Weight.Float32s()), xb)
	require.Greater(t, maxAbs(x.Weight.Float32s()), 0.9*xb)
	require.Zero(t, maxAbs(x.Bias.Float32s()))

	tn := NewLinear("t", 200, 100, false, InitTruncNormal, g)
	require.Nil(t, tn.Bias)
	require.Len(t, tn.Parameters(), 1)
	var ss float64
	for _, v := range tn.Weight.Float32s() {
		ss += float64(v) * float64(v)
	}
	require.InDelta(t, 0.02, math.Sqrt(ss/20000), 0.001)

	z := NewLinear("z", 4, 3, true, InitZero, g)
	require.Zero(t, maxAbs(z.Weight.Float32s()))
}

func TestConv2dDepthwise(t *testing.T) {
	c := NewConv2d("dw", 6, 6, 3, 1, 1, 6, true, InitDefault, engine.NewGenerator(1))
	require.Equal(t, []int{6, 1, 3, 3}, c.Weight.Shape())
	require.LessOrEqual(t, maxAbs(c.Weight.Float32s()), 1.0/3)
	x := engine.NewGenerator(2).Normal(engine.CPU(), engine.Float32, 2, 6, 5, 7)
	require.Equal(t, []int{2, 6, 5, 7}, c.Forward(x).Shape())
	s := NewConv2d("s", 6, 4, 3, 2, 1, 1, false, InitDefault, engine.NewGenerator(1))
	require.Nil(t, s.Bias)
	require.Equal(t, []int{2, 4, 3, 4}, s.Forward(x).Shape())
}

func TestLayerNormChannelsFirst(t *testing.T) {
	g := engine.NewGenerator(5)
	last := NewLayerNorm("n", 6, 1e-6)
	first := NewLayerNormChannelsFirst("n", 6, 1e-6)
	last.Weight.CopyFrom(g.Normal(engine.CPU(), engine.Float32, 6))
	last.Bias.CopyFrom(g.Normal(engine.CPU(), engine.Float32, 6))
	first.Weight.CopyFrom(last.Weight)
	first.Bias.CopyFrom(last.Bias)
	x := g.Normal(engine.CPU(), engine.Float32, 2, 6, 3, 5)
	want := engine.Permute(last.Forward(engine.Permute(x, 0, 2, 3, 1)), 0, 3, 1, 2).Float32s()
	require.InDeltaSlice(t, want, first.Forward(x).Float32s(), 1e-6)
}

func TestDropPath(t *testing.T) {
	x := engine.Full(engine.CPU(), engine.Float32, 1, 64, 3)
	d := NewDropPath(0.5, engine.NewGenerator(9))
	require.Equal(t, x.Float32s(), d.Forward(x).Float32s(), "eval mode must be the identity")
	d.SetTraining(true)
	y := d.Forward(x).Float32s()
	kept := 0
	for i := 0; i < 64; i++ {
		row := y[3*i : 3*i+3]
		require.True(t, row[0] == row[1] && row[1] == row[2], "sample %d partly dropped", i)
		require.Contains(t, []float32{0, 2}, row[0])
		if row[0] == 2 {
			kept++
		}
	}
	require.True(t, kept > 10 && kept < 54, "kept %d of 64", kept)
}

// TestDCNv3Names checks the official state_dict names and shapes.
func TestDCNv3Names(t *testing.T) {
	d := NewDCNv3("levels.0.blocks.0.dcn", 32, 2, 1, engine.NewGenerator(1))
	var got []string
	for _, p := range d.Parameters() {
		got = append(got, p.Name)
	}
	p := "levels.0.blocks.0.dcn."
	require.Equal(t, []string{
		p + "dw_conv.0.weight", p + "dw_conv.0.bias", p + "dw_conv.1.1.weight", p + "dw_conv.1.1.bias",
		p + "offset.weight", p + "offset.bias", p + "mask.weight", p + "mask.bias",
		p + "input_proj.weight", p + "input_proj.bias", p + "output_proj.weight", p + "output_proj.bias",
	}, got)
	require.Equal(t, []int{36, 32}, d.Offset.Weight.Shape())
	require.Equal(t, []int{18, 32}, d.Mask.Weight.Shape())
}

// TestDCNv3InitialIsBoxFilter: with the official initialisation (offset
// and mask projections zero) the mask is 1/9 everywhere and the samples sit
// on the 3x3 neighbourhood, so the module is output_proj of a zero-padded
// 3x3 box average of input_proj(x), computed here with plain loops.
func TestDCNv3InitialIsBoxFilter(t *testing.T) {
	const n, h, w, c = 2, 5, 6, 8
	d := NewDCNv3("dcn", c, 2, 1, engine.NewGenerator(4))
	x := engine.NewGenerator(5).Normal(engine.CPU(), engine.Float32, n, h, w, c)
	got := d.Forward(x).Float64s()

	v := d.InputProj.Forward(x).Float64s()
	box := make([]float64, len(v))
	for b := 0; b < n; b++ {
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				for ch := 0; ch < c; ch++ {
					s := 0.0
					for di := -1; di <= 1; di++ {
						for dj := -1; dj <= 1; dj++ {
							if ii, jj := i+di, j+dj; ii >= 0 && ii < h && jj >= 0 && jj < w {
								s += v[((b*h+ii)*w+jj)*c+ch]
							}
						}
					}
					box[((b*h+i)*w+j)*c+ch] = s / 9
				}
			}
		}
	}
	wt, bias := d.OutputProj.Weight.Float64s(), d.OutputProj.Bias.Float64s()
	var num, den float64
	for r := 0; r < n*h*w; r++ {
		for o := 0; o < c; o++ {
			want := bias[o]
			for k := 0; k < c; k++ {
				want += wt[o*c+k] * box[r*c+k]
			}
			diff := got[r*c+o] - want
			num += diff * diff
			den += want * want
		}
	}
	require.Less(t, math.Sqrt(num/den), 1e-6)
}

func TestMLPNames(t *testing.T) {
	m := NewMLP("mlp", 8, 32, 8, InitTruncNormal, engine.NewGenerator(1))
	require.Equal(t, []string{"mlp.fc1.bias", "mlp.fc1.weight", "mlp.fc2.bias", "mlp.fc2.weight"}, Names(m))
	x := engine.NewGenerator(2).Normal(engine.CPU(), engine.Float32, 3, 8)
	want := engine.Linear(engine.GELU(engine.Linear(x, m.FC1.Weight, m.FC1.Bias)), m.FC2.Weight, m.FC2.Bias)
	require.Equal(t, want.Float32s(), m.Forward(x).Float32s())
}
