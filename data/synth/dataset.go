package synth

import (
	"fmt"

	"allnet/data"
)

// ValOffset separates the splits of the synthetic dataset: sample i of the
// train split is scene index i, sample i of the val split is scene index
// ValOffset + i. Train and val scenes therefore never coincide (each split
// holds at most ValOffset samples), and names stay six digits: train
// synth_000000.., val synth_500000...
const ValOffset = 500_000

// DefaultCount returns the number of samples of a split when none is
// given: the size of the real dataset's split (NYUD-v2 795 train / 654 val,
// PASCAL-Context 4,998 train / 5,105 val).
func DefaultCount(like, split string) int {
	if like == LikePASCAL {
		if split == "val" {
			return 5105
		}
		return 4998
	}
	if split == "val" {
		return 654
	}
	return 795
}

// Index returns the scene index of sample i of split ("train" or "val").
func Index(split string, i int) int {
	if split == "val" {
		return ValOffset + i
	}
	return i
}

// Dataset is one split of the in-memory synthetic dataset: every Load
// renders its scene (about 70 ms per 288x384 image on one core). It is safe
// for concurrent Load calls.
type Dataset struct {
	cfg   Config
	seed  uint64
	split string
	n     int
}

// Open returns split "train" or "val" of the synthetic dataset of cfg and
// seed with n samples (0 <= n <= ValOffset), checking the arguments.
func Open(cfg Config, seed uint64, split string, n int) (*Dataset, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if split != "train" && split != "val" {
		return nil, fmt.Errorf("synth: split %q: expected train or val", split)
	}
	if n < 0 || n > ValOffset {
		return nil, fmt.Errorf("synth: %d samples: expected 0..%d per split", n, ValOffset)
	}
	return &Dataset{cfg: c, seed: seed, split: split, n: n}, nil
}

// NewDataset is Open for arguments known to be valid; it panics on an error.
func NewDataset(cfg Config, seed uint64, split string, n int) data.Dataset {
	d, err := Open(cfg, seed, split, n)
	if err != nil {
		panic(err)
	}
	return d
}

// CheckConfig reports an invalid Config (unknown variant, size outside
// [8, 8192], bad object counts).
func CheckConfig(cfg Config) error {
	_, err := cfg.withDefaults()
	return err
}

// Len returns the number of samples.
func (d *Dataset) Len() int { return d.n }

// Name returns sample i's name, Name(Index(split, i)).
func (d *Dataset) Name(i int) string { return Name(Index(d.split, i)) }

// Load renders sample i with the variant's tasks (see Tasks).
func (d *Dataset) Load(i int) (*data.Sample, error) {
	if i < 0 || i >= d.n {
		return nil, fmt.Errorf("synthetic: sample %d out of range: the %s split has %d", i, d.split, d.n)
	}
	return Render(d.cfg, d.seed, Index(d.split, i))
}

// Info describes the split: dataset "synthetic", no root, the variant's
// tasks and classes, and the configured size.
func (d *Dataset) Info() data.Info {
	return data.Info{Dataset: "synthetic", Split: d.split, Tasks: Tasks(d.cfg.Like),
		Classes: NumClasses(d.cfg.Like), Size: [2]int{d.cfg.H, d.cfg.W}}
}

// Config returns the dataset's configuration with defaults filled in.
func (d *Dataset) Config() Config { return d.cfg }
