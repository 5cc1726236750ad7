package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDemoLearnsToDenoise runs a short demo and checks that training really
// improves the held-out PSNR over both the noisy input and the untrained
// network, and that --json prints only the result object.
func TestDemoLearnsToDenoise(t *testing.T) {
	r := runCLI(t, "demo", "--iters", "60", "--batch", "4", "--size", "24", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var res demoResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	require.Equal(t, 60, res.Iters)
	require.Less(t, res.FinalLoss, res.FirstLoss)
	require.Greater(t, res.DenoisedPSNR, res.InputPSNR+1, "trained network should beat the noisy input by over 1 dB")
	require.Greater(t, res.DenoisedPSNR, res.InitialPSNR+1)
	require.Contains(t, r.stderr, "iter   60/60")
}

func TestDemoIsDeterministicForASeed(t *testing.T) {
	a := runCLI(t, "demo", "--iters", "3", "--batch", "2", "--size", "16", "--json", "--seed", "5")
	b := runCLI(t, "demo", "--iters", "3", "--batch", "2", "--size", "16", "--json", "--seed", "5")
	require.Equal(t, 0, a.code, a.stderr)
	var ra, rb demoResult
	require.NoError(t, json.Unmarshal([]byte(a.stdout), &ra))
	require.NoError(t, json.Unmarshal([]byte(b.stdout), &rb))
	require.Equal(t, ra.FinalLoss, rb.FinalLoss)
	require.Equal(t, ra.DenoisedPSNR, rb.DenoisedPSNR)
}

func TestDemoRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--iters", "0"},
		{"demo", "--batch", "-1"},
		{"demo", "--sigma", "-3"},
		{"demo", "--lr", "0"},
	} {
		r := runCLI(t, args...)
		require.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, r.stderr, args[1], "the message names the flag")
		require.Empty(t, r.stdout)
	}
}
