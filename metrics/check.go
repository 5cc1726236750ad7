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
