package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"allnet/allnet"
	"allnet/engine/backend"
)

// Shared flags (CONVENTIONS.md, "Flags shared by all commands"). Each
// function returns a fresh flag, since urfave flags keep per-run state; a
// command lists the ones it takes in its Flags. Do not mark flags Required:
// urfave then prints help on stdout, which breaks --json; check in the action
// and return UsageErrorf instead.

// DeviceFlag is --device cpu|cuda|cuda:N (default cpu). The CPU build hands
// any command run with a cuda device to allnet-cli-cuda (handoff.go) before
// flags are parsed; commands open the device with OpenDevice.
func DeviceFlag() ucli.Flag {
	return &ucli.StringFlag{
		Name:  "device",
		Value: "cpu",
		Usage: "compute `DEVICE`: cpu, cuda or cuda:N (cuda runs the allnet-cli-cuda binary, built by make kernels)",
	}
}

// SeedFlag is --seed N (default 0): the one seed that drives initialisation,
// data order, augmentation and degradations.
func SeedFlag() ucli.Flag {
	return &ucli.Int64Flag{
		Name:  "seed",
		Value: 0,
		Usage: "random seed `N` for initialisation, data order, augmentation and degradations",
	}
}

// JSONFlag is --json: print one JSON document on stdout instead of Markdown
// (logs and progress go to stderr either way).
func JSONFlag() ucli.Flag {
	return &ucli.BoolFlag{
		Name:  "json",
		Usage: "print JSON on stdout instead of Markdown (nothing else goes to stdout)",
	}
}

// OpenDevice opens the backend named by --device, turning a bad value into an
// error that names the flag.
func OpenDevice(c *ucli.Context) (backend.Backend, error) {
	dev := c.String("device")
	b, err := backend.Open(dev)
	if err != nil {
		return nil, Errorf("--device %s: %v", dev, err)
	}
	return b, nil
}

// Stdout is where a command writes its result (Markdown or JSON).
func Stdout(c *ucli.Context) io.Writer { return c.App.Writer }

// Logf writes one line of progress or diagnostics to stderr, never stdout.
func Logf(c *ucli.Context, format string, args ...any) {
	fmt.Fprintf(c.App.ErrWriter, format+"\n", args...)
}

// WriteJSON writes v to w as one indented JSON document followed by a
// newline.
func WriteJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return Errorf("encoding the JSON output: %v", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// NoArgs returns a usage error when the command was given positional
// arguments it does not take.
func NoArgs(c *ucli.Context) error {
	if c.NArg() > 0 {
		return UsageErrorf("%s takes no arguments, found %q (see '%s --help')", c.Command.FullName(), c.Args().Slice(), c.Command.HelpName)
	}
	return nil
}

// degradeScaleOf returns --degrade-scale (demo, eval --checkpoint) and
// whether it was given, refusing a factor outside allnet.ValidDegradeScale's
// (0, 16].
func degradeScaleOf(c *ucli.Context) (f float64, set bool, err error) {
	if !c.IsSet("degrade-scale") {
		return 0, false, nil
	}
	f = c.Float64("degrade-scale")
	if !allnet.ValidDegradeScale(f) {
		return f, true, UsageErrorf("--degrade-scale %g: expected a factor in (0, 16]", f)
	}
	return f, true, nil
}

// degradeWeightsFlag is --degrade-weights (train, demo): the relative
// frequencies of the degradation types in training.
func degradeWeightsFlag(def string) ucli.Flag {
	return &ucli.StringFlag{Name: "degrade-weights", Usage: "draw the training degradations in the proportions " +
		"`TYPE=W,...` (noise, haze, rain, blur; a type not named keeps weight 1, e.g. blur=3 draws blur half the time; " +
		"the degraded val split is unchanged)", DefaultText: def}
}

// degradeWeightsOf returns --degrade-weights' TYPE=W pairs (train, demo)
// and whether it was given. The types and values are checked by
// TrainConfig.Validate.
func degradeWeightsOf(c *ucli.Context) (w map[string]float64, set bool, err error) {
	if !c.IsSet("degrade-weights") {
		return nil, false, nil
	}
	s := c.String("degrade-weights")
	w = map[string]float64{}
	for _, pair := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(pair, "=")
		name = strings.TrimSpace(name)
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if !ok || err != nil || name == "" {
			return nil, true, UsageErrorf("--degrade-weights %q: expected TYPE=W pairs separated by commas (e.g. blur=3), found %q", s, pair)
		}
		w[name] = v
	}
	return w, true, nil
}
