package allnet

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"allnet/engine"
	"allnet/engine/optim"
	"allnet/nn"
)

// CheckpointFormatVersion is the "format_version" of the checkpoints
// SaveModelCheckpoint writes.
const CheckpointFormatVersion = "allnet-1"

// metaKey is the safetensors metadata key holding the JSON-encoded
// CheckpointMeta; preset, dataset and step are also stored under their own
// keys for readers that do not decode it.
const metaKey = "allnet"

// CheckpointMeta is what a checkpoint records besides tensors: the model's
// full Config (LoadModelCheckpoint rebuilds the model from it), the training
// step reached (after Step updates), the schedule length, the state of the
// training generator (drop-path, routing noise) and free-form entries (the
// trainer stores its full TrainConfig and loader position there).
type CheckpointMeta struct {
	FormatVersion string
	Preset        string
	Dataset       string
	Config        Config
	Step          int
	Iters         int
	RNG           engine.Generator
	Extra         map[string]string
}

// SaveModelCheckpoint writes m's state_dict (parameters and buffers under
// their PyTorch names), opt's state when opt is not nil (moments under
// "optim.exp_avg.*" / "optim.exp_avg_sq.*", update counts as int32 scalars
// "optim.step" and "optim.step.*") and meta (JSON under the "allnet"
// metadata key) to path as safetensors, atomically: a reader sees the old
// file or the new one, never a partial one.
func SaveModelCheckpoint(path string, m *Model, opt *optim.AdamW, meta CheckpointMeta) error {
	tensors := map[string]*engine.Tensor{}
	for k, v := range nn.StateDict(m) {
		tensors[k] = v
	}
	if opt != nil {
		ts, counts := opt.State()
		for k, v := range ts {
			tensors[k] = v
		}
		for k, n := range counts {
			tensors[k] = engine.FromInt32(engine.CPU(), []int32{int32(n)})
		}
	}
	meta.FormatVersion = CheckpointFormatVersion
	meta.Config = m.Config
	js, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("checkpoint %s: encoding metadata: %v", path, err)
	}
	md := map[string]string{
		"format_version": CheckpointFormatVersion,
		metaKey:          string(js),
		"preset":         meta.Preset,
		"dataset":        meta.Dataset,
		"step":           fmt.Sprint(meta.Step),
	}
	return engine.SaveCheckpoint(path, tensors, md)
}

// LoadModelCheckpoint reads a checkpoint written by SaveModelCheckpoint:
// it builds the model from the stored Config, loads its state strictly (a
// missing, unexpected or mis-shaped tensor is an error naming the file) and
// returns the metadata and the optimizer entries ("optim.*", empty for a
// weights-only checkpoint) for RestoreOptimizer. The model is on the CPU.
func LoadModelCheckpoint(path string) (*Model, CheckpointMeta, map[string]*engine.Tensor, error) {
	ts, md, err := engine.LoadCheckpoint(path)
	if err != nil {
		return nil, CheckpointMeta{}, nil, err
	}
	var meta CheckpointMeta
	raw, ok := md[metaKey]
	if !ok {
		return nil, CheckpointMeta{}, nil, fmt.Errorf("checkpoint %s: no %q metadata: not an ALLNet checkpoint written by allnet-cli train", path, metaKey)
	}
	if err := json.Unmarshal([]byte(raw), &meta); err != nil {
		return nil, CheckpointMeta{}, nil, fmt.Errorf("checkpoint %s: metadata %q: %v", path, metaKey, err)
	}
	if meta.FormatVersion != CheckpointFormatVersion {
		return nil, CheckpointMeta{}, nil, fmt.Errorf("checkpoint %s: format_version %q, this build reads %q", path, meta.FormatVersion, CheckpointFormatVersion)
	}
	if err := meta.Config.Validate(); err != nil {
		return nil, CheckpointMeta{}, nil, fmt.Errorf("checkpoint %s: stored config: %v", path, err)
	}
	m := NewModel(meta.Config, 0)
	state, opt := map[string]*engine.Tensor{}, map[string]*engine.Tensor{}
	for k, v := range ts {
		if strings.HasPrefix(k, optim.StatePrefix) {
			opt[k] = v
		} else {
			state[k] = v
		}
	}
	if _, err := engine.LoadStateDict(append(m.Parameters(), m.Buffers()...), state, engine.LoadOptions{}); err != nil {
		return nil, CheckpointMeta{}, nil, fmt.Errorf("checkpoint %s: %v", path, err)
	}
	return m, meta, opt, nil
}

// RestoreOptimizer loads the optimizer entries LoadModelCheckpoint returned
// into opt (built over the same model's parameters): the int32 scalars
// "optim.step*" become the update counts, the rest the moments.
func RestoreOptimizer(opt *optim.AdamW, entries map[string]*engine.Tensor) error {
	if len(entries) == 0 {
		return fmt.Errorf("the checkpoint holds no optimizer state (a weights-only checkpoint)")
	}
	tensors, counts := map[string]*engine.Tensor{}, map[string]int{}
	for _, k := range slices.Sorted(maps.Keys(entries)) {
		v := entries[k]
		if k == optim.StepKey || strings.HasPrefix(k, optim.StepKey+".") {
			if v.DType() != engine.Int32 || v.Len() != 1 {
				return fmt.Errorf("optimizer count %q: %v%v, want one int32", k, v.DType(), v.Shape())
			}
			counts[k] = int(v.Int32s()[0])
			continue
		}
		tensors[k] = v
	}
	return opt.LoadState(tensors, counts)
}
