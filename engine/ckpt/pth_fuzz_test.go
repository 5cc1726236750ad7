package ckpt

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"testing"
)

// Fuzz targets for the .pth reader. Run one with e.g.
//
//	go test ./engine/ckpt -run '^$' -fuzz '^FuzzLoadPth$' -fuzztime 60s
//
// Without -fuzz, go test runs each on its seed corpus (the fixtures and
// testdata/fuzz).

var pthAllocSample = []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}

func pthAllocated() uint64 {
	metrics.Read(pthAllocSample)
	return pthAllocSample[0].Value.Uint64()
}

// checkPthLoad loads the file at path and checks what every load must
// satisfy: an error names the file, a success gives valid tensors, and the
// load allocates at most a bounded multiple of the file's size (a deflated
// record may expand ~1000x) plus 40 MiB (LoadPth lets views copy out
// 16 MiB beyond 8x the file).
func checkPthLoad(t *testing.T, path string, size int) {
	start := pthAllocated()
	sd, err := LoadPth(path, "")
	if got, limit := pthAllocated()-start, 1100*uint64(size)+40<<20; got > limit {
		t.Fatalf("loading %d bytes allocated %d bytes, over the bound %d", size, got, limit)
	}
	if err != nil {
		if !strings.HasPrefix(err.Error(), "checkpoint "+path+": ") {
			t.Fatalf("error does not name the file: %v", err)
		}
		return
	}
	for name, ten := range sd {
		if err := ten.Validate(); err != nil {
			t.Fatalf("loaded tensor %q does not validate: %v", name, err)
		}
	}
}

// FuzzLoadPth feeds whole files (zip archives or not) to LoadPth.
func FuzzLoadPth(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "*.pth"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no .pth seeds: %v", err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		path := filepath.Join(t.TempDir(), "f.pth")
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		checkPthLoad(t, path, len(raw))
	})
}

// FuzzPthPickle fuzzes the pickle alone: the bytes become archive/data.pkl
// of a well-formed zip that also holds a 16-byte storage record data/0, so
// the fuzzer spends its time in the unpickler and the tensor rebuild rather
// than in the zip reader.
func FuzzPthPickle(f *testing.F) {
	var p pk
	p.op("\x80\x02}(") // PROTO 2, EMPTY_DICT, MARK
	p.str("a")
	p.tensor("FloatStorage", "0", 4, 0, []int{2, 2}, []int{2, 1})
	p.str("b")
	p.tensor("FloatStorage", "0", 4, 1, []int{3}, []int{1})
	p.op("u.") // SETITEMS, STOP
	f.Add(p.Bytes())
	var q pk
	q.op("\x80\x02}(")
	q.str("model")
	q.op("}")
	q.str("w")
	q.tensor("HalfStorage", "0", 8, 0, []int{2, 4}, []int{1, 2})
	q.op("s")
	q.op("u.")
	f.Add(q.Bytes())
	if b, err := pickleOf(filepath.Join("testdata", "model.pth")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("\x80\x02}."))
	f.Fuzz(func(t *testing.T, pkl []byte) {
		var buf bytes.Buffer
		w := zip.NewWriter(&buf)
		for _, rec := range []struct {
			name string
			data []byte
		}{{"archive/data.pkl", pkl}, {"archive/byteorder", []byte("little")}, {"archive/data/0", make([]byte, 16)}} {
			fw, err := w.CreateHeader(&zip.FileHeader{Name: rec.name, Method: zip.Store})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fw.Write(rec.data); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "f.pth")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		checkPthLoad(t, path, buf.Len())
	})
}

// pickleOf returns the data.pkl record of a .pth file.
func pickleOf(path string) ([]byte, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/data.pkl") {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			var b bytes.Buffer
			_, err = b.ReadFrom(rc)
			return b.Bytes(), err
		}
	}
	return nil, os.ErrNotExist
}
