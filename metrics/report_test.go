package metrics

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDeltaMTLHandComputed(t *testing.T) {
	model := &TaskResults{
		Semseg:  &SegResult{MIoU: 0.55},
		Depth:   &DepthResult{RMSE: 0.45},
		Normals: &NormalsResult{Mean: 20},
		Edge:    &EdgeResult{ODSF: 0.8}, // not in the baseline: left out
	}
	base := &TaskResults{
		Semseg:  &SegResult{MIoU: 0.5},
		Depth:   &DepthResult{RMSE: 0.5},
		Normals: &NormalsResult{Mean: 19},
		Sal:     &SalResult{MaxF: 0.8}, // not in the model: left out
	}
	d := DeltaMTL(model, base)
	require.InDelta(t, 0.1, float64(d.PerTask["semseg"]), 1e-15)      // (0.55-0.5)/0.5
	require.InDelta(t, 0.1, float64(d.PerTask["depth"]), 1e-15)       // lower is better: -(0.45-0.5)/0.5
	require.InDelta(t, -1.0/19, float64(d.PerTask["normals"]), 1e-15) // -(20-19)/19
	require.Len(t, d.PerTask, 3)
	require.InDelta(t, (0.1+0.1-1.0/19)/3, float64(d.Mean), 1e-15)

	// A task whose metric is undefined in either is skipped; none left: NaN.
	d = DeltaMTL(&TaskResults{Depth: &DepthResult{RMSE: NaN()}}, &TaskResults{Depth: &DepthResult{RMSE: 1}})
	require.Empty(t, d.PerTask)
	require.False(t, d.Mean.Valid())
}

func TestReportJSONRoundTrip(t *testing.T) {
	seg := NewSegmentation(3)
	require.NoError(t, seg.Add([]int32{0, 1}, []int32{0, 1}, 1, 2))
	sr := seg.Result()
	dr := NewDepth().Result() // all null
	rep := &Report{
		Dataset: "nyud", Split: "val", Count: 1,
		Tasks:         TaskResults{Semseg: &sr, Depth: &dr, Edge: &EdgeResult{ODSF: 0.75, OISF: 0.77, AP: 0.7}},
		ByDegradation: map[string]TaskResults{"haze": {Semseg: &sr}},
	}
	d := DeltaMTL(&rep.Tasks, &TaskResults{Semseg: &SegResult{MIoU: 0.5}})
	rep.DeltaMTL = &d
	var buf bytes.Buffer
	require.NoError(t, rep.WriteJSON(&buf))
	s := buf.String()
	for _, key := range []string{`"dataset": "nyud"`, `"mIoU": 1`, `"per_class": [`, `null`, `"rmse": null`,
		`"odsF": 0.75`, `"by_degradation"`, `"delta_mtl"`, `"per_task"`, `"semseg": 1`} {
		require.Contains(t, s, key)
	}
	require.NotContains(t, s, `"normals"`)

	back, err := ReadReport(strings.NewReader(s))
	require.NoError(t, err)
	require.Equal(t, "nyud", back.Dataset)
	require.Equal(t, Float(1), back.Tasks.Semseg.MIoU)
	require.False(t, back.Tasks.Semseg.PerClass[2].Valid())
	require.False(t, back.Tasks.Depth.RMSE.Valid())
	require.Equal(t, Float(0.75), back.Tasks.Edge.ODSF)
	require.Equal(t, Float(1), back.DeltaMTL.PerTask["semseg"])
	// Writing the read report gives the same JSON.
	var buf2 bytes.Buffer
	require.NoError(t, back.WriteJSON(&buf2))
	require.Equal(t, s, buf2.String())

	path := filepath.Join(t.TempDir(), "base.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"dataset": "nyud", "tasks": {"depth": {"rmse": "x"}}}`), 0o644))
	_, err = ReadReportFile(path)
	require.ErrorContains(t, err, path)
}

func TestFloatJSON(t *testing.T) {
	b, err := json.Marshal([]Float{1.5, NaN(), 0})
	require.NoError(t, err)
	require.Equal(t, `[1.5,null,0]`, string(b))
	var f []Float
	require.NoError(t, json.Unmarshal([]byte(`[2, null]`), &f))
	require.Equal(t, Float(2), f[0])
	require.False(t, f[1].Valid())
}
