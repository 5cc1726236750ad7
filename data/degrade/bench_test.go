package degrade

import "testing"

// The benchmarks degrade one 288x384 RGB image (NYUD's working size) per
// iteration with mid-range parameters on one goroutine.
func benchApply(b *testing.B, p Params, depth []float32) {
	img := randomImage(benchH, benchW, 1)
	rng := NewRNG(1, PixelStream)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Apply(img, depth, p, rng); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkNoise(b *testing.B) { benchApply(b, NoiseParams{Sigma: 25.0 / 255}, nil) }

func BenchmarkHaze(b *testing.B) {
	benchApply(b, HazeParams{Beta: 0.35, A: [3]float64{0.8, 0.9, 0.85}}, DepthProxy(benchH, benchW, DefaultProxy()))
}

func BenchmarkRain(b *testing.B) {
	benchApply(b, RainParams{Density: 0.002, Length: 25, Width: 1.5, Angle: 10, Jitter: 4, Intensity: 0.65}, nil)
}

func BenchmarkBlur(b *testing.B) {
	benchApply(b, BlurParams{Length: 15, Angle: 30, Curvature: 0.05}, nil)
}

// BenchmarkBlurLongNoisy is the slowest default case: a 25-pixel path with
// Poisson-Gaussian noise.
func BenchmarkBlurLongNoisy(b *testing.B) {
	benchApply(b, BlurParams{Length: 25, Angle: 30, Curvature: 0.15, Shot: 0.002, Read: 0.003}, nil)
}
