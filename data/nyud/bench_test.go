package nyud

import "testing"

// BenchmarkLoad reads a fixture sample (24x32 files) and resizes it to
// 288x384: the resizing cost per sample, plus small decodes.
func BenchmarkLoad(b *testing.B) {
	d, err := Open(fixtureRoot, "train", Options{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := d.Load(0); err != nil {
			b.Fatal(err)
		}
	}
}
