package loader

import (
	"io"
	"testing"

	"allnet/data/degrade"
)

// BenchmarkLoader measures the loader's throughput at NYUD's working size
// (288x384, NYUD's tasks) with batch 4 and 2 workers, from an in-memory
// dataset so that only augmentation, degradation and collation count:
// "train" augments and degrades (the training input), "train-clean" only
// augments, "eval" degrades with the validation split. Run it with
// -benchtime=60x or more: the first Prefetch batches are built while the
// loader starts. Evaluation restarts its loader after each pass (16
// images), which counts the refill. cpu-ms/image is the process's CPU time
// per image: on a busy machine wall-clock images/s understates what two idle
// cores give, about 2000 / cpu-ms/image.
func BenchmarkLoader(b *testing.B) {
	ds := newFake(16, 288, 384)
	for _, s := range ds.samples {
		s.Sal, s.Parts = nil, nil
	}
	for _, c := range []struct {
		name string
		o    Options
	}{
		{"train", Options{Train: true}},
		{"train-clean", Options{Train: true, Clean: true}},
		{"eval", Options{}},
		{"train-blur", Options{Train: true, Degrade: degradeOnly(degrade.Blur)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			o := c.o
			o.Batch, o.Workers, o.Prefetch, o.Seed = 4, 2, 4, 1
			l, err := New(ds, o)
			if err != nil {
				b.Fatal(err)
			}
			defer func() { l.Close() }()
			images, cpu0 := 0, cpuTime()
			for b.Loop() {
				bt, err := l.Next()
				if err == io.EOF { // evaluation: start another pass
					l.Close()
					if l, err = New(ds, o); err == nil {
						bt, err = l.Next()
					}
				}
				if err != nil {
					b.Fatal(err)
				}
				images += bt.B
			}
			b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Milliseconds())/float64(images), "cpu-ms/image")
			}
		})
	}
}

func degradeOnly(t degrade.Type) degrade.Options {
	o := degrade.DefaultOptions()
	o.Types = []degrade.Type{t}
	return o
}
