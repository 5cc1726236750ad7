package allnet

import (
	"fmt"
	"sort"
	"strings"
)

// InternImageConfig sizes an InternImage backbone; the field names follow
// the official constructor's arguments.
type InternImageConfig struct {
	// Channels of the first level; level i has Channels*2^i.
	Channels int
	// Depths are the blocks per level.
	Depths []int
	// Groups are the DCNv3 groups per level.
	Groups []int
	// MLPRatio is the hidden width of each block's MLP over its channels.
	MLPRatio float64
	// DropPathRate is the stochastic-depth rate of the last block; it ramps
	// linearly from 0 over all blocks.
	DropPathRate float64
	// LayerScale is the initial value of the per-block gamma1 and gamma2;
	// 0 means no layer scale (and no gamma parameters).
	LayerScale float64
	// PostNorm normalises each branch's output (x + gamma*LN(f(x))) instead
	// of its input (x + gamma*f(LN(x))); without it every level ends with a
	// norm (levels.{i}.norm).
	PostNorm bool
	// OffsetScale is the DCNv3 offset scale.
	OffsetScale float64
}

// internImagePresets are the official ImageNet-1k configurations
// (classification/configs/internimage_{t,s}_1k_224.yaml of
// OpenGVLab/InternImage). The drop-path rates are those of the dense
// prediction configs (segmentation/configs/ade20k/upernet_internimage_{t,s}_*:
// 0.2 and 0.3; the classification configs use 0.1 and 0.4).
var internImagePresets = map[string]InternImageConfig{
	"internimage-t": {
		Channels: 64, Depths: []int{4, 4, 18, 4}, Groups: []int{4, 8, 16, 32},
		MLPRatio: 4, DropPathRate: 0.2, OffsetScale: 1,
	},
	"internimage-s": {
		Channels: 80, Depths: []int{4, 4, 21, 4}, Groups: []int{5, 10, 20, 40},
		MLPRatio: 4, DropPathRate: 0.3, LayerScale: 1e-5, PostNorm: true, OffsetScale: 1,
	},
}

// InternImagePreset returns the configuration of a named preset
// (internimage-t, internimage-s).
func InternImagePreset(name string) (InternImageConfig, error) {
	c, ok := internImagePresets[name]
	if !ok {
		names := make([]string, 0, len(internImagePresets))
		for k := range internImagePresets {
			names = append(names, k)
		}
		sort.Strings(names)
		return InternImageConfig{}, fmt.Errorf("unknown InternImage preset %q (want one of %s)", name, strings.Join(names, ", "))
	}
	c.Depths = append([]int(nil), c.Depths...)
	c.Groups = append([]int(nil), c.Groups...)
	return c, nil
}

// Validate reports a configuration that cannot be built.
func (c InternImageConfig) Validate() error {
	switch {
	case c.Channels <= 0 || c.Channels%2 != 0:
		return fmt.Errorf("internimage: channels %d, want a positive even number", c.Channels)
	case len(c.Depths) == 0 || len(c.Depths) != len(c.Groups):
		return fmt.Errorf("internimage: %d depths and %d groups, want the same non-zero number", len(c.Depths), len(c.Groups))
	case c.MLPRatio <= 0:
		return fmt.Errorf("internimage: mlp ratio %g, want > 0", c.MLPRatio)
	case c.DropPathRate < 0 || c.DropPathRate >= 1:
		return fmt.Errorf("internimage: drop-path rate %g outside [0, 1)", c.DropPathRate)
	}
	for i, d := range c.Depths {
		ch := c.Channels << i
		if d <= 0 {
			return fmt.Errorf("internimage: level %d depth %d, want > 0", i, d)
		}
		if g := c.Groups[i]; g <= 0 || ch%g != 0 {
			return fmt.Errorf("internimage: level %d has %d channels, not divisible into %d groups", i, ch, g)
		}
	}
	return nil
}
