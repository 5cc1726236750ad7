package transform

import (
	"math"
	"math/rand/v2"
	"testing"

	"allnet/data"
)

// testSample returns an h x w sample with every task: a smooth gradient
// image, labels with a distinct value per pixel modulo 97 (Ignore on the
// first row), depth 1 + x/10 with an invalid hole, unit normals that vary
// with position (invalid where depth is), a vertical edge line, a salient
// rectangle and parts.
func testSample(h, w int) *data.Sample {
	s := &data.Sample{Name: "t", Image: data.NewImage(3, h, w),
		Semseg: make([]int32, h*w), Parts: make([]int32, h*w), Depth: make([]float32, h*w),
		Normals: make([]float32, 3*h*w), Edge: make([]float32, h*w), Sal: make([]float32, h*w)}
	for y := range h {
		for x := range w {
			p := y*w + x
			s.Image.Set(0, x, y, float32(x)/float32(w))
			s.Image.Set(1, x, y, float32(y)/float32(h))
			s.Image.Set(2, x, y, float32(x+y)/float32(h+w))
			s.Semseg[p] = int32((3*x + 7*y) % 97)
			if y == 0 {
				s.Semseg[p] = data.Ignore
			}
			s.Parts[p] = int32((x + y) % 7)
			if y < h/4 && x < w/4 {
				continue // hole: depth and normals invalid
			}
			s.Depth[p] = 1 + float32(x)/10
			a := float64(x) / float64(w)
			b := float64(y) / float64(h)
			n := [3]float64{math.Sin(a), math.Sin(b) * math.Cos(a), -math.Cos(a) * math.Cos(b)}
			l := math.Sqrt(n[0]*n[0] + n[1]*n[1] + n[2]*n[2])
			for c := range 3 {
				s.Normals[c*h*w+p] = float32(n[c] / l)
			}
			if x == w/2 {
				s.Edge[p] = 1
			}
			if x > w/3 && y > h/3 {
				s.Sal[p] = 1
			}
		}
	}
	return s
}

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

// isUnitOrZero checks every normal of a (3, n) map is unit length or all
// zero, and returns how many are zero.
func isUnitOrZero(t *testing.T, m []float32, n int) int {
	t.Helper()
	zeros := 0
	for p := range n {
		x, y, z := float64(m[p]), float64(m[n+p]), float64(m[2*n+p])
		l := math.Sqrt(x*x + y*y + z*z)
		if l == 0 {
			zeros++
			continue
		}
		if math.Abs(l-1) > 1e-5 {
			t.Fatalf("normal %d has length %g", p, l)
		}
	}
	return zeros
}
