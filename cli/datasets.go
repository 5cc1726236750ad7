package cli

import (
	"fmt"

	"allnet/allnet"
	"allnet/data"
	"allnet/data/nyud"
	"allnet/data/pascal"
)

// openDataset opens split of the named dataset under root, as the shared
// flags --dataset, --root, --split and --classes describe it
// (CONVENTIONS.md). A bad name, split or class count is a usage error
// (exit 2) naming the flag; a missing or malformed dataset is an error
// (exit 1) carrying the loader's message, which names the file and shows
// the expected layout. classes applies to nyud only (0 means its default,
// 13); for pascal it must be 0. synthetic takes its settings from syn (the
// flags of syntheticFlags, read by synthOptionsOf; see data_synthetic.go)
// and needs no root.
func openDataset(name, root, split string, classes int, syn synthOptions) (data.Dataset, error) {
	if split != "train" && split != "val" {
		return nil, UsageErrorf("--split %q: expected train or val", split)
	}
	switch name {
	case "synthetic":
		return openSynthetic(root, split, classes, syn)
	case "nyud", "pascal":
	case "":
		return nil, UsageErrorf("--dataset is required: nyud, pascal or synthetic")
	default:
		return nil, UsageErrorf("--dataset %q: expected nyud, pascal or synthetic", name)
	}
	if root == "" {
		return nil, UsageErrorf("--root is required: the folder holding the %s dataset", name)
	}
	switch name {
	case "nyud":
		if classes != 0 && classes != 13 && classes != 40 {
			return nil, UsageErrorf("--classes %d: expected 13 or 40", classes)
		}
		ds, err := nyud.Open(root, split, nyud.Options{Classes: classes})
		if err != nil {
			return nil, Errorf("--root %s: %v", root, err)
		}
		return ds, nil
	default: // pascal
		if classes != 0 {
			return nil, UsageErrorf("--classes %d: applies to nyud only (pascal has 21 classes)", classes)
		}
		ds, err := pascal.Open(root, split, pascal.Options{})
		if err != nil {
			return nil, Errorf("--root %s: %v", root, err)
		}
		return ds, nil
	}
}

// openTrainSplits opens the train and val splits a train config names (its
// dataset, root, classes and synthetic settings), for train and profile.
func openTrainSplits(cfg allnet.TrainConfig) (train, val data.Dataset, err error) {
	syn := synthOptions{like: cfg.Like, seed: cfg.SynthSeed, count: cfg.SynthCount}
	if cfg.SynthSize != [2]int{} {
		syn.size = fmt.Sprintf("%dx%d", cfg.SynthSize[0], cfg.SynthSize[1])
	}
	if train, err = openDataset(cfg.Dataset, cfg.Root, "train", cfg.Classes, syn); err != nil {
		return nil, nil, err
	}
	if val, err = openDataset(cfg.Dataset, cfg.Root, "val", cfg.Classes, syn); err != nil {
		return nil, nil, err
	}
	return train, val, nil
}
