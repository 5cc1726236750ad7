package cli

// `allnet-cli bench`: microbenchmarks of the engine's primitives and of the
// whole InternImage-S backbone on the --device backend, and the side-by-side
// table against the peer results of bench/peer (PyTorch, OpenBLAS).

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"allnet/data/format"
)

func init() { addCommand(benchCommand) }

func benchCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "bench",
		Usage:     "time the engine's kernels and InternImage-S on a device, and compare with PyTorch and OpenBLAS",
		UsageText: programName + " bench [--device cpu|cuda[:N]] [--ops REGEX] [--threads N] [--repeat N] [--out FILE] [--json] [--compare PEER.json ... | --list]",
		Description: "Runs each row (an operation on fixed shapes) through the engine on --device: GEMM 1024^3 and " +
			"InternImage-S's linear layers, dense and depthwise 3x3 convolutions at 1/4 scale, the DCNv3 core at " +
			"stages 1 and 3, MaE window attention at windows 4/8/16/32, PSF blur, layer norm, softmax and the whole " +
			"InternImage-S backbone forward and forward+backward (random weights). Shapes derive from --size (the " +
			"model input, default 288x384). Each row is called once or twice to warm up, then --repeat times " +
			"(default: as many as fit in --budget, 3 to 50), each call ended by the device's Synchronize; the table " +
			"shows the median time per call and GFLOP/s (or GB/s for the memory-bound rows).\n\n" +
			"--compare PEER.json (repeatable; further files may follow as arguments) reads results written by the " +
			"peer scripts of bench/peer (bench/peer/run.sh runs them all) and prints one table: our time, each " +
			"peer's time and the ratio ours/peer (below 1: we are faster), with a header of thread counts and the " +
			"OpenBLAS core. --threads sets GOMAXPROCS; in compare mode it defaults to the peers' thread count. " +
			"--list prints the rows without running them (--list --json is the row list the peer scripts read). " +
			"--from FILE reuses results saved with --out instead of running. Progress goes to stderr.",
		Flags: []ucli.Flag{
			DeviceFlag(),
			&ucli.StringFlag{Name: "ops", Usage: "run only rows whose \"OP | SHAPE\" matches `REGEX` (e.g. 'gemm|conv', 'dcnv3', 'fwd\\+bwd')"},
			&ucli.IntFlag{Name: "repeat", Usage: "timed calls `N` per row after warm-up (0: as many as fit in --budget, 3 to 50)"},
			&ucli.DurationFlag{Name: "budget", Value: time.Second, Usage: "time `D` per row when --repeat is 0"},
			&ucli.IntFlag{Name: "threads", Usage: "GOMAXPROCS `N` while timing (default: unchanged, or the peers' thread count with --compare)"},
			&ucli.StringFlag{Name: "stat", Value: "median", Usage: "`STAT` per call the tables and ratios use: median, or min (the fastest call; steadier on a busy machine)"},
			&ucli.StringFlag{Name: "size", Value: "288x384", Usage: "model input `HxW` the rows' shapes derive from"},
			&ucli.StringSliceFlag{Name: "compare", Usage: "peer result `FILE` from bench/peer (repeatable or comma-separated)"},
			&ucli.StringFlag{Name: "out", Usage: "save our results as JSON to `FILE` (the format --from and the peers use)"},
			&ucli.StringFlag{Name: "from", Usage: "read our results from `FILE` (saved with --out) instead of running"},
			&ucli.BoolFlag{Name: "list", Usage: "print the rows (with --json: the row list bench/peer reads) without running them"},
			JSONFlag(),
		},
		Action: runBench,
	}
}

