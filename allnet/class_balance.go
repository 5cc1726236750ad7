package allnet

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"allnet/data"
	"allnet/data/loader"
)

// MaxClassBalance is the largest TrainConfig.SemsegClassBalance power.
const MaxClassBalance = 2

// ClassBalanceWeights returns semseg class weights from per-class pixel
// counts ([ours]): w_c = (median / n_c)^power, the median taken over the
// classes present (n_c > 0). Power 1 is median-frequency balancing (SegNet),
// 0.5 its square root, 0 no balancing. Absent classes get weight 1 (they
// meet no training pixel). With no class present every weight is 1.
func ClassBalanceWeights(counts []int64, power float64) []float64 {
	var present []float64
	for _, n := range counts {
		if n > 0 {
			present = append(present, float64(n))
		}
	}
	w := make([]float64, len(counts))
	for i := range w {
		w[i] = 1
	}
	if len(present) == 0 {
		return w
	}
	slices.Sort(present)
	median := present[len(present)/2]
	if len(present)%2 == 0 {
		median = (present[len(present)/2-1] + median) / 2
	}
	for i, n := range counts {
		if n > 0 {
			w[i] = math.Pow(median/float64(n), power)
		}
	}
	return w
}

// SemsegClassCounts counts the semseg ground-truth pixels of each class in
// ds (the ignore label and labels outside [0, classes) are left out), at
// the resolution the evaluation loader gives.
func SemsegClassCounts(ds data.Dataset, workers int) ([]int64, error) {
	hist := make([]int64, max(ds.Info().Classes, 1))
	err := scanGroundTruth(ds, workers, func(b *loader.Batch) {
		for _, l := range b.Semseg {
			if l >= 0 && int(l) < len(hist) {
				hist[l]++
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("allnet: semseg class counts: %w", err)
	}
	return hist, nil
}

// scanGroundTruth passes every clean batch of ds, in order, to fn.
func scanGroundTruth(ds data.Dataset, workers int, fn func(*loader.Batch)) error {
	ld, err := loader.New(ds, loader.Options{Batch: evalBatchOf(ds.Info()), Workers: workers, Clean: true})
	if err != nil {
		return err
	}
	defer ld.Close()
	for {
		b, err := ld.Next()
		if errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		fn(b)
	}
}
