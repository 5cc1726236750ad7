package degrade

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"allnet/data"
)

// The working size of NYUD (CONVENTIONS.md "Resolution").
const benchH, benchW = 288, 384

// flatImage returns a c x h x w image filled with v.
func flatImage(c, h, w int, v float32) data.Image {
	im := data.NewImage(c, h, w)
	for i := range im.Pix {
		im.Pix[i] = v
	}
	return im
}

// randomImage returns a smooth-ish random RGB image in [0, 1].
func randomImage(h, w int, seed uint64) data.Image {
	rng := rand.New(rand.NewPCG(seed, 7))
	im := data.NewImage(3, h, w)
	for i := range im.Pix {
		im.Pix[i] = rng.Float32()
	}
	return im
}

// meanStd returns the mean and population std of v.
func meanStd(v []float64) (mean, std float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v)))
}

// angleDiff returns the distance between two orientations in degrees,
// modulo 180.
func angleDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 180)
	return math.Min(d, 180-d)
}

// mustApply applies p with a fresh generator of the given seed.
func mustApply(t *testing.T, img data.Image, depth []float32, p Params, seed uint64) data.Image {
	t.Helper()
	out, err := Apply(img, depth, p, NewRNG(seed, PixelStream))
	if err != nil {
		t.Fatalf("Apply(%T %+v): %v", p, p, err)
	}
	return out
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
