package cli

import (
	"runtime"
	"sync"

	ucli "github.com/urfave/cli/v2"
)

// countOf returns the int flag name, a count whose 0 (the default) means
// zero (words for the error); a negative value is a usage error.
func countOf(c *ucli.Context, name, zero string) (int, error) {
	n := c.Int(name)
	if n < 0 {
		return 0, UsageErrorf("--%s %d: expected a positive number (0 = %s)", name, n, zero)
	}
	return n, nil
}

// workersOf returns --workers: the value given, GOMAXPROCS for 0 (the
// default); a negative value is a usage error.
func workersOf(c *ucli.Context) (int, error) {
	workers, err := countOf(c, "workers", "GOMAXPROCS")
	if workers == 0 && err == nil {
		workers = runtime.GOMAXPROCS(0)
	}
	return workers, err
}

// classesOf returns the --classes value to open dataset name with: the
// flag's value (default 13) for every dataset but pascal, where it counts
// only when given (openDataset then rejects it).
func classesOf(c *ucli.Context, name string) int {
	if c.IsSet("classes") || name != "pascal" {
		return c.Int("classes")
	}
	return 0
}

// forEach calls work(i) for i in [0, n) on up to workers goroutines, handing
// out indices in order. It stops handing them out at the first error or
// when in reports an interruption, waits for the calls under way, and
// returns the first error.
func forEach(n, workers int, in *interruption, work func(i int) error) error {
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan int)
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := work(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop || in.interrupted() {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return firstErr
}
