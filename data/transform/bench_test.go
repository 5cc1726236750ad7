package transform

import "testing"

// BenchmarkAugment runs the training augmentation on one 288x384 sample
// with every task (NYUD's working size) per iteration, on one goroutine.
func BenchmarkAugment(b *testing.B) {
	s := testSample(288, 384)
	r := rng(1)
	for b.Loop() {
		c := *s
		if err := Augment(&c, r, DefaultOptions(), 288, 384); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkResize resizes every task of a 288x384 sample to 2x.
func BenchmarkResize(b *testing.B) {
	s := testSample(288, 384)
	for b.Loop() {
		c := *s
		if err := Resize(&c, 576, 768); err != nil {
			b.Fatal(err)
		}
	}
}
