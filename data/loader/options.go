package loader

import (
	"fmt"
	"reflect"
	"runtime"

	"allnet/data"
	"allnet/data/degrade"
	"allnet/data/transform"
)

// Options configure a Loader. Zero Workers, Prefetch, Augment and Degrade
// take the defaults given on each field.
type Options struct {
	Batch    int    // images per batch, >= 1 (training: 4)
	Workers  int    // goroutines building batches; 0 = GOMAXPROCS
	Prefetch int    // most batches built or being built ahead of Next; 0 = 2*Workers
	Seed     uint64 // order, augmentation and degradation seed
	Train    bool   // training (shuffled, augmented, endless) or evaluation (fixed, once)

	// Augment is the training augmentation (transform.DefaultOptions when
	// zero); evaluation does not augment.
	Augment transform.Options
	// Degrade holds the degradation ranges (degrade.DefaultOptions when
	// zero). Training draws a type from Degrade.Types per image; evaluation
	// uses the seeded validation split, degrade.ValSpec(Seed, name,
	// degrade.AllTypes, Degrade). To change one range, start from
	// degrade.DefaultOptions(): a partly set value is taken as given.
	Degrade degrade.Options
	// Clean skips degradation: Images hold the normalised clean image and
	// every Type is "clean" (evaluation's --clean, ablations).
	Clean bool
	// DeferBlur leaves training images whose drawn degradation is blur to
	// the caller: their Images hold the clean image, Batch.Deferred marks
	// them and Specs holds their blur parameters, so that a GPU can apply
	// the blur (allnet.ApplyDeferredBlur). Evaluation ignores it: the
	// degraded validation split is always made here.
	DeferBlur bool
	// Crop is the training crop [H, W]; zero takes the dataset's working
	// size (Info().Size). Datasets whose images keep their own sizes
	// (PASCAL) need it set for training. Evaluation never crops.
	Crop [2]int
	// DropLast drops an epoch's last, incomplete batch.
	DropLast bool
}

// resolve fills defaults and checks the options against the dataset,
// returning the training crop size (0, 0 for evaluation).
func (o *Options) resolve(ds data.Dataset) (h, w int, err error) {
	n := ds.Len()
	if n <= 0 {
		return 0, 0, fmt.Errorf("loader: dataset %s/%s is empty", ds.Info().Dataset, ds.Info().Split)
	}
	if o.Batch <= 0 {
		return 0, 0, fmt.Errorf("loader: batch %d: must be at least 1", o.Batch)
	}
	if o.Workers < 0 || o.Prefetch < 0 {
		return 0, 0, fmt.Errorf("loader: workers %d, prefetch %d: must not be negative", o.Workers, o.Prefetch)
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Prefetch == 0 {
		o.Prefetch = 2 * o.Workers
	}
	if reflect.ValueOf(o.Augment).IsZero() {
		o.Augment = transform.DefaultOptions()
	}
	if reflect.ValueOf(o.Degrade).IsZero() {
		o.Degrade = degrade.DefaultOptions()
	}
	if err := o.Degrade.Validate(); err != nil {
		return 0, 0, fmt.Errorf("loader: %w", err)
	}
	if o.DropLast && n < o.Batch {
		return 0, 0, fmt.Errorf("loader: %d samples and batch %d with drop-last leave no batch", n, o.Batch)
	}
	size := ds.Info().Size
	if !o.Train {
		if o.Batch > 1 && size == [2]int{} {
			return 0, 0, fmt.Errorf("loader: %s images keep their own sizes, so evaluation batches hold one image: use batch 1, not %d",
				ds.Info().Dataset, o.Batch)
		}
		return 0, 0, nil
	}
	if err := o.Augment.Validate(); err != nil {
		return 0, 0, fmt.Errorf("loader: %w", err)
	}
	h, w = o.Crop[0], o.Crop[1]
	if h == 0 && w == 0 {
		h, w = size[0], size[1]
	}
	if h <= 0 || w <= 0 {
		return 0, 0, fmt.Errorf("loader: training crop %dx%d: set Crop for %s, whose images keep their own sizes",
			h, w, ds.Info().Dataset)
	}
	return h, w, nil
}
