package cli

// info --model / --checkpoint: an ALLNet preset's parameters per part, or a
// safetensors checkpoint's metadata.

import (
	"fmt"
	"sort"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"allnet/allnet"
	"allnet/engine/ckpt"
)

// infoModelFlags are the flags of info's model and checkpoint branch.
func infoModelFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "model", Usage: "print the parameters per part of ALLNet `PRESET` (allnet-s or allnet-tiny)"},
		&ucli.StringFlag{Name: "dataset", Value: allnet.DatasetNYUD, Usage: "with --model: the tasks of `DATASET`, nyud or pascal"},
		&ucli.StringFlag{Name: "size", Usage: "with --model: input size `HxW`, to show the padded size and the decoder's feature sizes"},
		&ucli.StringFlag{Name: "checkpoint", Usage: "print the metadata and tensor count of safetensors `FILE`"},
	}
}

// modelInfo is the JSON shape of info --model.
type modelInfo struct {
	Model   string           `json:"model"`
	Dataset string           `json:"dataset"`
	Tasks   []string         `json:"tasks"`
	Parts   []modelInfoPart  `json:"parts"`
	Total   int              `json:"total"`
	Input   []int            `json:"input,omitempty"`  // --size H, W
	Padded  []int            `json:"padded,omitempty"` // to a multiple of 32
	Scales  []modelInfoScale `json:"scales,omitempty"`
	FLOPs   string           `json:"flops"`
}

type modelInfoPart struct {
	Part   string `json:"part"`
	Params int    `json:"params"`
}

type modelInfoScale struct {
	Scale    string `json:"scale"`
	Channels int    `json:"channels"`
	H        int    `json:"h"`
	W        int    `json:"w"`
	Blocks   int    `json:"mae_blocks"`
}

// checkpointInfo is the JSON shape of info --checkpoint.
type checkpointInfo struct {
	Checkpoint string            `json:"checkpoint"`
	Tensors    int               `json:"tensors"`
	Elements   int64             `json:"elements"`
	Metadata   map[string]string `json:"metadata"`
}

// flopsNote says why info prints no FLOP count.
const flopsNote = "not counted yet"

// runInfoModel handles info --model and info --checkpoint.
func runInfoModel(c *ucli.Context) error {
	if c.IsSet("model") && c.IsSet("checkpoint") {
		return UsageErrorf("info: --model and --checkpoint exclude each other")
	}
	if c.IsSet("checkpoint") {
		return runInfoCheckpoint(c)
	}
	cfg, err := allnet.Preset(c.String("model"), c.String("dataset"))
	if err != nil {
		return UsageErrorf("info: %v", err)
	}
	rep := modelInfo{Model: c.String("model"), Dataset: cfg.Dataset, Tasks: cfg.Tasks, FLOPs: flopsNote}
	if c.IsSet("size") {
		h, w, err := parseSize("--size", c.String("size"))
		if err != nil {
			return err
		}
		ph, pw := (h+31)/32*32, (w+31)/32*32
		rep.Input, rep.Padded = []int{h, w}, []int{ph, pw}
		for s := range allnet.Scales {
			f := 32 >> s
			rep.Scales = append(rep.Scales, modelInfoScale{Scale: fmt.Sprintf("1/%d", f),
				Channels: cfg.Widths[s], H: ph / f, W: pw / f, Blocks: cfg.Stages[s]})
		}
	}
	m := allnet.NewModel(cfg, 0) // counts do not depend on the seed
	for _, pc := range m.ParameterCounts() {
		rep.Parts = append(rep.Parts, modelInfoPart{pc.Part, pc.Params})
		rep.Total += pc.Params
	}
	if c.Bool("json") {
		return WriteJSON(Stdout(c), rep)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s (%s: %s + restoration)\n\n| Part | Parameters |\n|---|---|\n", rep.Model, rep.Dataset, strings.Join(rep.Tasks, ", "))
	for _, p := range rep.Parts {
		fmt.Fprintf(&b, "| %s | %d (%.2fM) |\n", p.Part, p.Params, float64(p.Params)/1e6)
	}
	fmt.Fprintf(&b, "| total | %d (%.2fM) |\n", rep.Total, float64(rep.Total)/1e6)
	if rep.Input != nil {
		fmt.Fprintf(&b, "\nInput %dx%d, padded to %dx%d.\n\n| Scale | Channels | Size | MaE blocks |\n|---|---|---|---|\n",
			rep.Input[0], rep.Input[1], rep.Padded[0], rep.Padded[1])
		for _, s := range rep.Scales {
			fmt.Fprintf(&b, "| %s | %d | %dx%d | %d |\n", s.Scale, s.Channels, s.H, s.W, s.Blocks)
		}
	}
	fmt.Fprintf(&b, "\nFLOPs: %s.\n", flopsNote)
	_, err = fmt.Fprint(Stdout(c), b.String())
	return err
}

func runInfoCheckpoint(c *ucli.Context) error {
	path := c.String("checkpoint")
	h, err := ckpt.ReadHeader(path)
	if err != nil {
		return Errorf("--checkpoint: %v", err)
	}
	rep := checkpointInfo{Checkpoint: path, Tensors: len(h.Tensors), Metadata: h.Metadata}
	if rep.Metadata == nil {
		rep.Metadata = map[string]string{}
	}
	for _, t := range h.Tensors {
		n := int64(1)
		for _, d := range t.Shape {
			n *= int64(d)
		}
		rep.Elements += n
	}
	if c.Bool("json") {
		return WriteJSON(Stdout(c), rep)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%d tensors, %d elements.\n", path, rep.Tensors, rep.Elements)
	keys := make([]string, 0, len(rep.Metadata))
	for k := range rep.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		b.WriteString("\n| Metadata | Value |\n|---|---|\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "| %s | %s |\n", mdCell(k), mdCell(rep.Metadata[k]))
		}
	}
	_, err = fmt.Fprint(Stdout(c), b.String())
	return err
}
