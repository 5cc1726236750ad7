package format

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The fixtures in testdata/ and their expected values are written by
// scripts/fixtures/gen_format_fixtures.py (PIL, numpy, scipy); the tests only
// read them.

type expected struct {
	Images map[string]struct {
		H, W int
		Max  float32
		HWC  []float32
		Tol  float32 // in units of 1/255; 0: exact
	}
	Gray map[string]struct {
		H, W     int
		BitDepth int `json:"bit_depth"`
		Vals     []uint16
	}
	Npy map[string]struct {
		DType   string
		Shape   []int
		Fortran bool
		Values  []float64
	}
	Mat      map[string]map[string]matTree // by stem: "anno" for anno_raw.mat and anno_z.mat
	MatFiles map[string]string             `json:"mat_files"` // file -> stem
}

// matTree is the expected form of one MATLAB value (see the script's doc).
type matTree struct {
	Class   string
	Logical bool
	Dims    []int
	Real    []float64
	Imag    []float64
	Rows    json.RawMessage // []float64 (numeric, row-major) or []string (char)
	Fields  []string
	Elems   json.RawMessage // []matTree (cell) or []map[string]matTree (struct)
}

func loadExpected(t testing.TB) *expected {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "expected.json"))
	require.NoError(t, err)
	var e expected
	require.NoError(t, json.Unmarshal(b, &e))
	return &e
}

func testdata(name string) string { return filepath.Join("testdata", name) }
