package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"allnet/data"
	"allnet/data/degrade"
	"allnet/data/format"
)

// `allnet-cli degrade` synthesises the degradations of data/degrade, in two
// modes:
//
//   - one image: --type T --in IMG [--depth D.npy] --out OUT.png: every
//     parameter has a flag; those not given are drawn from the default
//     ranges by a generator seeded with --seed (degrade.NewRNG(seed,
//     ParamStream)), and per-pixel randomness comes from
//     NewRNG(seed, PixelStream), exactly as ApplySpec does with
//     {type, seed, params}; the parameters used are printed.
//   - a split: --dataset D [--root DIR] [--split val] --out DIR writes the
//     seeded degraded split of CONVENTIONS.md (degrade_dataset.go).

func init() { addCommand(degradeCommand) }

// paramFlag is one degradation parameter settable from the command line.
type paramFlag struct {
	name  string       // flag name
	typ   degrade.Type // the degradation it belongs to
	key   string       // its key in the params JSON object
	usage string       // ending in "; default RANGE": the default range it is drawn from
	set   func(p degrade.Params, v float64) degrade.Params
}

var paramFlags = []paramFlag{
	{"sigma", degrade.Noise, "sigma", "noise: standard deviation `S` in intensity units (image in [0, 1]; 25/255 = 0.098); default U(5/255, 50/255)",
		setParam(func(q *degrade.NoiseParams, v float64) { q.Sigma = v })},
	{"beta", degrade.Haze, "beta", "haze: scattering coefficient `B` per metre, transmission exp(-B*depth); default U(0.1, 0.6)",
		setParam(func(q *degrade.HazeParams, v float64) { q.Beta = v })},
	{"density", degrade.Rain, "density", "rain: streak seeds per pixel `D` (0..0.1); default U(0.0005, 0.004)",
		setParam(func(q *degrade.RainParams, v float64) { q.Density = v })},
	{"length", degrade.Rain, "length", "rain: mean streak length `L` in pixels (1..200); default U(10, 40)",
		setParam(func(q *degrade.RainParams, v float64) { q.Length = v })},
	{"width", degrade.Rain, "width", "rain: mean streak width `W` in pixels (0.25..10); default U(1, 2)",
		setParam(func(q *degrade.RainParams, v float64) { q.Width = v })},
	{"angle", degrade.Rain, "angle", "rain: streak angle `A` in degrees from vertical, positive leans right (-90..90); default U(-30, 30)",
		setParam(func(q *degrade.RainParams, v float64) { q.Angle = v })},
	{"jitter", degrade.Rain, "jitter", "rain: per-streak angle jitter `J` in degrees (0..45); default U(2, 6)",
		setParam(func(q *degrade.RainParams, v float64) { q.Jitter = v })},
	{"intensity", degrade.Rain, "intensity", "rain: streak brightness `I` (0..1); default U(0.4, 0.9)",
		setParam(func(q *degrade.RainParams, v float64) { q.Intensity = v })},
	{"veil", degrade.Rain, "haze", "rain: strength `V` of a uniform haze veil, 1 - transmission (0..1); default none, or U(0.05, 0.25) when --veil-light is given",
		setParam(func(q *degrade.RainParams, v float64) { q.Haze = v })},
	{"veil-light", degrade.Rain, "haze_A", "rain: grey level `L` of the veil's light (0..1); default none, or U(0.8, 1) when --veil is given",
		setParam(func(q *degrade.RainParams, v float64) { q.HazeA = v })},
	{"blur-length", degrade.Blur, "length", "blur: camera path length `L` in pixels (0..60); default U(5, 25)",
		setParam(func(q *degrade.BlurParams, v float64) { q.Length = v })},
	{"blur-angle", degrade.Blur, "angle", "blur: path direction `A` in degrees counter-clockwise from +x (-360..360); default U(0, 180)",
		setParam(func(q *degrade.BlurParams, v float64) { q.Angle = v })},
	{"curvature", degrade.Blur, "curvature", "blur: path bow `C`, sagitta over chord (-0.5..0.5); default U(-0.15, 0.15)",
		setParam(func(q *degrade.BlurParams, v float64) { q.Curvature = v })},
	{"shot", degrade.Blur, "shot", "blur: Poisson noise gain `G` in linear units per photon (0..0.1); default U(0.0002, 0.002) for half the seeds, none for the others",
		setParam(func(q *degrade.BlurParams, v float64) { q.Shot = v })},
	{"read", degrade.Blur, "read", "blur: Gaussian read noise `R` in linear units (0..0.1); default U(0.0005, 0.003) when there is shot noise (or --shot is given), else none",
		setParam(func(q *degrade.BlurParams, v float64) { q.Read = v })},
}

