package degrade

import (
	"math"
	"strings"
	"testing"
)

// FuzzUnmarshalSpecs feeds arbitrary bytes to the degradations.json reader.
// Whatever it accepts must apply to a small image without panicking, give
// finite pixels in [0, 1], and survive MarshalSpecs/UnmarshalSpecs. Run with
//
//	go test ./data/degrade -run '^$' -fuzz '^FuzzUnmarshalSpecs$' -fuzztime 60s
func FuzzUnmarshalSpecs(f *testing.F) {
	specs := map[string]Spec{}
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		s, err := ValSpec(1, name, AllTypes, DefaultOptions())
		if err != nil {
			f.Fatal(err)
		}
		specs[name] = s
	}
	specs["clean"] = Spec{Type: Clean, Params: CleanParams{}}
	b, err := MarshalSpecs(specs)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"x": {"type": "haze", "seed": 123, "params": {"beta": 1.2, "A": [0.8, 0.9, 0.75]}}}`))
	f.Add([]byte(`{"x": {"type": "noise", "seed": 1, "params": {"sigma": -1}}}`))
	f.Add([]byte(`{"x": {"type": "blur", "seed": 1, "params": {"length": 1e9}}}`))
	f.Add([]byte(`{}`))
	const h, w = 12, 16
	img := randomImage(h, w, 1)
	depth := make([]float32, h*w)
	for i := range depth {
		depth[i] = 1 + float32(i%5)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		specs, err := UnmarshalSpecs(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "degradations.json: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for name, s := range specs {
			out, err := ApplySpec(img, depth, s)
			if err != nil {
				continue // e.g. parameters that need a larger image
			}
			for i, v := range out.Pix {
				if !(v >= 0 && v <= 1) || math.IsNaN(float64(v)) {
					t.Fatalf("%s (%s): pixel %d is %v", name, s.Type, i, v)
				}
			}
		}
		again, err := MarshalSpecs(specs)
		if err != nil {
			t.Fatalf("accepted specs do not marshal: %v", err)
		}
		if _, err := UnmarshalSpecs(again); err != nil {
			t.Fatalf("marshalled specs do not read back: %v\n%s", err, again)
		}
	})
}
