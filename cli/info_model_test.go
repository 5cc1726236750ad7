package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/engine/ckpt"
)

func TestInfoModel(t *testing.T) {
	r := runCLI(t, "info", "--model", "allnet-tiny", "--size", "70x90")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stdout, "# allnet-tiny (nyud: semseg, depth, normals, edge + restoration)")
	for _, part := range []string{"| backbone | 408961 (0.41M) |", "| decoder |", "| heads |", "| restoration |", "| total |"} {
		assert.Contains(t, r.stdout, part)
	}
	assert.Contains(t, r.stdout, "Input 70x90, padded to 96x96.")
	assert.Contains(t, r.stdout, "| 1/4 | 16 | 24x24 | 1 |")
	assert.Contains(t, r.stdout, "## FLOPs at 70x90")
	assert.Contains(t, r.stdout, "| Part | GMACs | GFLOPs (2 x MACs) |")
	assert.Contains(t, r.stdout, "every image routes to one expert: expert 0: ")

	r = runCLI(t, "info", "--model", "allnet-tiny", "--dataset", "pascal", "--json")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	var rep modelInfo
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	assert.Equal(t, []string{"semseg", "parts", "sal", "normals", "edge"}, rep.Tasks)
	require.Len(t, rep.Parts, 4)
	sum := 0
	for _, p := range rep.Parts {
		assert.Positive(t, p.Params, p.Part)
		sum += p.Params
	}
	assert.Equal(t, sum, rep.Total)
	// FLOPs default to 288x384; the parts add up and GFLOPs = 2 x GMACs.
	f := rep.FLOPs
	assert.Equal(t, []int{288, 384}, f.Input)
	require.Len(t, f.Parts, 4)
	var macs int64
	for _, p := range f.Parts {
		assert.Positive(t, p.MACs, p.Part)
		assert.InDelta(t, 2*p.GMACs, p.GFLOPs, 1e-9)
		macs += p.MACs
	}
	assert.Equal(t, macs, f.TotalMACs)
	require.Len(t, f.ByExpertGMACs, 4)
	assert.InDelta(t, f.TotalGMACs, f.ByExpertGMACs[0], 1e-9)
	assert.Greater(t, f.ByExpertGMACs[3], f.ByExpertGMACs[0])

	for _, bad := range [][]string{
		{"info", "--model", "allnet-xl"},
		{"info", "--model", "allnet-tiny", "--dataset", "ade"},
		{"info", "--model", "allnet-tiny", "--size", "7x"},
		{"info", "--model", "allnet-tiny", "--checkpoint", "x.safetensors"},
	} {
		r = runCLI(t, bad...)
		assert.Equal(t, 2, r.code, "%v: %s", bad, r.stderr)
		assert.Empty(t, r.stdout)
	}
}

func TestInfoCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, ckpt.Save(path, map[string]ckpt.Tensor{
		"a.weight": {DType: ckpt.F32, Shape: []int{2, 3}, Data: make([]byte, 24)},
		"b.bias":   {DType: ckpt.F32, Shape: []int{4}, Data: make([]byte, 16)},
	}, map[string]string{"model": "allnet-tiny", "step": "12"}))
	r := runCLI(t, "info", "--checkpoint", path)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stdout, "2 tensors, 10 elements.")
	assert.Contains(t, r.stdout, "| model | allnet-tiny |")
	assert.Contains(t, r.stdout, "| step | 12 |")

	r = runCLI(t, "info", "--checkpoint", path, "--json")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	var rep checkpointInfo
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	assert.Equal(t, 2, rep.Tensors)
	assert.Equal(t, "12", rep.Metadata["step"])

	r = runCLI(t, "info", "--checkpoint", filepath.Join(t.TempDir(), "missing.safetensors"))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "--checkpoint")
}