func runBench(c *ucli.Context) error {
	peerFiles := c.StringSlice("compare")
	if c.NArg() > 0 {
		if len(peerFiles) == 0 {
			return UsageErrorf("bench takes no arguments, found %q (peer files go after --compare; see '%s bench --help')", c.Args().Slice(), programName)
		}
		for _, a := range c.Args().Slice() {
			if strings.HasPrefix(a, "-") {
				return UsageErrorf("flag %s after the peer files: flags go before them (or repeat --compare FILE)", a)
			}
		}
		peerFiles = append(peerFiles, c.Args().Slice()...)
	}
	h, w, err := parseBenchSize(c.String("size"))
	if err != nil {
		return err
	}
	var re *regexp.Regexp
	if expr := c.String("ops"); expr != "" {
		if re, err = regexp.Compile(expr); err != nil {
			return UsageErrorf("--ops %q: not a regular expression: %v", expr, err)
		}
	}
	switch {
	case c.Int("repeat") < 0:
		return UsageErrorf("--repeat %d: expected a number >= 0", c.Int("repeat"))
	case c.Int("threads") < 0:
		return UsageErrorf("--threads %d: expected a number >= 1", c.Int("threads"))
	case c.IsSet("threads") && c.Int("threads") == 0:
		return UsageErrorf("--threads 0: expected a number >= 1")
	case c.String("stat") != "median" && c.String("stat") != "min":
		return UsageErrorf("--stat %q: expected median or min", c.String("stat"))
	case c.Bool("list") && (len(peerFiles) > 0 || c.String("from") != "" || c.String("out") != ""):
		return UsageErrorf("--list prints the rows only; it takes no --compare, --from or --out")
	}
	specs := filterBenchSpecs(benchSpecs(h, w), re)
	if len(specs) == 0 {
		return UsageErrorf("--ops %q matches no row (see '%s bench --list')", c.String("ops"), programName)
	}
	if c.Bool("list") {
		return writeBenchList(c, specs, h, w)
	}

	peers := make([]*benchDoc, 0, len(peerFiles))
	for _, f := range peerFiles {
		d, err := readBenchDoc(f)
		if err != nil {
			return Errorf("--compare %v", err)
		}
		peers = append(peers, d)
	}

	var ours *benchDoc
	if from := c.String("from"); from != "" {
		if ours, err = readBenchDoc(from); err != nil {
			return Errorf("--from %v", err)
		}
		ours.Rows = filterBenchResults(ours.Rows, re)
	} else {
		if ours, err = runBenchDoc(c, specs, peers); err != nil {
			return err
		}
	}
	if out := c.String("out"); out != "" {
		b, err := json.MarshalIndent(ours, "", "  ")
		if err != nil {
			return Errorf("--out %s: %v", out, err)
		}
		if err := format.WriteFileAtomic(out, append(b, '\n')); err != nil {
			return Errorf("--out %s: %v", out, err)
		}
		Logf(c, "bench: results saved to %s", out)
	}
	if c.String("stat") == "min" {
		ours = fastestCalls(ours)
		for i, p := range peers {
			peers[i] = fastestCalls(p)
		}
	}
	if len(peers) > 0 {
		cmp := compareBench(ours, peers)
		cmp.Stat = c.String("stat")
		if c.Bool("json") {
			return WriteJSON(Stdout(c), cmp)
		}
		return writeBenchCompare(Stdout(c), cmp)
	}
	if c.Bool("json") {
		return WriteJSON(Stdout(c), ours)
	}
	return writeBenchTable(Stdout(c), ours, c.String("stat"))
}

// runBenchDoc opens the device and times specs on it with the thread count
// of --threads (or the peers').
func runBenchDoc(c *ucli.Context, specs []benchSpec, peers []*benchDoc) (*benchDoc, error) {
	threads := c.Int("threads")
	if !c.IsSet("threads") && len(peers) > 0 {
		for _, p := range peers {
			if p.Threads > 0 && threads == 0 {
				threads = p.Threads
			} else if p.Threads > 0 && p.Threads != threads {
				Logf(c, "bench: warning: the peer files ran with different thread counts (%d and %d); using %d", threads, p.Threads, threads)
			}
		}
	}
	if threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
	}
	dev, err := OpenDevice(c)
	if err != nil {
		return nil, err
	}
	for i, s := range specs {
		if s.Kind == "internimage" {
			fl, err := benchModelFLOPs(s.Params)
			if err != nil {
				return nil, Errorf("bench: %s: %v", s.Key(), err)
			}
			if s.Pass == "fwd+bwd" {
				fl *= 3
			}
			specs[i].FLOPs = fl
		}
	}
	doc := &benchDoc{Tool: "allnet", Version: version(), Device: dev.Device(), Threads: runtime.GOMAXPROCS(0),
		CPU: cpuModel(), Build: benchBuild()}
	Logf(c, "bench: %d rows on %s", len(specs), doc.Device)
	timing := benchTiming{Repeat: c.Int("repeat"), Budget: c.Duration("budget")}
	doc.Rows = runBenchRows(dev, specs, timing, func(f string, a ...any) { Logf(c, f, a...) })
	return doc, nil
}

