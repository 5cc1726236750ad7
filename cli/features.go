package cli

// features: InternImage level features of an input array
// (CONVENTIONS.md, "Checkpoints and weights").

import (
	"fmt"
	"time"

	ucli "github.com/urfave/cli/v2"

	"allnet/allnet"
	"allnet/data/format"
	"allnet/engine"
)

func init() { addCommand(featuresCommand) }

func featuresCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "features",
		Usage:     "run an InternImage backbone on an (N, 3, H, W) float32 array and write its four level features",
		UsageText: programName + " features --model internimage-s --weights FILE.pth --input X.npy --out OUT.safetensors [--ema] [--json]",
		Description: "Reads X.npy (N, 3, H, W) as given (no normalisation is applied; H, W >= 32), loads an official " +
			"InternImage checkpoint (the dict under 'model', or 'model_ema' with --ema; 'backbone.' and 'module.' " +
			"prefixes stripped, head keys dropped) and writes level0..level3 (NCHW float32, strides 4, 8, 16, 32) " +
			"to OUT.safetensors. Without --weights the backbone keeps its random initialisation from --seed.",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "model", Value: "internimage-s", Usage: "backbone `PRESET`: internimage-t or internimage-s"},
			&ucli.StringFlag{Name: "weights", Usage: "official InternImage checkpoint `FILE`.pth"},
			&ucli.BoolFlag{Name: "ema", Usage: "load the checkpoint's EMA weights (model_ema)"},
			&ucli.StringFlag{Name: "input", Usage: "input array `X`.npy, (N, 3, H, W)"},
			&ucli.StringFlag{Name: "out", Usage: "`OUT`.safetensors file to write"},
			SeedFlag(),
			JSONFlag(),
		},
		Action: runFeatures,
	}
}

// featuresResult is what features prints.
type featuresResult struct {
	Model   string           `json:"model"`
	Weights string           `json:"weights,omitempty"`
	Dropped []string         `json:"dropped,omitempty"`
	Input   []int            `json:"input"`
	Levels  map[string][]int `json:"levels"`
	Out     string           `json:"out"`
	Seconds float64          `json:"seconds"`
}

func runFeatures(c *ucli.Context) error {
	if err := NoArgs(c); err != nil {
		return err
	}
	for _, f := range []string{"input", "out"} {
		if c.String(f) == "" {
			return UsageErrorf("features: --%s is required", f)
		}
	}
	cfg, err := allnet.InternImagePreset(c.String("model"))
	if err != nil {
		return UsageErrorf("features: --model: %v", err)
	}
	arr, err := format.ReadNpy(c.String("input"))
	if err != nil {
		return Errorf("--input: %v", err)
	}
	if len(arr.Shape) != 4 || arr.Shape[1] != 3 || arr.Shape[0] < 1 || arr.Shape[2] < 32 || arr.Shape[3] < 32 {
		return Errorf("--input %s: shape %v, want (N, 3, H, W) with H, W >= 32", c.String("input"), arr.Shape)
	}
	vals, err := arr.Float32s()
	if err != nil {
		return Errorf("--input %s: %v", c.String("input"), err)
	}
	m := allnet.NewInternImage(cfg, uint64(c.Int64("seed")))
	res := featuresResult{Model: c.String("model"), Weights: c.String("weights"), Input: arr.Shape,
		Levels: map[string][]int{}, Out: c.String("out")}
	if w := c.String("weights"); w != "" {
		rep, err := m.LoadOfficial(w, c.Bool("ema"))
		if err != nil {
			return Errorf("--weights: %v", err)
		}
		res.Dropped = rep.Dropped
	}
	start := time.Now()
	var outs []*engine.Tensor
	engine.NoGrad(func() {
		outs = m.Forward(engine.FromFloat32(engine.CPU(), vals, arr.Shape...))
	})
	res.Seconds = time.Since(start).Seconds()
	tensors := map[string]*engine.Tensor{}
	for i, o := range outs {
		name := fmt.Sprintf("level%d", i)
		tensors[name] = o
		res.Levels[name] = o.Shape()
	}
	meta := map[string]string{"model": res.Model, "weights": res.Weights, "input": c.String("input")}
	if err := engine.SaveCheckpoint(res.Out, tensors, meta); err != nil {
		return Errorf("--out: %v", err)
	}
	if c.Bool("json") {
		return WriteJSON(Stdout(c), res)
	}
	w := Stdout(c)
	fmt.Fprintf(w, "# features: %s\n\ninput %v, forward %.2fs, written to %s\n\n| level | shape |\n|---|---|\n", res.Model, res.Input, res.Seconds, res.Out)
	for i := range outs {
		name := fmt.Sprintf("level%d", i)
		fmt.Fprintf(w, "| %s | %v |\n", name, res.Levels[name])
	}
	if len(res.Dropped) > 0 {
		fmt.Fprintf(w, "\n%d head keys of the checkpoint dropped\n", len(res.Dropped))
	}
	return nil
}
