package format

import (
	"os"
	"path/filepath"
	"runtime/metrics"
	"testing"
)

// Fuzz targets: malformed input must return an error, never panic, and never
// allocate more than a bounded multiple of its size. Run one with e.g.
//
//	go test ./data/format -run '^$' -fuzz FuzzReadMat -fuzztime 60s
//
// Without -fuzz, go test runs each on its seed corpus: the fixtures.

// addSeeds adds the fixtures whose names match pattern to the corpus.
func addSeeds(f *testing.F, pattern string) {
	names, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(names) == 0 {
		f.Fatalf("no seeds for %s: %v", pattern, err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

var allocSample = []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}

// allocated returns the bytes allocated so far by the process.
func allocated() uint64 {
	metrics.Read(allocSample)
	return allocSample[0].Value.Uint64()
}

// checkAlloc fails when decoding b allocated more than perByte*len(b) plus
// 4 MiB (room for the runtime and the fuzzer's own allocations).
func checkAlloc(t *testing.T, b []byte, start uint64, perByte uint64) {
	if got, limit := allocated()-start, perByte*uint64(len(b))+4<<20; got > limit {
		t.Fatalf("decoding %d bytes allocated %d bytes, over the bound %d", len(b), got, limit)
	}
}

func FuzzReadNpy(f *testing.F) {
	addSeeds(f, "*.npy")
	f.Fuzz(func(t *testing.T, b []byte) {
		start := allocated()
		n, err := DecodeNpy("fuzz.npy", b)
		if err != nil {
			return
		}
		if _, err := n.Float32s(); err != nil {
			t.Fatalf("decoded but Float32s failed: %v", err)
		}
		if _, err := n.Float64s(); err != nil {
			t.Fatalf("decoded but Float64s failed: %v", err)
		}
		// float64 output: at most 8 values' bytes per input byte, twice.
		checkAlloc(t, b, start, 40)
	})
}

func FuzzReadMat(f *testing.F) {
	addSeeds(f, "*.mat")
	f.Fuzz(func(t *testing.T, b []byte) {
		start := allocated()
		mf, err := DecodeMat("fuzz.mat", b)
		if err != nil {
			return
		}
		for _, name := range mf.Names {
			v, err := mf.Var(name)
			if err != nil {
				t.Fatal(err)
			}
			walkMat(v, 0)
		}
		// Deflate expands at most 1032 times; each 8 bytes of content make
		// at most one value (~300 bytes with its path) or one float64.
		checkAlloc(t, b, start, 1032*48)
	})
}

// walkMat calls every accessor on v and its children; errors are fine.
func walkMat(v *MatValue, depth int) {
	_ = v.String()
	v.Float64s()
	if v.Len() <= 1<<16 {
		v.Float64Matrix()
		v.Int32Matrix()
		v.Rows()
		v.Text()
	}
	for _, f := range v.Fields {
		if c, err := v.Field(f); err == nil {
			walkMat(c, depth+1)
		}
	}
	for i := range min(v.Len(), 64) {
		if c, err := v.Index(i); err == nil && c != v {
			walkMat(c, depth+1)
		}
	}
}

func FuzzReadImage(f *testing.F) {
	addSeeds(f, "*.png")
	addSeeds(f, "*.jpg")
	f.Fuzz(func(t *testing.T, b []byte) {
		start := allocated()
		im, err := DecodeImage("fuzz.png", b)
		if err == nil {
			if err := im.Check(); err != nil {
				t.Fatal(err)
			}
		}
		if g, err := DecodeGray("fuzz.png", b); err == nil && len(g.Pix) != g.W*g.H {
			t.Fatalf("gray of %dx%d with %d values", g.W, g.H, len(g.Pix))
		}
		// Up to 8256 one-bit pixels per byte (deflate's 1032:1), decoded
		// twice, each to at most 8 bytes per pixel plus 12 for float RGB.
		checkAlloc(t, b, start, 2*8256*20)
	})
}
