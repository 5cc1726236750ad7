//go:build peer

// Command openblas is the OpenBLAS peer of `allnet-cli bench`: it times
// cblas_sgemm on the gemm and linear rows of the row list that
// `allnet-cli bench --list --json` prints, with the same warm-up and repeat
// rules, and writes a result file for `allnet-cli bench --compare`.
//
//	go run -tags peer ./bench/peer/openblas --spec rows.json --out openblas.json --threads 2
//
// It links Debian's libopenblas through cgo (apt-get install libopenblas-dev)
// and reports openblas_get_corename(), the kernel OpenBLAS picked for this
// CPU (leave OPENBLAS_CORETYPE unset to get its best one). gemm rows are
// C = A B with A (M, K) and B (K, N); linear rows are y = x w^T with x (M, K)
// and w (N, K), as torch's F.linear, all row-major float32 with beta 0.
// Other kinds are not written (OpenBLAS has no such operation).
package main

/*
#cgo LDFLAGS: -lopenblas
#include <stdlib.h>
#include <cblas.h>
*/
import "C"

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
	"unsafe"
)

// row is a row of the list and of the result file (the fields of
// allnet-cli's benchSpec and benchResult that this peer uses or fills).
type row struct {
	Op         string         `json:"op"`
	Shape      string         `json:"shape"`
	Kind       string         `json:"kind"`
	Pass       string         `json:"pass"`
	Params     map[string]any `json:"params"`
	FLOPs      float64        `json:"flops,omitempty"`
	Bytes      float64        `json:"bytes,omitempty"`
	Seconds    float64        `json:"seconds"`
	MinSeconds float64        `json:"min_seconds,omitempty"`
	Repeats    int            `json:"repeats,omitempty"`
	GFLOPS     float64        `json:"gflops,omitempty"`
}

// doc is the result file.
type doc struct {
	Tool    string            `json:"tool"`
	Version string            `json:"version"`
	Label   string            `json:"label"`
	Device  string            `json:"device"`
	Threads int               `json:"threads"`
	Core    string            `json:"core"`
	CPU     string            `json:"cpu,omitempty"`
	Build   map[string]string `json:"build"`
	Rows    []row             `json:"rows"`
}

func main() {
	spec := flag.String("spec", "", "row list from `allnet-cli bench --list --json`")
	out := flag.String("out", "", "result file to write (JSON)")
	threads := flag.Int("threads", 2, "openblas_set_num_threads")
	repeat := flag.Int("repeat", 0, "timed calls per row (0: fit --budget, 3 to 50)")
	budget := flag.Duration("budget", time.Second, "time per row when --repeat is 0")
	ops := flag.String("ops", "", "run only rows whose 'OP | SHAPE' matches this regex")
	flag.Parse()
	if *spec == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "openblas: --spec and --out are required")
		os.Exit(2)
	}
	if err := run(*spec, *out, *threads, *repeat, *budget, *ops); err != nil {
		fmt.Fprintln(os.Stderr, "openblas:", err)
		os.Exit(1)
	}
}

func run(specPath, outPath string, threads, repeat int, budget time.Duration, ops string) error {
	var list struct {
		Rows []row `json:"rows"`
	}
	b, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("%s: %v", specPath, err)
	}
	var re *regexp.Regexp
	if ops != "" {
		if re, err = regexp.Compile(ops); err != nil {
			return fmt.Errorf("--ops: %v", err)
		}
	}
	C.openblas_set_num_threads(C.int(threads))
	config := C.GoString(C.openblas_get_config())
	d := doc{Tool: "openblas", Version: openblasVersion(config), Device: "cpu",
		Threads: int(C.openblas_get_num_threads()), Core: C.GoString(C.openblas_get_corename()),
		CPU: cpuModel(), Build: map[string]string{"config": config, "OPENBLAS_CORETYPE": os.Getenv("OPENBLAS_CORETYPE")}}
	d.Label = "openblas " + d.Version
	var rows []row
	for _, r := range list.Rows {
		if (r.Kind == "gemm" || r.Kind == "linear") && (re == nil || re.MatchString(r.Op+" | "+r.Shape)) {
			rows = append(rows, r)
		}
	}
	for i, r := range rows {
		m, n, k := param(r, "m"), param(r, "n"), param(r, "k")
		call := sgemm(m, n, k, r.Kind == "linear")
		med, fast, cnt := timeRow(call, repeat, budget)
		r.Seconds, r.MinSeconds, r.Repeats = med.Seconds(), fast.Seconds(), cnt
		if r.FLOPs > 0 {
			r.GFLOPS = r.FLOPs / r.Seconds / 1e9
		}
		fmt.Fprintf(os.Stderr, "%s: [%d/%d] %s %s: %.3f ms (median of %d) %.1f GFLOP/s\n",
			d.Label, i+1, len(rows), r.Op, r.Shape, r.Seconds*1e3, cnt, r.GFLOPS)
		d.Rows = append(d.Rows, r)
	}
	if d.Rows == nil {
		d.Rows = []row{}
	}
	enc, err := json.MarshalIndent(d, "", " ")
	if err != nil {
		return err
	}
	tmp := outPath + ".tmp"
	if err := os.WriteFile(tmp, append(enc, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, outPath)
}

// param reads an integer parameter of a row (JSON numbers decode as float64).
func param(r row, name string) int {
	v, _ := r.Params[name].(float64)
	return int(v)
}

// sgemm returns a call of C (m, n) = A (m, k) @ op(B) on random operands,
// op(B) = B (k, n), or w^T for w (n, k) when transB.
func sgemm(m, n, k int, transB bool) func() {
	rng := rand.New(rand.NewPCG(1, 2))
	alloc := func(count int) *C.float {
		p := (*C.float)(C.malloc(C.size_t(count * 4)))
		s := unsafe.Slice((*float32)(unsafe.Pointer(p)), count)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return p
	}
	a, bm, c := alloc(m*k), alloc(k*n), alloc(m*n)
	tb, ldb := uint32(C.CblasNoTrans), n
	if transB {
		tb, ldb = uint32(C.CblasTrans), k
	}
	return func() {
		C.cblas_sgemm(C.CblasRowMajor, C.CblasNoTrans, tb, C.blasint(m), C.blasint(n), C.blasint(k),
			1, a, C.blasint(k), bm, C.blasint(ldb), 0, c, C.blasint(n))
	}
}

// timeRow warms call up (twice when the first call took under 0.2 s), then
// times repeat calls (0: as many as fit in budget, 3 to 50) and returns the
// median and the fastest.
func timeRow(call func(), repeat int, budget time.Duration) (median, fastest time.Duration, n int) {
	once := func() time.Duration {
		start := time.Now()
		call()
		return time.Since(start)
	}
	first := once()
	if first < 200*time.Millisecond {
		first = once()
	}
	n = repeat
	if n <= 0 {
		n = min(max(int(budget/max(first, time.Microsecond)), 3), 50)
	}
	times := make([]time.Duration, n)
	for i := range times {
		times[i] = once()
	}
	slices.Sort(times)
	median = times[n/2]
	if n%2 == 0 {
		median = (times[n/2-1] + times[n/2]) / 2
	}
	return median, times[0], n
}

// openblasVersion picks the version out of openblas_get_config(), e.g.
// "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
func openblasVersion(config string) string {
	f := strings.Fields(config)
	if len(f) > 1 && f[0] == "OpenBLAS" {
		return f[1]
	}
	return "?"
}

// cpuModel returns the processor's model name from /proc/cpuinfo, or "".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
