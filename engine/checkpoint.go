package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"allnet/engine/ckpt"
)

// SaveCheckpoint writes tensors and metadata to path as a safetensors file,
// atomically (see ckpt.Save, which also sets the "format_version" metadata
// key). float32 tensors are stored as F32, float64 as F64 and int32 as I32;
// tensors on other devices are downloaded first. A nil tensor, an invalid
// name or a failed write is an error naming path.
func SaveCheckpoint(path string, tensors map[string]*Tensor, meta map[string]string) error {
	out := make(map[string]ckpt.Tensor, len(tensors))
	for _, name := range slices.Sorted(maps.Keys(tensors)) {
		t := tensors[name]
		if t == nil {
			return fmt.Errorf("checkpoint %s: tensor %q is nil", path, name)
		}
		switch t.dtype {
		case Float32:
			out[name] = ckpt.FromFloat32(t.shape, t.Float32s())
		case Float64:
			out[name] = ckpt.FromFloat64(t.shape, t.Float64s())
		case Int32:
			out[name] = ckpt.FromInt32(t.shape, t.Int32s())
		default:
			return fmt.Errorf("checkpoint %s: tensor %q has dtype %v, which cannot be saved", path, name, t.dtype)
		}
	}
	return ckpt.Save(path, out, meta)
}

// LoadCheckpoint reads the safetensors file at path into CPU tensors and
// returns them with the file's metadata (empty, not nil, when it has none).
// F32, F16 and BF16 become float32 (exactly), F64 float64, and integer and
// BOOL tensors int32; an integer outside the int32 range or an F8 tensor is
// an error naming the file and the tensor, as is any defect of the file.
func LoadCheckpoint(path string) (map[string]*Tensor, map[string]string, error) {
	f, err := ckpt.Load(path)
	if err != nil {
		return nil, nil, err
	}
	ts, err := fromCkpt(path, f.Tensors)
	if err != nil {
		return nil, nil, err
	}
	return ts, f.Metadata, nil
}

// LoadPth reads the state_dict of a PyTorch zip checkpoint (torch.save,
// PyTorch >= 1.6) into CPU tensors converted as LoadCheckpoint does. key
// picks the entry holding the state_dict ("model", "model_ema",
// "state_dict"); "" means "model", else "state_dict", else the top-level
// dict (see ckpt.LoadPth). Names are returned as stored, prefixes included:
// LoadStateDict's options strip or drop them.
func LoadPth(path, key string) (map[string]*Tensor, error) {
	sd, err := ckpt.LoadPth(path, key)
	if err != nil {
		return nil, err
	}
	return fromCkpt(path, sd)
}

// fromCkpt converts plain arrays to CPU tensors; path is named in errors.
func fromCkpt(path string, in map[string]ckpt.Tensor) (map[string]*Tensor, error) {
	out := make(map[string]*Tensor, len(in))
	for _, name := range slices.Sorted(maps.Keys(in)) {
		t, err := tensorFromCkpt(in[name])
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: tensor %q: %v", path, name, err)
		}
		out[name] = t
	}
	return out, nil
}

func tensorFromCkpt(c ckpt.Tensor) (*Tensor, error) {
	switch {
	case c.DType == ckpt.F64:
		v, err := c.Float64s()
		if err != nil {
			return nil, err
		}
		return FromFloat64(cpuBackend, v, c.Shape...), nil
	case c.DType.IsFloat():
		v, err := c.Float32s()
		if err != nil {
			return nil, err
		}
		return FromFloat32(cpuBackend, v, c.Shape...), nil
	case c.DType.IsInt():
		v, err := c.Int32s()
		if err != nil {
			return nil, err
		}
		return FromInt32(cpuBackend, v, c.Shape...), nil
	}
	return nil, fmt.Errorf("dtype %s cannot be converted to float32, float64 or int32", c.DType)
}

// StateDict maps each parameter's Name to the parameter itself (not a copy),
// ready for SaveCheckpoint. It panics if a parameter is nil, has no name, or
// shares its name with another.
func StateDict(params []*Tensor) map[string]*Tensor {
	return paramsByName("StateDict", params)
}

