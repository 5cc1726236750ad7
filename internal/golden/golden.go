// Package golden reads the golden-value fixtures that
// scripts/golden/gen_*.py write with PyTorch (engine/testdata/golden,
// nn/testdata, allnet/testdata), for the tests of the packages of this
// module.
package golden

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// File is a fixture: the script that wrote it, the PyTorch version and the
// cases.
type File struct {
	Generator string `json:"generator"`
	Torch     string `json:"torch"`
	Cases     []Case `json:"cases"`
}

// Case is one set of inputs, attributes and expected values.
type Case struct {
	Name    string            `json:"name"`
	Attrs   map[string]any    `json:"attrs"`
	Tensors map[string]Tensor `json:"tensors"`
}

// Tensor is a fixture tensor: its shape and its values in row-major order.
type Tensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// Load reads dir/<name>.json, dir being the golden folder as seen from the
// test's package, and fails t unless it parses and holds a case.
func Load(t testing.TB, dir, name string) []Case {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		t.Fatalf("golden fixture %s: %v (regenerate it with its scripts/golden/gen_*.py)", name, err)
	}
	var f File
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("golden fixture %s: %v", name, err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("golden fixture %s has no cases", name)
	}
	return f.Cases
}

// Get returns the named tensor, failing t when the case has none.
func (c Case) Get(t testing.TB, name string) Tensor {
	t.Helper()
	g, ok := c.Tensors[name]
	if !ok {
		t.Fatalf("golden case %s has no tensor %q", c.Name, name)
	}
	return g
}

// Values returns the named tensor's values, failing t when the case has none.
func (c Case) Values(t testing.TB, name string) []float64 {
	t.Helper()
	return c.Get(t, name).Data
}

// Has reports whether the case holds a tensor of that name.
func (c Case) Has(name string) bool { _, ok := c.Tensors[name]; return ok }

// AttrFloat returns a numeric attribute, failing t when it is missing or not
// a number.
func (c Case) AttrFloat(t testing.TB, name string) float64 {
	t.Helper()
	v, ok := c.Attrs[name].(float64)
	if !ok {
		t.Fatalf("golden case %s: attribute %q missing or not a number", c.Name, name)
	}
	return v
}

// AttrInt returns a numeric attribute as an int (truncated), failing t when
// it is missing or not a number.
func (c Case) AttrInt(t testing.TB, name string) int {
	t.Helper()
	return int(c.AttrFloat(t, name))
}

// DecodeAttrs stores the case's attributes in v (a pointer to a struct with
// json tags), failing t when they do not fit.
func (c Case) DecodeAttrs(t testing.TB, v any) {
	t.Helper()
	raw, err := json.Marshal(c.Attrs)
	if err == nil {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		t.Fatalf("golden case %s: attributes: %v", c.Name, err)
	}
}

// AttrBool returns a boolean attribute (false when absent).
func (c Case) AttrBool(name string) bool {
	v, _ := c.Attrs[name].(bool)
	return v
}