// setParam returns a paramFlag setter that stores v in one field of the
// parameters of type P.
func setParam[P degrade.Params](field func(q *P, v float64)) func(degrade.Params, float64) degrade.Params {
	return func(p degrade.Params, v float64) degrade.Params {
		q := p.(P)
		field(&q, v)
		return q
	}
}

func degradeCommand() *ucli.Command {
	flags := []ucli.Flag{
		&ucli.StringFlag{Name: "type", Usage: "one image: degradation `T`: noise, haze, rain or blur"},
		&ucli.StringFlag{Name: "in", Usage: "one image: input `IMG` (PNG or JPEG)"},
		&ucli.StringFlag{Name: "depth", Usage: "one image, haze: depth map `D.npy` in metres (H x W float, 0 = invalid; default: a depth proxy growing with image height)"},
		&ucli.StringFlag{Name: "out", Usage: "one image: the `OUT`.png file to write; a split: the folder to write (new or empty, unless --force)"},
		&ucli.Int64Flag{Name: "seed", Usage: "seed `S`: one image, of the parameters not given and of the per-pixel randomness; a split, of every image's type and parameters (with its name)"},
		&ucli.StringFlag{Name: "airlight", Usage: "haze: atmospheric light `R,G,B` (or one grey value) in 0..1", DefaultText: "drawn with --seed: each channel U(0.7, 1)"},
	}
	for _, f := range paramFlags {
		usage, def, _ := strings.Cut(f.usage, "; default ")
		flags = append(flags, &ucli.Float64Flag{Name: f.name, Usage: usage, DefaultText: "drawn with --seed: " + def})
	}
	flags = append(flags,
		&ucli.StringFlag{Name: "dataset", Usage: "a split: dataset `NAME`: nyud, pascal or synthetic"},
		&ucli.StringFlag{Name: "root", Usage: "a split: dataset folder `DIR`"},
		&ucli.StringFlag{Name: "split", Value: "val", Usage: "a split: `SPLIT` to degrade, train or val"},
		&ucli.IntFlag{Name: "workers", Usage: "a split: images degraded in parallel `N` (the files do not depend on it)", DefaultText: "GOMAXPROCS"},
		&ucli.BoolFlag{Name: "force", Usage: "a split: write into an --out folder that is not empty"},
		JSONFlag(),
	)
	flags = append(flags, syntheticFlags()...)
	return &ucli.Command{
		Name:  "degrade",
		Usage: "degrade an image (noise, haze, rain, blur) with chosen or seeded parameters, or write a dataset's seeded degraded split",
		UsageText: programName + " degrade --type noise|haze|rain|blur --in IMG [--depth D.npy] --out OUT.png [--seed S] [parameter flags] [--json]\n" +
			programName + " degrade --dataset nyud|pascal|synthetic [--root DIR] [--split val] --out DIR [--seed S] [--json]",
		Description: "One image: applies one degradation to IMG and writes OUT.png (8-bit RGB). Each parameter has a flag " +
			"(--sigma for noise; --beta and --airlight for haze; --density, --length, --width, --angle, --jitter, " +
			"--intensity, --veil, --veil-light for rain; --blur-length, --blur-angle, --curvature, --shot, --read for " +
			"blur); a parameter whose flag is not given is drawn from its default range by a generator seeded with " +
			"--seed, and the per-pixel randomness (noise, rain drops) is seeded by --seed too, so the same command " +
			"gives the same image. Haze uses --depth when given (it must have the image's size), otherwise a depth " +
			"proxy that grows from the bottom of the image to the top. The parameters used are printed in the " +
			"degradations.json form, {\"type\", \"seed\", \"params\"}: degrade.ApplySpec with them reproduces OUT.png.\n\n" +
			"A split: degrades every image of the split as the seeded degraded validation split does " +
			"(CONVENTIONS.md): image NAME gets type types[hash(seed, NAME) % 4] of noise, haze, rain, blur and " +
			"parameters drawn from the default ranges with that hash; haze uses the ground-truth depth (NYUD, " +
			"nyud-like synthetic scenes) or the depth proxy (PASCAL). Images are degraded at the loader's working " +
			"resolution (NYUD 288x384) and written to DIR/images/NAME.png, their specs to DIR/degradations.json " +
			"(which eval reads). Progress on stderr; a summary on stdout (Markdown, or JSON with --json).",
		Flags:        flags,
		OnUsageError: usageError,
		Action:       runDegrade,
	}
}

