package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	pprof "github.com/google/pprof/profile"
	"github.com/pkg/profile"
	ucli "github.com/urfave/cli/v2"

	"allnet/allnet"
	"allnet/engine/backend"
)

// `allnet-cli profile` profiles N training steps with pkg/profile.

func init() { addCommand(profileCommand) }

// profileFiles are the files pkg/profile writes per --kind.
var profileFiles = map[string]string{"cpu": "cpu.pprof", "mem": "mem.pprof", "trace": "trace.out"}

// profileSkipFlags are train's flags profile does not take (it sets the
// schedule and the run folder itself).
var profileSkipFlags = []string{"out", "resume", "iters", "stop-at", "json"}

func profileCommand() *ucli.Command {
	flags := []ucli.Flag{
		&ucli.IntFlag{Name: "steps", Value: 10, Usage: "training steps `N` to profile"},
		&ucli.StringFlag{Name: "kind", Value: "cpu", Usage: "profile `KIND`: cpu, mem or trace"},
		&ucli.StringFlag{Name: "out", Usage: "folder `DIR` for the profile (cpu.pprof, mem.pprof or trace.out) and the run folder DIR/run"},
	}
	for _, f := range trainCommand().Flags {
		if !slices.Contains(profileSkipFlags, f.Names()[0]) {
			flags = append(flags, f)
		}
	}
	return &ucli.Command{
		Name:  "profile",
		Usage: "profile N training steps (CPU, memory or execution trace)",
		Description: "Trains for --steps steps (no evaluation unless --eval-every is given) into DIR/run under " +
			"github.com/pkg/profile and writes DIR/cpu.pprof, DIR/mem.pprof or DIR/trace.out. Prints where the " +
			"profile is and how to read it; for cpu profiles also the 10 functions with the most flat time. " +
			"Takes train's flags (--model, --dataset, --batch, --device, ...).",
		Flags:  flags,
		Action: runProfile,
	}
}

