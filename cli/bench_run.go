package cli

// Timing of the bench rows and the result file they make (the same JSON
// shape the peer scripts write).

import (
	"fmt"
	"runtime"
	"slices"
	"time"

	"allnet/engine/backend"
)

// benchDoc is a result file: ours (`bench --out`) or a peer's
// (bench/peer). Rows are matched across files by benchSpec.Key.
type benchDoc struct {
	// Tool is "allnet", "torch" or "openblas"; Version its version.
	Tool    string `json:"tool"`
	Version string `json:"version"`
	// Label names the column in the compare table (default "Tool Version").
	Label string `json:"label,omitempty"`
	// Device describes where the rows ran; Threads the compute threads.
	Device  string `json:"device"`
	Threads int    `json:"threads"`
	// Core is the OpenBLAS kernel in use (openblas_get_corename), when
	// known; CPU the processor model.
	Core string `json:"core,omitempty"`
	CPU  string `json:"cpu,omitempty"`
	// Build lists build settings worth knowing (GOEXPERIMENT, tags, CPU
	// features for ours).
	Build map[string]string `json:"build,omitempty"`
	Rows  []benchResult     `json:"rows"`
}

// label returns the doc's column name.
func (d *benchDoc) label() string {
	if d.Label != "" {
		return d.Label
	}
	if d.Version == "" {
		return d.Tool
	}
	return d.Tool + " " + d.Version
}

// benchResult is one timed row. Seconds is the median time per call over
// Repeats calls after warm-up, MinSeconds the fastest; a row that could not
// run has Seconds 0 and says why in Note.
type benchResult struct {
	benchSpec
	Seconds    float64 `json:"seconds"`
	MinSeconds float64 `json:"min_seconds,omitempty"`
	Repeats    int     `json:"repeats,omitempty"`
	GFLOPS     float64 `json:"gflops,omitempty"`
	GBS        float64 `json:"gbs,omitempty"`
	Note       string  `json:"note,omitempty"`
}

// benchRate returns the row's rate at seconds per call: GFLOP/s for rows
// with FLOPs, else GB/s, and the unit ("" when neither applies).
func benchRate(s benchSpec, seconds float64) (float64, string) {
	switch {
	case seconds <= 0:
		return 0, ""
	case s.FLOPs > 0:
		return s.FLOPs / seconds / 1e9, "GFLOP/s"
	case s.Bytes > 0:
		return s.Bytes / seconds / 1e9, "GB/s"
	}
	return 0, ""
}

// benchTiming says how many calls a row gets.
type benchTiming struct {
	// Repeat is the number of timed calls; 0 chooses it per row: as many
	// as fit in Budget, at least 3 and at most 50.
	Repeat int
	Budget time.Duration
}

// timeRow warms call up (one call, and a second when the first was quick),
// then times Repeat calls, each ended by dev.Synchronize, and returns the
// median and the fastest.
func timeRow(dev backend.Backend, call func(), t benchTiming) (median, fastest time.Duration, n int) {
	once := func() time.Duration {
		start := time.Now()
		call()
		dev.Synchronize()
		return time.Since(start)
	}
	first := once()
	if first < 200*time.Millisecond {
		first = once()
	}
	n = t.Repeat
	if n <= 0 {
		n = int(t.Budget / max(first, time.Microsecond))
		n = min(max(n, 3), 50)
	}
	runtime.GC()
	times := make([]time.Duration, n)
	for i := range times {
		times[i] = once()
	}
	slices.Sort(times)
	if n%2 == 1 {
		median = times[n/2]
	} else {
		median = (times[n/2-1] + times[n/2]) / 2
	}
	return median, times[0], n
}

// runBenchRows times each spec on dev, logging progress through logf, and
// returns the results. A row whose setup or call panics is reported with a
// note instead of stopping the run.
func runBenchRows(dev backend.Backend, specs []benchSpec, t benchTiming, logf func(string, ...any)) []benchResult {
	out := make([]benchResult, 0, len(specs))
	for i, s := range specs {
		r := benchResult{benchSpec: s}
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("%v", p)
				}
			}()
			call, err := benchCall(dev, s)
			if err != nil {
				return err
			}
			med, fast, n := timeRow(dev, call, t)
			r.Seconds, r.MinSeconds, r.Repeats = med.Seconds(), fast.Seconds(), n
			return nil
		}()
		if err != nil {
			r.Note = oneLine(err.Error())
			logf("bench: [%d/%d] %s %s: failed: %s", i+1, len(specs), s.Op, s.Shape, r.Note)
			out = append(out, r)
			continue
		}
		rate, unit := benchRate(s, r.Seconds)
		switch unit {
		case "GFLOP/s":
			r.GFLOPS = rate
		case "GB/s":
			r.GBS = rate
		}
		logf("bench: [%d/%d] %s %s: %s (median of %d, fastest %s) %s", i+1, len(specs), s.Op, s.Shape,
			fmtSeconds(r.Seconds), r.Repeats, fmtSeconds(r.MinSeconds), fmtRate(rate, unit))
		out = append(out, r)
	}
	return out
}

// fmtSeconds prints a time per call with three significant digits.
func fmtSeconds(s float64) string {
	switch {
	case s <= 0:
		return "n/a"
	case s < 1e-3:
		return sig3(s*1e6) + " µs"
	case s < 1:
		return sig3(s*1e3) + " ms"
	}
	return sig3(s) + " s"
}

// sig3 prints v >= 0 with three significant digits and no exponent.
func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// fmtRate prints a rate and its unit, or "" when there is none.
func fmtRate(rate float64, unit string) string {
	if unit == "" || rate <= 0 {
		return ""
	}
	return sig3(rate) + " " + unit
}
