package allnet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadTrainConfig feeds arbitrary bytes to the --config YAML reader:
// it must return an error naming the file or a config; a config that
// resolves must survive WriteYAML and ReadTrainConfig unchanged. Run with
//
//	go test ./allnet -run '^$' -fuzz '^FuzzReadTrainConfig$' -fuzztime 60s
func FuzzReadTrainConfig(f *testing.F) {
	f.Add([]byte("model: allnet-tiny\ndataset: synthetic\nout: run\nbatch: 2\niters: 10\n"))
	f.Add([]byte("dataset: nyud\nroot: /data/nyud\ntasks: [semseg, depth]\ncrop: [64, 96]\nlr: 1e-4\n"))
	f.Add([]byte("dataset: synthetic\nlike: pascal\nsynth_size: [32, 48]\nsynth_count: 4\nwarmup: -1\n"))
	f.Add([]byte("bogus_key: 1\n"))
	f.Add([]byte("batch: [1, 2]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := ReadTrainConfig(path, DefaultTrainConfig())
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		res, err := cfg.Resolve()
		if err != nil {
			if !strings.HasPrefix(err.Error(), "train config: ") {
				t.Fatalf("validation error without its prefix: %v", err)
			}
			return
		}
		// Compare as written: NaN weights and nil-or-empty lists and maps
		// are the same config.
		first := filepath.Join(dir, "first.yaml")
		if err := res.WriteYAML(first); err != nil {
			t.Fatalf("resolved config does not write: %v", err)
		}
		back, err := ReadTrainConfig(first, DefaultTrainConfig())
		if err != nil {
			t.Fatalf("written config does not read back: %v", err)
		}
		second := filepath.Join(dir, "second.yaml")
		if err := back.WriteYAML(second); err != nil {
			t.Fatal(err)
		}
		a, _ := os.ReadFile(first)
		b2, _ := os.ReadFile(second)
		if string(a) != string(b2) {
			t.Fatalf("round trip changed the config:\n%s\n%s", a, b2)
		}
	})
}
