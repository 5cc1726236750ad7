package metrics

import (
	"encoding/json"
	"os"
	"testing"
)

// golden holds the scikit-image reference values of testdata/golden.json,
// written by testdata/gen_golden.py.
type golden struct {
	Thin []struct {
		H, W    int
		In, Out []string
	}
	SSIM []struct {
		C, H, W      int
		SSIMGaussian float64 `json:"ssim_gaussian"`
		SSIMUniform7 float64 `json:"ssim_uniform7"`
		PSNR         float64 `json:"psnr"`
	}
}

func loadGolden(t *testing.T) *golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Thin) == 0 || len(g.SSIM) == 0 {
		t.Fatal("testdata/golden.json: no cases")
	}
	return &g
}