func paramsByName(op string, params []*Tensor) map[string]*Tensor {
	out := make(map[string]*Tensor, len(params))
	for i, p := range params {
		switch {
		case p == nil:
			panic(fmt.Sprintf("engine: %s: parameter %d is nil", op, i))
		case p.Name == "":
			panic(fmt.Sprintf("engine: %s: parameter %d (%v) has no name", op, i, p))
		case out[p.Name] != nil:
			panic(fmt.Sprintf("engine: %s: two parameters are named %q", op, p.Name))
		}
		out[p.Name] = p
	}
	return out
}

// LoadOptions relaxes LoadStateDict's default strictness and maps the keys
// of a foreign state dict onto parameter names.
type LoadOptions struct {
	// AllowMissing leaves parameters without a state entry unchanged (they
	// are listed in LoadReport.Missing) instead of failing.
	AllowMissing bool
	// AllowUnexpected ignores state entries that match no parameter (listed
	// in LoadReport.Unexpected) instead of failing.
	AllowUnexpected bool
	// StripPrefixes are removed from the front of every state key,
	// repeatedly and in any order, so {"module.", "backbone."} maps
	// "module.backbone.levels.0.x" to "levels.0.x".
	StripPrefixes []string
	// DropPrefixes: state keys that start with one of these after
	// stripping (e.g. "head.", "decode_head.") are discarded before
	// matching and listed in LoadReport.Dropped, even if a parameter has
	// that name.
	DropPrefixes []string
}

// LoadReport says what LoadStateDict did. Parameter names are in the order
// of the params argument; state keys are as found in the state, sorted.
type LoadReport struct {
	// Loaded are the parameters whose values were replaced.
	Loaded []string
	// Missing are the parameters left unchanged for want of a state entry
	// (only with AllowMissing).
	Missing []string
	// Unexpected are the state keys matching no parameter, ignored (only
	// with AllowUnexpected).
	Unexpected []string
	// Dropped are the state keys discarded by DropPrefixes.
	Dropped []string
}

// String summarises the report in one line, listing the first 20 names of
// each non-empty group.
func (r LoadReport) String() string {
	parts := []string{fmt.Sprintf("loaded %d", len(r.Loaded))}
	for _, g := range []struct {
		what  string
		names []string
	}{{"missing", r.Missing}, {"unexpected", r.Unexpected}, {"dropped", r.Dropped}} {
		if len(g.names) > 0 {
			parts = append(parts, fmt.Sprintf("%d %s: %s", len(g.names), g.what, elideNames(g.names)))
		}
	}
	return strings.Join(parts, "; ")
}