// degradeResult is the JSON shape of `degrade --in ... --json`: the
// degradations.json entry plus the files and which parameters were given.
type degradeResult struct {
	Type   degrade.Type    `json:"type"`
	Seed   uint64          `json:"seed"`
	Params json.RawMessage `json:"params"`
	In     string          `json:"in"`
	Out    string          `json:"out"`
	Depth  string          `json:"depth,omitempty"` // the --depth file, "proxy" for haze without one
	Given  []string        `json:"given"`           // params keys set by flags; the others were drawn
}

func runDegrade(c *ucli.Context) error {
	if err := NoArgs(c); err != nil {
		return err
	}
	if c.IsSet("dataset") || c.IsSet("root") {
		for _, f := range append([]string{"type", "in", "depth", "airlight"}, paramFlagNames()...) {
			if c.IsSet(f) {
				return UsageErrorf("--%s applies to one image (--in), not to a dataset split (--dataset)", f)
			}
		}
		return runDegradeDataset(c)
	}
	for _, f := range []string{"split", "workers", "force", "like", "synth-seed", "synth-count", "synth-size"} {
		if c.IsSet(f) {
			return UsageErrorf("--%s applies to a dataset split (--dataset), not to one image (--in)", f)
		}
	}
	return runDegradeImage(c)
}

func paramFlagNames() []string {
	var n []string
	for _, f := range paramFlags {
		n = append(n, f.name)
	}
	return n
}

func runDegradeImage(c *ucli.Context) error {
	typeName, in, out := c.String("type"), c.String("in"), c.String("out")
	switch {
	case typeName == "":
		return UsageErrorf("--type is required: noise, haze, rain or blur (or --dataset to degrade a split; see '%s degrade --help')", programName)
	case in == "":
		return UsageErrorf("--in is required: the image to degrade")
	case out == "":
		return UsageErrorf("--out is required: the PNG file to write")
	}
	t, err := degrade.ParseType(typeName)
	if err != nil || t == degrade.Clean {
		return UsageErrorf("--type %q: expected noise, haze, rain or blur", typeName)
	}
	if !strings.EqualFold(filepath.Ext(out), ".png") {
		return UsageErrorf("--out %s: expected a file name ending in .png", out)
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return Errorf("--out %s: is a folder: expected a .png file name", out)
	}
	seed, err := seedOf(c)
	if err != nil {
		return err
	}
	for _, f := range paramFlags {
		if c.IsSet(f.name) && f.typ != t {
			return UsageErrorf("--%s applies to --type %s, not --type %s", f.name, f.typ, t)
		}
	}
	if c.IsSet("airlight") && t != degrade.Haze {
		return UsageErrorf("--airlight applies to --type haze, not --type %s", t)
	}
	if c.IsSet("depth") && t != degrade.Haze {
		return UsageErrorf("--depth applies to --type haze, not --type %s", t)
	}

	// Draw every parameter, then replace the given ones: the drawn values do
	// not depend on which flags are given. A veil or sensor-noise flag turns
	// that optional part on, so its partner is drawn rather than left at 0.
	opts := degrade.DefaultOptions()
	if c.IsSet("veil") || c.IsSet("veil-light") {
		opts.Rain.HazeProb = 1
	}
	if c.IsSet("shot") || c.IsSet("read") {
		opts.Blur.NoiseProb = 1
	}
	p, err := opts.Sample(t, degrade.NewRNG(seed, degrade.ParamStream))
	if err != nil {
		return Errorf("degrade: %v", err)
	}
	var given []string
	for _, f := range paramFlags {
		if !c.IsSet(f.name) {
			continue
		}
		v := c.Float64(f.name)
		p = f.set(p, v)
		if err := p.Validate(); err != nil {
			return UsageErrorf("--%s %g: %v", f.name, v, err)
		}
		given = append(given, f.key)
	}
	if c.IsSet("airlight") {
		a, err := parseAirlight(c.String("airlight"))
		if err != nil {
			return err
		}
		q := p.(degrade.HazeParams)
		q.A = a
		p = q
		given = append(given, "A")
	}

	img, err := format.ReadImage(in)
	if err != nil {
		return fileError("--in", in, err)
	}
	var depth []float32
	depthName := ""
	if t == degrade.Haze {
		depthName = "proxy"
		if path := c.String("depth"); path != "" {
			if depth, err = readDepthFile(path, img.H, img.W); err != nil {
				return err
			}
			depthName = path
		}
	}
	spec := degrade.Spec{Type: t, Seed: seed, Params: p}
	res, err := degrade.ApplySpec(img, depth, spec)
	if err != nil {
		return Errorf("degrade %s: %v", t, err)
	}
	if err := format.WriteImagePNG(out, res); err != nil {
		return fileError("--out", out, err)
	}
	params, err := json.Marshal(p)
	if err != nil {
		return Errorf("degrade: %v", err)
	}
	r := degradeResult{Type: t, Seed: seed, Params: params, In: in, Out: out, Depth: depthName, Given: given}
	if r.Given == nil {
		r.Given = []string{}
	}
	if c.Bool("json") {
		return WriteJSON(Stdout(c), r)
	}
	return writeDegradeMarkdown(Stdout(c), r, img)
}

