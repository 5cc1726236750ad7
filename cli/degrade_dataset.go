package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	ucli "github.com/urfave/cli/v2"

	"allnet/data/degrade"
	"allnet/data/format"
)

// `degrade --dataset D --out DIR` writes the seeded degraded split of
// CONVENTIONS.md: DIR/images/NAME.png and DIR/degradations.json. Images are
// degraded in parallel; each file is written atomically, and
// degradations.json is written last, listing exactly the images written (on
// an interruption, those finished so far).

// degradeSplitResult is the JSON shape of `degrade --dataset ... --json`.
type degradeSplitResult struct {
	Dataset string         `json:"dataset"`
	Split   string         `json:"split"`
	Root    string         `json:"root"`
	Out     string         `json:"out"`
	Seed    uint64         `json:"seed"`
	Count   int            `json:"count"`
	Types   map[string]int `json:"types"` // images per degradation type
	Seconds float64        `json:"seconds"`
}

func runDegradeDataset(c *ucli.Context) error {
	out := c.String("out")
	if out == "" {
		return UsageErrorf("--out is required: the folder to write DIR/images/NAME.png and DIR/degradations.json to")
	}
	seed, err := seedOf(c)
	if err != nil {
		return err
	}
	workers, err := workersOf(c)
	if err != nil {
		return err
	}
	ds, err := openDataset(c.String("dataset"), c.String("root"), c.String("split"), 0, synthOptionsOf(c))
	if err != nil {
		return err
	}
	if err := checkOutDir(out, c.Bool("force")); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "images"), 0o755); err != nil {
		return Errorf("--out %s: %v", out, err)
	}
	info := ds.Info()
	n := ds.Len()
	opts := degrade.DefaultOptions()
	Logf(c, "degrade: writing the degraded %s split of %s (%d images, seed %d) to %s on %d workers", info.Split, info.Dataset, n, seed, out, workers)
	in := watchInterrupts()
	defer in.stop()
	start := time.Now()
	step := max(1, n/10)
	specs := map[string]degrade.Spec{}
	var mu sync.Mutex
	workErr := forEach(n, workers, in, func(i int) error {
		s, err := ds.Load(i)
		if err != nil {
			return err
		}
		spec, err := degrade.ValSpec(seed, s.Name, degrade.AllTypes, opts)
		if err != nil {
			return err
		}
		img, err := degrade.ApplySpec(s.Image, s.Depth, spec)
		if err != nil {
			return fmt.Errorf("image %s: %v", s.Name, err)
		}
		if err := format.WriteImagePNG(filepath.Join(out, "images", s.Name+".png"), img); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		specs[s.Name] = spec
		if d := len(specs); d%step == 0 || d == n {
			el := time.Since(start).Seconds()
			Logf(c, "degrade: %d/%d images (%.1f images/s)", d, n, float64(d)/max(el, 1e-9))
		}
		return nil
	})
	b, err := degrade.MarshalSpecs(specs)
	if err != nil {
		return Errorf("%v", err)
	}
	jsonPath := filepath.Join(out, "degradations.json")
	if err := format.WriteFileAtomic(jsonPath, b); err != nil {
		return Errorf("%v", err)
	}
	if in.interrupted() && len(specs) < n {
		return in.err("%d of %d images written to %s/images, listed in %s", len(specs), n, out, jsonPath)
	}
	if workErr != nil {
		return Errorf("%v", workErr)
	}
	res := degradeSplitResult{Dataset: info.Dataset, Split: info.Split, Root: info.Root, Out: out, Seed: seed,
		Count: len(specs), Types: map[string]int{}, Seconds: time.Since(start).Seconds()}
	for _, t := range degrade.AllTypes {
		res.Types[string(t)] = 0
	}
	for _, s := range specs {
		res.Types[string(s.Type)]++
	}
	if c.Bool("json") {
		return WriteJSON(Stdout(c), res)
	}
	w := Stdout(c)
	fmt.Fprintf(w, "# Degraded %s split of %s\n\n%d images (seed %d) written to %s/images, specs in %s.\n\n", info.Split, info.Dataset, res.Count, seed, out, jsonPath)
	fmt.Fprintf(w, "| type | images |\n|---|---|\n")
	for _, t := range degrade.AllTypes {
		fmt.Fprintf(w, "| %s | %d |\n", t, res.Types[string(t)])
	}
	return nil
}