// LoadStateDict copies state values into params, matched by Name, the way
// PyTorch's load_state_dict does: keys are first mapped through
// opts.StripPrefixes and filtered by opts.DropPrefixes (a nil value counts
// as absent); each value is then converted to its parameter's dtype
// (float64 <-> float32, int32 -> float; a float value for an int32
// parameter is refused) and moved to its device. Gradients, RequiresGrad
// and the state tensors are untouched.
//
// Everything is checked before anything is copied: by default a missing
// parameter, an unexpected key, a shape mismatch, a refused dtype or two
// keys that strip to the same name make it return an error listing every
// such problem (the first 20 of each kind, then "... and N more"), and then
// no parameter has been modified. The report is valid only without error.
// It panics if params has a nil, unnamed or duplicate entry, or if a prefix
// option holds an empty string (programming errors, not data errors).
func LoadStateDict(params []*Tensor, state map[string]*Tensor, opts LoadOptions) (LoadReport, error) {
	byName := paramsByName("LoadStateDict", params)
	for _, p := range append(append([]string{}, opts.StripPrefixes...), opts.DropPrefixes...) {
		if p == "" {
			panic("engine: LoadStateDict: empty string in StripPrefixes or DropPrefixes")
		}
	}
	var rep LoadReport
	var unexpected, ambiguous, mismatched, mistyped []string
	src := map[string]string{} // parameter name -> state key
	for _, key := range slices.Sorted(maps.Keys(state)) {
		if state[key] == nil {
			continue // as if absent
		}
		name := stripPrefixes(key, opts.StripPrefixes)
		switch {
		case hasAnyPrefix(name, opts.DropPrefixes):
			rep.Dropped = append(rep.Dropped, key)
		case byName[name] == nil:
			unexpected = append(unexpected, key)
		case src[name] != "":
			ambiguous = append(ambiguous, fmt.Sprintf("%s (keys %q and %q)", name, src[name], key))
		default:
			src[name] = key
		}
	}
	for _, p := range params {
		key, ok := src[p.Name]
		if !ok {
			rep.Missing = append(rep.Missing, p.Name)
			continue
		}
		s, from := state[key], ""
		if key != p.Name {
			from = fmt.Sprintf("from %q: ", key)
		}
		switch {
		case !slices.Equal(s.shape, p.shape):
			mismatched = append(mismatched, fmt.Sprintf("%s (%sexpected %v, found %v)", p.Name, from, p.shape, s.shape))
		case s.dtype != p.dtype && !p.dtype.IsFloat():
			mistyped = append(mistyped, fmt.Sprintf("%s (%sexpected %v, found %v)", p.Name, from, p.dtype, s.dtype))
		}
	}
	var missing []string
	if !opts.AllowMissing {
		missing = rep.Missing
	}
	if opts.AllowUnexpected {
		rep.Unexpected = unexpected
		unexpected = nil
	}
	if len(missing)+len(unexpected)+len(ambiguous)+len(mismatched)+len(mistyped) > 0 {
		var parts []string
		for _, g := range []struct {
			what  string
			items []string
		}{{"missing", missing}, {"unexpected", unexpected}, {"ambiguous", ambiguous},
			{"shape mismatch", mismatched}, {"dtype mismatch", mistyped}} {
			if len(g.items) > 0 {
				parts = append(parts, fmt.Sprintf("%d %s: %s", len(g.items), g.what, elideNames(g.items)))
			}
		}
		if h := prefixHint(missing, unexpected); h != "" {
			parts = append(parts, h)
		}
		return LoadReport{}, fmt.Errorf("engine: LoadStateDict: the state does not fit the %d parameters: %s",
			len(params), strings.Join(parts, "; "))
	}
	for _, p := range params {
		if key, ok := src[p.Name]; ok {
			p.CopyFrom(state[key].Detach().Cast(p.dtype))
			rep.Loaded = append(rep.Loaded, p.Name)
		}
	}
	return rep, nil
}

// stripPrefixes removes any of prefixes from the front of key until none
// matches.
func stripPrefixes(key string, prefixes []string) string {
	for again := true; again; {
		again = false
		for _, p := range prefixes {
			if strings.HasPrefix(key, p) {
				key, again = key[len(p):], true
			}
		}
	}
	return key
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// prefixHint spots the usual cause of a failed load: unexpected keys that
// are missing parameter names behind a prefix ("module.x" for "x"), or
// missing parameters whose names are unexpected keys behind a prefix.
func prefixHint(missing, unexpected []string) string {
	if len(missing) == 0 || len(unexpected) == 0 {
		return ""
	}
	best := func(names []string, targets []string) (string, int) {
		set := map[string]bool{}
		for _, t := range targets {
			set[t] = true
		}
		count := map[string]int{}
		for _, n := range names {
			for i := 0; i < len(n)-1; i++ {
				if n[i] == '.' && set[n[i+1:]] {
					count[n[:i+1]]++
				}
			}
		}
		prefix, most := "", 0
		for p, c := range count {
			if c > most || c == most && p < prefix {
				prefix, most = p, c
			}
		}
		return prefix, most
	}
	if p, n := best(unexpected, missing); n > 0 {
		return fmt.Sprintf("hint: %d unexpected keys are missing parameter names behind the prefix %q", n, p)
	}
	if p, n := best(missing, unexpected); n > 0 {
		return fmt.Sprintf("hint: %d missing parameter names are unexpected keys behind the prefix %q", n, p)
	}
	return ""
}

// elideNames joins items, showing the first 20 then "... and N more".
func elideNames(items []string) string {
	const show = 20
	if len(items) <= show {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:show], ", ") + fmt.Sprintf(", ... and %d more", len(items)-show)
}