// parseAirlight reads --airlight: "r,g,b" or one grey value, each in [0, 1].
func parseAirlight(s string) ([3]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) == 1 {
		parts = []string{parts[0], parts[0], parts[0]}
	}
	var a [3]float64
	if len(parts) != 3 {
		return a, UsageErrorf("--airlight %q: expected R,G,B or one grey value, each in 0..1", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(v >= 0 && v <= 1) {
			return a, UsageErrorf("--airlight %q: expected R,G,B or one grey value, each in 0..1; found %q", s, p)
		}
		a[i] = v
	}
	return a, nil
}

// readDepthFile reads a depth map .npy of shape (h, w) or (h, w, 1).
func readDepthFile(path string, h, w int) ([]float32, error) {
	n, err := format.ReadNpy(path)
	if err != nil {
		return nil, fileError("--depth", path, err)
	}
	shape := n.Shape
	if len(shape) == 3 && shape[2] == 1 {
		shape = shape[:2]
	}
	if len(shape) != 2 || shape[0] != h || shape[1] != w {
		return nil, Errorf("--depth %s: expected a %dx%d array (the image's size), found shape %v", path, h, w, n.Shape)
	}
	d, err := n.Float32s()
	if err != nil {
		return nil, fileError("--depth", path, err)
	}
	return d, nil
}

// fileError names the flag and, unless the error already does, the file.
func fileError(flag, path string, err error) error {
	if strings.Contains(err.Error(), path) {
		return Errorf("%s: %v", flag, err)
	}
	return Errorf("%s %s: %v", flag, path, err)
}

func writeDegradeMarkdown(w io.Writer, r degradeResult, img data.Image) error {
	var params map[string]any
	if err := json.Unmarshal(r.Params, &params); err != nil {
		return Errorf("degrade: %v", err)
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "# degrade: %s\n\n%s (%dx%d) -> %s, seed %d", r.Type, r.In, img.H, img.W, r.Out, r.Seed)
	switch r.Depth {
	case "":
	case "proxy":
		fmt.Fprintf(w, ", depth proxy (no --depth)")
	default:
		fmt.Fprintf(w, ", depth %s", r.Depth)
	}
	fmt.Fprintf(w, "\n\n| parameter | value | source |\n|---|---|---|\n")
	for _, k := range keys {
		src := "drawn (--seed)"
		for _, g := range r.Given {
			if g == k {
				src = "given"
			}
		}
		v, _ := json.Marshal(params[k])
		fmt.Fprintf(w, "| %s | %s | %s |\n", k, v, src)
	}
	fmt.Fprintf(w, "\nAs a degradations.json entry: `{\"type\": %q, \"seed\": %d, \"params\": %s}`\n", r.Type, r.Seed, r.Params)
	return nil
}
