package allnet

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The InternImage paper's table gives InternImage-S 8G "FLOPs" at 224x224,
// counted as fvcore does (one multiply-add is one FLOP): compare our MACs.
func TestBackboneFLOPsInternImageS(t *testing.T) {
	cfg, err := InternImagePreset("internimage-s")
	require.NoError(t, err)
	n := BackboneFLOPs(cfg, 224, 224)
	g := float64(n.MACs()) / 1e9
	t.Logf("internimage-s at 224x224: %.3f GMACs (%+v)", g, n)
	require.InDelta(t, 8.0, g, 0.8)
	require.Positive(t, n.DCNv3)
}

func TestCountFLOPsTiny(t *testing.T) {
	cfg, err := Preset("allnet-tiny", DatasetNYUD)
	require.NoError(t, err)
	unpadded := cfg
	cfg.Pad = "zero"
	rep := CountFLOPs(cfg, 70, 100) // padded to 96x128
	require.Len(t, rep.Parts, 4)
	for _, p := range rep.Parts {
		require.Positive(t, p.Count.MACs(), p.Part)
	}
	require.Len(t, rep.ByExpert, cfg.MaE.Experts)
	require.Equal(t, rep.Total(), rep.ByExpert[0])
	// Experts have graded widths: routing to a wider one costs more.
	for e := 1; e < len(rep.ByExpert); e++ {
		require.Greater(t, rep.ByExpert[e].MACs(), rep.ByExpert[e-1].MACs())
	}
	// The cost scales with the padded area: 96x128 vs 192x256 is close to 4x
	// (attention windows clamp to the feature size, so not exactly).
	big := CountFLOPs(cfg, 192, 256)
	ratio := float64(big.Total().MACs()) / float64(rep.Total().MACs())
	require.InDelta(t, 4, ratio, 0.6)
	// Unpadded (the preset's PadNone), 48x64 costs about 3/4 of the padded
	// 64x64.
	require.Equal(t, PadNone, unpadded.Pad)
	padded, bare := CountFLOPs(cfg, 48, 64).Total().MACs(), CountFLOPs(unpadded, 48, 64).Total().MACs()
	require.InDelta(t, 0.75, float64(bare)/float64(padded), 0.08)
}
