package metrics

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// synthEdgeImage draws a label map of random filled rectangles and discs,
// takes its boundaries as the ground truth (1 where a pixel's label differs
// from its right or lower neighbour), and makes the prediction a blurred,
// noisy copy of them (Gaussian sigma 1.5, scaled so that a straight boundary peaks at 0.85, plus
// |N(0, 0.08)| noise), quantised to 0-255 as a saved PNG would be.
func synthEdgeImage(rng *rand.Rand, h, w int) (pred []uint8, gt []uint8) {
	lab := make([]int32, h*w)
	for s := 1; s <= 8; s++ {
		cy, cx := rng.IntN(h), rng.IntN(w)
		ry, rx := 10+rng.IntN(h/4), 10+rng.IntN(w/4)
		disc := rng.IntN(2) == 0
		for y := max(0, cy-ry); y < min(h, cy+ry); y++ {
			for x := max(0, cx-rx); x < min(w, cx+rx); x++ {
				if disc {
					dy, dx := float64(y-cy)/float64(ry), float64(x-cx)/float64(rx)
					if dy*dy+dx*dx > 1 {
						continue
					}
				}
				lab[y*w+x] = int32(s)
			}
		}
	}
	gt = make([]uint8, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			l := lab[y*w+x]
			if (x+1 < w && lab[y*w+x+1] != l) || (y+1 < h && lab[(y+1)*w+x] != l) {
				gt[y*w+x] = 1
			}
		}
	}
	// Separable Gaussian blur of the boundary map.
	const sigma, r = 1.5, 4
	k := make([]float64, 2*r+1)
	var ks float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		ks += k[i]
	}
	for i := range k {
		k[i] /= ks
	}
	tmp := make([]float64, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float64
			for j, kj := range k {
				if xx := x + j - r; xx >= 0 && xx < w {
					s += kj * float64(gt[y*w+xx])
				}
			}
			tmp[y*w+x] = s
		}
	}
	pred = make([]uint8, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float64
			for j, kj := range k {
				if yy := y + j - r; yy >= 0 && yy < h {
					s += kj * tmp[yy*w+x]
				}
			}
			v := 0.85*s/k[r] + math.Abs(rng.NormFloat64())*0.08
			pred[y*w+x] = uint8(math.Round(255 * min(max(v, 0), 1)))
		}
	}
	return pred, gt
}

type synthEdgeSet struct {
	h, w     int
	pred, gt [][]uint8
}

func newSynthEdgeSet(n, h, w int, seed uint64) *synthEdgeSet {
	s := &synthEdgeSet{h: h, w: w, pred: make([][]uint8, n), gt: make([][]uint8, n)}
	for i := range s.pred {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		s.pred[i], s.gt[i] = synthEdgeImage(rng, h, w)
	}
	return s
}

func (s *synthEdgeSet) load(i int) ([]float32, []float32, int, int, error) {
	gt := make([]float32, len(s.gt[i]))
	for j, v := range s.gt[i] {
		gt[j] = float32(v)
	}
	return uint8ToUnit(s.pred[i]), gt, s.h, s.w, nil
}

// BenchmarkODSF scores the NYUD-v2 test set's size and resolution (654
// images of 288x384, 99 thresholds, maxDist 0.011) on GOMAXPROCS workers.
// Run it once: go test ./metrics -run '^$' -bench ODSF -benchtime 1x
func BenchmarkODSF(b *testing.B) {
	set := newSynthEdgeSet(654, 288, 384, 1)
	opts := EdgeOptions{MaxDist: EdgeMaxDistNYUD}
	b.ResetTimer()
	var res EdgeResult
	for i := 0; i < b.N; i++ {
		e, err := EvaluateEdges(len(set.pred), set.load, opts, runtime.GOMAXPROCS(0))
		if err != nil {
			b.Fatal(err)
		}
		res = e.Result()
	}
	b.ReportMetric(float64(res.ODSF), "odsF")
	b.ReportMetric(float64(res.OISF), "oisF")
	b.ReportMetric(float64(res.AP), "AP")
}
