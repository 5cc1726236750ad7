package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"allnet/engine/backend"
)

// goldenFile is a fixture written by scripts/golden/gen_*.py with PyTorch.
type goldenFile struct {
	Generator string       `json:"generator"`
	Torch     string       `json:"torch"`
	Cases     []goldenCase `json:"cases"`
}

// goldenCase is one set of inputs, attributes and expected values.
type goldenCase struct {
	Name    string                  `json:"name"`
	Attrs   map[string]any          `json:"attrs"`
	Tensors map[string]goldenTensor `json:"tensors"`
}

type goldenTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// loadGolden reads engine/testdata/golden/<name>.json.
func loadGolden(t *testing.T, name string) []goldenCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "golden", name+".json"))
	if err != nil {
		t.Fatalf("golden fixture %s: %v (regenerate with scripts/golden/gen_%s.py)", name, err, name)
	}
	var f goldenFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("golden fixture %s: %v", name, err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("golden fixture %s has no cases", name)
	}
	return f.Cases
}

// tensor returns the named tensor of the case as dtype dt on the CPU.
func (c goldenCase) tensor(t *testing.T, name string, dt backend.DType) *Tensor {
	t.Helper()
	g, ok := c.Tensors[name]
	if !ok {
		t.Fatalf("golden case %s has no tensor %q", c.Name, name)
	}
	return FromValues(CPU(), dt, g.Data, g.Shape...)
}

// values returns the named tensor's data.
func (c goldenCase) values(t *testing.T, name string) []float64 {
	t.Helper()
	g, ok := c.Tensors[name]
	if !ok {
		t.Fatalf("golden case %s has no tensor %q", c.Name, name)
	}
	return g.Data
}

// has reports whether the case holds a tensor of that name.
func (c goldenCase) has(name string) bool { _, ok := c.Tensors[name]; return ok }

// attrInt returns an integer attribute.
func (c goldenCase) attrInt(t *testing.T, name string) int {
	t.Helper()
	v, ok := c.Attrs[name].(float64)
	if !ok {
		t.Fatalf("golden case %s: attribute %q missing or not a number", c.Name, name)
	}
	return int(v)
}

// attrFloat returns a float attribute.
func (c goldenCase) attrFloat(t *testing.T, name string) float64 {
	t.Helper()
	v, ok := c.Attrs[name].(float64)
	if !ok {
		t.Fatalf("golden case %s: attribute %q missing or not a number", c.Name, name)
	}
	return v
}

// attrBool returns a boolean attribute (false when absent).
func (c goldenCase) attrBool(name string) bool {
	v, _ := c.Attrs[name].(bool)
	return v
}