func runProfile(c *ucli.Context) error {
	if err := NoArgs(c); err != nil {
		return err
	}
	kind, steps, out := c.String("kind"), c.Int("steps"), c.String("out")
	file, ok := profileFiles[kind]
	switch {
	case !ok:
		return UsageErrorf("--kind %q: expected cpu, mem or trace", kind)
	case steps < 1:
		return UsageErrorf("--steps %d: expected a number >= 1", steps)
	case out == "":
		return UsageErrorf("--out is required: the folder to write the profile to")
	case !c.IsSet("dataset"):
		return UsageErrorf("--dataset is required: nyud, pascal or synthetic")
	}
	cfg := allnet.DefaultTrainConfig()
	if f := c.String("config"); f != "" {
		var err error
		if cfg, err = allnet.ReadTrainConfig(f, cfg); err != nil {
			return Errorf("--config %v", err)
		}
	}
	cfg.EvalEvery = 0
	if err := applyTrainFlags(c, &cfg); err != nil {
		return err
	}
	cfg.Iters, cfg.StopAt, cfg.Out = steps, steps, filepath.Join(out, "run")
	if cfg.Warmup >= steps {
		cfg.Warmup = -1
	}
	if err := resolveTrain(c, cfg); err != nil {
		return err
	}
	if _, err := os.Stat(cfg.Out); err == nil {
		return Errorf("--out %s already holds a run folder (%s): choose another --out", out, cfg.Out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return Errorf("--out %s: %v", out, err)
	}
	trainDS, valDS, err := openTrainSplits(cfg)
	if err != nil {
		return err
	}
	mode := map[string]func(*profile.Profile){"cpu": profile.CPUProfile, "mem": profile.MemProfile, "trace": profile.TraceProfile}[kind]
	Logf(c, "profile: %s profile of %d training steps of %s on %s (%s)", kind, steps, cfg.Model, cfg.Dataset, cfg.Device)
	timer, err := kernelTimer(cfg.Device)
	if err != nil {
		return Errorf("%v", err)
	}
	p := profile.Start(mode, profile.ProfilePath(out), profile.NoShutdownHook, profile.Quiet)
	res, err := allnet.Train(cfg, allnet.TrainHooks{TrainData: trainDS, ValData: valDS})
	p.Stop()
	if err != nil {
		return Errorf("%v", err)
	}
	path := filepath.Join(out, file)
	if _, err := os.Stat(path); err != nil {
		return Errorf("profile: %s was not written: %v", path, err)
	}
	w := Stdout(c)
	fmt.Fprintf(w, "%s profile of steps %d-%d (%.1f s, %.2f images/s) written to %s\n", kind, res.FirstStep, res.Step,
		res.Seconds, float64(res.Step*cfg.Batch)/max(res.Seconds, 1e-9), path)
	switch kind {
	case "cpu", "mem":
		fmt.Fprintf(w, "Read it with: go tool pprof -top %s   (or: go tool pprof -http=:8080 %s)\n", path, path)
	case "trace":
		fmt.Fprintf(w, "Read it with: go tool trace %s\n", path)
	}
	if timer != nil {
		writeKernelTimes(w, timer.KernelTimes(), 20)
		timer.EnableKernelTiming(false)
	}
	if kind == "cpu" {
		return writeTopFlat(w, path, 10)
	}
	return nil
}

// kernelTimer opens device and, when its backend times kernel launches (the
// CUDA backend), switches that on; it returns nil for the CPU.
func kernelTimer(device string) (backend.KernelTiming, error) {
	b, err := backend.Open(device)
	if err != nil {
		return nil, err
	}
	kt, ok := b.(backend.KernelTiming)
	if !ok {
		return nil, nil
	}
	kt.EnableKernelTiming(true)
	return kt, nil
}

// writeKernelTimes prints the n kernels with the most device time.
func writeKernelTimes(w io.Writer, times []backend.KernelTime, n int) {
	var total time.Duration
	for _, t := range times {
		total += t.Total
	}
	fmt.Fprintf(w, "\nDevice time per kernel (CUDA events; %d kernels, %.1f ms in all):\n\n| Kernel | Launches | Total | Mean | Share |\n|---|---|---|---|---|\n",
		len(times), total.Seconds()*1e3)
	for i, t := range times {
		if i == n {
			break
		}
		fmt.Fprintf(w, "| %s | %d | %.2f ms | %.1f µs | %.1f %% |\n", t.Kernel, t.Launches, t.Total.Seconds()*1e3,
			t.Total.Seconds()*1e6/float64(max(t.Launches, 1)), 100*t.Total.Seconds()/max(total.Seconds(), 1e-12))
	}
}

// writeTopFlat prints the n functions with the most flat (self) CPU time
// of a CPU profile, as go tool pprof -top does.
func writeTopFlat(w io.Writer, path string, n int) error {
	f, err := os.Open(path)
	if err != nil {
		return Errorf("profile: %v", err)
	}
	defer f.Close()
	prof, err := pprof.Parse(f)
	if err != nil {
		return Errorf("profile: reading %s: %v", path, err)
	}
	vi := len(prof.SampleType) - 1 // cpu nanoseconds after the sample count
	flat := map[string]int64{}
	var total int64
	for _, s := range prof.Sample {
		v := s.Value[vi]
		total += v
		if len(s.Location) == 0 || len(s.Location[0].Line) == 0 {
			flat["(unknown)"] += v
			continue
		}
		flat[s.Location[0].Line[0].Function.Name] += v
	}
	names := make([]string, 0, len(flat))
	for k := range flat {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if flat[names[i]] != flat[names[j]] {
			return flat[names[i]] > flat[names[j]]
		}
		return names[i] < names[j]
	})
	fmt.Fprintf(w, "\nTop %d functions by flat CPU time (total %.2f s sampled):\n\n| Flat | Flat %% | Function |\n|---|---|---|\n",
		min(n, len(names)), float64(total)/1e9)
	for _, k := range names[:min(n, len(names))] {
		fmt.Fprintf(w, "| %.2f s | %.1f %% | %s |\n", float64(flat[k])/1e9, 100*float64(flat[k])/float64(max(total, 1)), mdCell(k))
	}
	return nil
}
