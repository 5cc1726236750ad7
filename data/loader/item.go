package loader

import (
	"fmt"
	"math/rand/v2"

	"allnet/data/degrade"
	"allnet/data/transform"
)

// The PCG streams of the generators derived from (seed, epoch, index):
// separate streams keep the order, the augmentation and the degradation
// independent, so changing one option does not reshuffle the others.
const (
	orderStream   uint64 = 0x6f72646572 // "order"
	augmentStream uint64 = 0x6175676d   // "augm"
	degradeStream uint64 = 0x64656772   // "degr"
)

// seedMask keeps pixel seeds within 53 bits, as degrade's split does, so
// they survive JSON readers.
const seedMask = 1<<53 - 1

// mix is the SplitMix64 finaliser.
func mix(h uint64) uint64 {
	h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
	h = (h ^ h>>27) * 0x94d049bb133111eb
	return h ^ h>>31
}

// key hashes (seed, epoch, index): every per-image generator of an epoch
// derives from it, whichever worker builds the image.
func key(seed uint64, epoch, index int) uint64 {
	return mix(mix(mix(seed)^uint64(epoch)) ^ uint64(index))
}

// order returns the dataset indices of an epoch: a permutation drawn from
// PCG(key(seed, epoch, -1), orderStream) when training, 0..n-1 otherwise.
func order(n int, seed uint64, epoch int, train bool) []int {
	if !train {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return rand.New(rand.NewPCG(key(seed, epoch, -1), orderStream)).Perm(n)
}

// prepare loads sample index and builds its training or evaluation item.
// The dataset's sample is shallow-copied before the transforms, which only
// store new slices, so a dataset may share its samples between calls.
func (l *Loader) prepare(epoch, index int) (item, error) {
	name := l.ds.Name(index)
	ls, err := l.ds.Load(index)
	if err != nil {
		return item{}, fmt.Errorf("loader: sample %q (index %d): %w", name, index, err)
	}
	if ls == nil {
		return item{}, fmt.Errorf("loader: sample %q (index %d): dataset returned no sample", name, index)
	}
	s := *ls
	if s.Name == "" {
		s.Name = name
	}
	if err := transform.Check(&s); err != nil {
		return item{}, fmt.Errorf("loader: %w", err)
	}
	k := key(l.o.Seed, epoch, index)
	var spec degrade.Spec
	switch {
	case l.o.Clean:
		spec = degrade.Spec{Type: degrade.Clean, Params: degrade.CleanParams{}}
	case l.o.Train:
		rng := rand.New(rand.NewPCG(k, degradeStream))
		t, p, err := degrade.RandomDegradation(rng, l.o.Degrade)
		if err != nil {
			return item{}, fmt.Errorf("loader: sample %q: %w", s.Name, err)
		}
		spec = degrade.Spec{Type: t, Seed: rng.Uint64() & seedMask, Params: p}
	default:
		spec, err = degrade.ValSpec(l.o.Seed, s.Name, degrade.AllTypes, l.o.Degrade)
		if err != nil {
			return item{}, fmt.Errorf("loader: sample %q: %w", s.Name, err)
		}
	}
	if l.o.Train {
		rng := rand.New(rand.NewPCG(k, augmentStream))
		if err := transform.Augment(&s, rng, l.o.Augment, l.h, l.w); err != nil {
			return item{}, fmt.Errorf("loader: augment: %w", err)
		}
	}
	it := item{index: index, s: &s, degraded: s.Image, spec: spec}
	it.deferred = l.o.DeferBlur && l.o.Train && spec.Type == degrade.Blur
	if spec.Type != degrade.Clean && !it.deferred {
		it.degraded, err = degrade.ApplySpec(s.Image, s.Depth, spec)
		if err != nil {
			return item{}, fmt.Errorf("loader: sample %q: %w", s.Name, err)
		}
	}
	return it, nil
}
