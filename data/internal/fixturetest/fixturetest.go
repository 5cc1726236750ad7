// Package fixturetest holds what the tests of the dataset readers (nyud,
// pascal) share: reading ../testdata/expected.json (written with the fixture
// trees by scripts/fixtures/gen_dataset_fixtures.py), loading every sample of
// a fixture tree, checking sampled pixels against the expected values, and
// copying a tree for a test to break. Only tests import it.
package fixturetest

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/data"
)

// Pixel is an expected value at (X, Y), written [x, y, value] in JSON where
// value is a number or a list of numbers (one per channel).
type Pixel struct {
	X, Y int
	V    []float64
}

// UnmarshalJSON reads [x, y, value].
func (p *Pixel) UnmarshalJSON(b []byte) error {
	var raw [3]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if err := json.Unmarshal(raw[0], &p.X); err != nil {
		return err
	}
	if err := json.Unmarshal(raw[1], &p.Y); err != nil {
		return err
	}
	var one float64
	if json.Unmarshal(raw[2], &one) == nil {
		p.V = []float64{one}
		return nil
	}
	return json.Unmarshal(raw[2], &p.V)
}

// ReadExpected decodes ../testdata/expected.json into v.
func ReadExpected(t testing.TB, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "expected.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v))
}

// LoadAll opens both splits with open and returns every sample by name,
// checking that each sample carries its split's name for it.
func LoadAll(t testing.TB, open func(split string) (data.Dataset, error)) map[string]*data.Sample {
	t.Helper()
	out := map[string]*data.Sample{}
	for _, split := range []string{"train", "val"} {
		d, err := open(split)
		require.NoError(t, err)
		for i := range d.Len() {
			s, err := d.Load(i)
			require.NoError(t, err)
			require.Equal(t, d.Name(i), s.Name)
			out[s.Name] = s
		}
	}
	return out
}

// CheckImage checks the RGB values (0-255) of sample name's image at the
// expected pixels, within tol+1e-3.
func CheckImage(t testing.TB, name string, im data.Image, pixels []Pixel, tol float64) {
	t.Helper()
	for _, p := range pixels {
		for c := range 3 {
			assert.InDelta(t, p.V[c], float64(im.At(c, p.X, p.Y))*255, tol+1e-3, "%s image (%d,%d) c%d", name, p.X, p.Y, c)
		}
	}
}

// CheckNormals checks sample name's (3, h, w) normals at the expected
// pixels, within 1e-6: the expected vector scaled to unit length (the
// loaders return unit vectors), or zero.
func CheckNormals(t testing.TB, name string, normals []float32, h, w int, pixels []Pixel) {
	t.Helper()
	hw := h * w
	for _, p := range pixels {
		l := math.Sqrt(p.V[0]*p.V[0] + p.V[1]*p.V[1] + p.V[2]*p.V[2])
		for c := range 3 {
			want := 0.0
			if l > 0 {
				want = p.V[c] / l
			}
			assert.InDelta(t, want, float64(normals[c*hw+p.Y*w+p.X]), 1e-6, "%s normals (%d,%d) c%d", name, p.X, p.Y, c)
		}
	}
}

// CopyTree copies the fixture tree src to TMP/release and returns that
// root, for a test to break.
func CopyTree(t testing.TB, src, release string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), release)
	require.NoError(t, os.CopyFS(root, os.DirFS(src)))
	return root
}
