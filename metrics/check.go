package metrics

import "fmt"

// checkLen returns an error unless the named slice holds want values.
func checkLen(metric, name string, got, want int) error {
	if got != want {
		return fmt.Errorf("metrics: %s: %s has %d values, want %d", metric, name, got, want)
	}
	return nil
}

// checkHW returns an error unless h and w are positive.
func checkHW(metric string, h, w int) error {
	if h <= 0 || w <= 0 {
		return fmt.Errorf("metrics: %s: image size %dx%d", metric, h, w)
	}
	return nil
}

// checkImage returns an error unless h and w are positive and the
// prediction and the ground truth each hold c*h*w values.
func checkImage(metric string, c, h, w, pred, gt int) error {
	if err := checkHW(metric, h, w); err != nil {
		return err
	}
	if err := checkLen(metric, "prediction", pred, c*h*w); err != nil {
		return err
	}
	return checkLen(metric, "ground truth", gt, c*h*w)
}
