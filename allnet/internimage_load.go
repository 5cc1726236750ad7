package allnet

import (
	"fmt"

	"allnet/engine"
)

// officialHeadPrefixes are the keys of official InternImage checkpoints that
// are not part of the backbone: the classification head and, in
// segmentation checkpoints, the UperNet heads.
var officialHeadPrefixes = []string{"conv_head.", "head.", "decode_head.", "auxiliary_head."}

// LoadOfficial loads an official InternImage checkpoint (.pth) into m: the
// state_dict under "model" ("model_ema" with ema; "state_dict" or the top
// level when "model" is absent), with "module." and "backbone." prefixes
// stripped and the head keys (conv_head.*, head.*, decode_head.*,
// auxiliary_head.*) dropped and listed in the report's Dropped. Every
// backbone key must be present with the right shape and no other key may be
// left, or the error lists what is missing, unexpected or mis-shaped and m
// is unchanged.
func (m *InternImage) LoadOfficial(path string, ema bool) (engine.LoadReport, error) {
	key := ""
	if ema {
		key = "model_ema"
	}
	state, err := engine.LoadPth(path, key)
	if err != nil {
		return engine.LoadReport{}, err
	}
	rep, err := engine.LoadStateDict(m.Parameters(), state, engine.LoadOptions{
		StripPrefixes: []string{"module.", "backbone."},
		DropPrefixes:  officialHeadPrefixes,
	})
	if err != nil {
		return rep, fmt.Errorf("InternImage checkpoint %s: %w", path, err)
	}
	return rep, nil
}