// benchBuild reports the build settings that change the kernels in use.
func benchBuild() map[string]string {
	b := buildSettings()
	b["GOARCH"] = runtime.GOARCH
	b["cpu_features"] = strings.Join(cpuFeatures(), " ")
	if tags := buildTags(); len(tags) > 0 {
		b["tags"] = strings.Join(tags, ",")
	}
	return b
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

// parseBenchSize reads --size HxW.
func parseBenchSize(s string) (h, w int, err error) {
	if _, err := fmt.Sscanf(s, "%dx%d", &h, &w); err != nil || h < 32 || w < 32 || fmt.Sprintf("%dx%d", h, w) != s {
		return 0, 0, UsageErrorf("--size %q: expected HxW with H, W >= 32, such as 288x384", s)
	}
	return h, w, nil
}

// filterBenchSpecs keeps the specs whose key matches re (all when nil).
func filterBenchSpecs(specs []benchSpec, re *regexp.Regexp) []benchSpec {
	if re == nil {
		return specs
	}
	var out []benchSpec
	for _, s := range specs {
		if re.MatchString(s.Key()) {
			out = append(out, s)
		}
	}
	return out
}

// filterBenchResults keeps the results whose key matches re (all when nil).
func filterBenchResults(rows []benchResult, re *regexp.Regexp) []benchResult {
	if re == nil {
		return rows
	}
	var out []benchResult
	for _, r := range rows {
		if re.MatchString(r.Key()) {
			out = append(out, r)
		}
	}
	return out
}

// fastestCalls returns a copy of d whose rows report their fastest call
// as Seconds (rows without one keep the median).
func fastestCalls(d *benchDoc) *benchDoc {
	cp := *d
	cp.Rows = slices.Clone(d.Rows)
	for i, r := range cp.Rows {
		if r.MinSeconds > 0 {
			cp.Rows[i].Seconds = r.MinSeconds
		}
	}
	return &cp
}

// benchList is what `bench --list --json` prints: the rows the peer
// scripts run.
type benchList struct {
	Size [2]int      `json:"size"`
	Rows []benchSpec `json:"rows"`
}

// writeBenchList prints the rows without running them.
func writeBenchList(c *ucli.Context, specs []benchSpec, h, w int) error {
	for i, s := range specs {
		if s.Kind == "internimage" {
			fl, err := benchModelFLOPs(s.Params)
			if err != nil {
				return Errorf("bench: %s: %v", s.Key(), err)
			}
			if s.Pass == "fwd+bwd" {
				fl *= 3
			}
			specs[i].FLOPs = fl
		}
	}
	if c.Bool("json") {
		return WriteJSON(Stdout(c), benchList{Size: [2]int{h, w}, Rows: specs})
	}
	out := Stdout(c)
	fmt.Fprintf(out, "# allnet-cli bench rows (input %dx%d)\n\n| operation | shape | kind | work per call |\n|---|---|---|---|\n", h, w)
	for _, s := range specs {
		work := ""
		switch {
		case s.FLOPs > 0:
			work = fmt.Sprintf("%.4g GFLOP", s.FLOPs/1e9)
		case s.Bytes > 0:
			work = fmt.Sprintf("%.4g MB", s.Bytes/1e6)
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s |\n", mdCell(s.Op), mdCell(s.Shape), s.Kind, work)
	}
	return nil
}

// readBenchDoc reads a result file (ours or a peer's).
func readBenchDoc(path string) (*benchDoc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d benchDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: not a bench result file: %v", path, err)
	}
	if d.Tool == "" || d.Rows == nil {
		return nil, fmt.Errorf("%s: not a bench result file (want {\"tool\", \"threads\", \"rows\": [...]}, found no tool or rows)", path)
	}
	for i, r := range d.Rows {
		if r.Op == "" || r.Shape == "" {
			return nil, fmt.Errorf("%s: row %d has no op or shape", path, i)
		}
	}
	return &d, nil
}

// writeBenchTable prints our results as Markdown.
func writeBenchTable(w io.Writer, d *benchDoc, stat string) error {
	fmt.Fprintf(w, "# allnet-cli bench\n\n%s %s on %s, %d threads", d.Tool, d.Version, d.Device, d.Threads)
	if d.CPU != "" {
		fmt.Fprintf(w, ", %s", d.CPU)
	}
	what := "median time per call"
	if stat == "min" {
		what = "fastest call of each row"
	}
	fmt.Fprintf(w, "; %s.\n\n| operation | shape | time | rate | calls |\n|---|---|---|---|---|\n", what)
	var notes []string
	for _, r := range d.Rows {
		rate, unit := benchRate(r.benchSpec, r.Seconds)
		fmt.Fprintf(w, "| %s | %s | %s | %s | %d |\n", mdCell(r.Op), mdCell(r.Shape), fmtSeconds(r.Seconds), fmtRate(rate, unit), r.Repeats)
		if r.Note != "" {
			notes = append(notes, fmt.Sprintf("- %s %s: %s", r.Op, r.Shape, r.Note))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\nRows that did not run:\n\n%s\n", strings.Join(notes, "\n"))
	}
	return nil
}
