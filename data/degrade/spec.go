package degrade

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"

	"allnet/data"
)

// The PCG stream constants of the two generators a Spec implies: parameters
// are drawn from NewRNG(Hash(seed, name), ParamStream), pixels (noise, rain
// drops) from NewRNG(spec.Seed, PixelStream).
const (
	ParamStream uint64 = 0x706172616d73 // "params"
	PixelStream uint64 = 0x706978656c73 // "pixels"
)

// seedMask keeps image seeds within 53 bits, so that every JSON reader
// (JavaScript, jq) holds them exactly.
const seedMask = 1<<53 - 1

// Hash is the split's image hash: FNV-1a 64 over the 8 little-endian bytes
// of seed followed by the bytes of name, then the SplitMix64 finaliser. The
// finaliser matters: FNV-1a's low two bits depend only on the low two bits of
// each byte, so without it h % 4 would follow the last digit of names like
// 0001, 0002, ... and a split of even-numbered images would see two types.
func Hash(seed uint64, name string) uint64 {
	f := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	f.Write(b[:])
	f.Write([]byte(name))
	h := f.Sum64()
	h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
	h = (h ^ h>>27) * 0x94d049bb133111eb
	return h ^ h>>31
}

// NewRNG returns a math/rand/v2 PCG generator seeded with (seed, stream).
func NewRNG(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

// Spec is one image's entry in degradations.json: {"type": "haze", "seed":
// 123, "params": {"beta": 1.2, "A": [0.8, 0.9, 0.75]}}. Params hold the
// drawn parameters, Seed the pixel generator's seed; together they
// reproduce the degraded image exactly (ApplySpec).
type Spec struct {
	Type   Type
	Seed   uint64
	Params Params
}

// ValSpec returns the degraded validation split's entry for image name
// (CONVENTIONS.md "Seeds and degraded splits"): with h = Hash(seed, name),
// type types[h % len(types)] (the split uses AllTypes, so h % 4), parameters
// drawn from opts by NewRNG(h, ParamStream), and pixel seed h's low 53 bits.
// The same name and seed give the same entry in every run on every machine.
func ValSpec(seed uint64, name string, types []Type, opts Options) (Spec, error) {
	if len(types) == 0 {
		return Spec{}, fmt.Errorf("degrade: no types for the validation split")
	}
	if err := opts.Validate(); err != nil {
		return Spec{}, err
	}
	h := Hash(seed, name)
	t := types[h%uint64(len(types))]
	p, err := opts.Sample(t, NewRNG(h, ParamStream))
	if err != nil {
		return Spec{}, err
	}
	return Spec{Type: t, Seed: h & seedMask, Params: p}, nil
}

// ApplySpec degrades img as spec describes, drawing pixels from
// NewRNG(spec.Seed, PixelStream); depth as in Apply.
func ApplySpec(img data.Image, depth []float32, spec Spec) (data.Image, error) {
	if err := spec.check(); err != nil {
		return data.Image{}, err
	}
	return Apply(img, depth, spec.Params, NewRNG(spec.Seed, PixelStream))
}

// check reports a spec whose params are missing or of another type.
func (s Spec) check() error {
	if s.Params == nil {
		return fmt.Errorf("degradation spec %q: no params", s.Type)
	}
	if s.Params.Type() != s.Type {
		return fmt.Errorf("degradation spec: type %q but params of %q", s.Type, s.Params.Type())
	}
	return nil
}

type specJSON struct {
	Type   Type            `json:"type"`
	Seed   uint64          `json:"seed"`
	Params json.RawMessage `json:"params"`
}

// MarshalJSON writes {"type", "seed", "params"}.
func (s Spec) MarshalJSON() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	p, err := json.Marshal(s.Params)
	if err != nil {
		return nil, err
	}
	return json.Marshal(specJSON{Type: s.Type, Seed: s.Seed, Params: p})
}

// UnmarshalJSON reads {"type", "seed", "params"}, rejecting unknown fields
// and parameters outside their domain.
func (s *Spec) UnmarshalJSON(b []byte) error {
	var raw specJSON
	if err := strictDecode(b, &raw); err != nil {
		return err
	}
	t, err := ParseType(string(raw.Type))
	if err != nil {
		return err
	}
	var p Params
	switch t {
	case Clean:
		p, err = decodeParams[CleanParams](raw.Params)
	case Noise:
		p, err = decodeParams[NoiseParams](raw.Params)
	case Haze:
		p, err = decodeParams[HazeParams](raw.Params)
	case Rain:
		p, err = decodeParams[RainParams](raw.Params)
	case Blur:
		p, err = decodeParams[BlurParams](raw.Params)
	}
	if err != nil {
		return fmt.Errorf("%s params: %w", t, err)
	}
	if err := p.Validate(); err != nil {
		return err
	}
	*s = Spec{Type: t, Seed: raw.Seed, Params: p}
	return nil
}

// decodeParams decodes one type's params object; null or absent is the zero
// value (clean's params).
func decodeParams[P Params](b json.RawMessage) (Params, error) {
	var p P
	if len(b) == 0 || string(b) == "null" {
		return p, nil
	}
	err := strictDecode(b, &p)
	return p, err
}

func strictDecode(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// MarshalSpecs writes degradations.json: an object from image name to Spec,
// names sorted, indented.
func MarshalSpecs(specs map[string]Spec) ([]byte, error) {
	b, err := json.MarshalIndent(specs, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("degradations.json: %w", err)
	}
	return append(b, '\n'), nil
}

// UnmarshalSpecs reads degradations.json; an error names the image whose
// entry is wrong.
func UnmarshalSpecs(b []byte) (map[string]Spec, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("degradations.json: %w", err)
	}
	specs := make(map[string]Spec, len(raw))
	for name, r := range raw {
		var s Spec
		if err := s.UnmarshalJSON(r); err != nil {
			return nil, fmt.Errorf("degradations.json: image %q: %w", name, err)
		}
		specs[name] = s
	}
	return specs, nil
}
