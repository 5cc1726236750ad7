package cli

// info --model / --checkpoint: an ALLNet preset's parameters and forward
// FLOPs per part, or a safetensors checkpoint's metadata.

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
		&ucli.StringFlag{Name: "model", Usage: "print the parameters and forward FLOPs per part of ALLNet `PRESET` (allnet-s or allnet-tiny)"},
		&ucli.StringFlag{Name: "dataset", Value: allnet.DatasetNYUD, Usage: "with --model: the tasks of `DATASET`, nyud or pascal"},
		&ucli.StringFlag{Name: "size", Usage: "with --model: input size `HxW`, to show the padded size and the decoder's feature sizes, and to count FLOPs at (default 288x384)"},
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
	FLOPs   modelInfoFLOPs   `json:"flops"`
}

// modelInfoFLOPs is the forward cost at one input size, batch 1 (see
// engine.FLOPCount for what is counted), with every MaE block routing to
// expert 0; ByExpert are the totals when all route to expert e.
type modelInfoFLOPs struct {
	Input         []int               `json:"input"`
	Parts         []modelInfoFLOPPart `json:"parts"`
	TotalMACs     int64               `json:"total_macs"`
	TotalGMACs    float64             `json:"total_gmacs"`
	TotalGFLOPs   float64             `json:"total_gflops"`
	ByExpertGMACs []float64           `json:"by_expert_gmacs"`
	Note          string              `json:"note"`
}

type modelInfoFLOPPart struct {
	Part   string  `json:"part"`
	MACs   int64   `json:"macs"`
	GMACs  float64 `json:"gmacs"`
	GFLOPs float64 `json:"gflops"`
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

// flopsNote says what the FLOP count covers.
const flopsNote = "forward only, batch 1, counted on the meta backend: MACs of convolutions, " +
	"linears and matmuls, attention, DCNv3 (5 per sampled point and channel) and bilinear resizing; " +
	"elementwise ops, norms and softmax not counted; GFLOPs = 2 x GMACs (the InternImage and fvcore " +
	"tables call MACs FLOPs). MaE experts: top-1 per image; the parts route every image to expert 0 " +
	"(the narrowest); the per-expert totals (by_expert_gmacs) route every image to expert e"

// defaultFLOPsSize is the input size FLOPs are counted at without --size.
var defaultFLOPsSize = [2]int{288, 384}

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
	rep := modelInfo{Model: c.String("model"), Dataset: cfg.Dataset, Tasks: cfg.Tasks}
	fh, fw := defaultFLOPsSize[0], defaultFLOPsSize[1]
	if c.IsSet("size") {
		h, w, err := parseSize("--size", c.String("size"))
		if err != nil {
			return err
		}
		fh, fw = h, w
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
	rep.FLOPs = countModelFLOPs(cfg, fh, fw)
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
	writeFLOPs(&b, rep.FLOPs)
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

// countModelFLOPs counts the forward cost of cfg on an h x w image.
func countModelFLOPs(cfg allnet.Config, h, w int) modelInfoFLOPs {
	r := allnet.CountFLOPs(cfg, h, w)
	out := modelInfoFLOPs{Input: []int{h, w}, Note: flopsNote}
	for _, p := range r.Parts {
		m := p.Count.MACs()
		out.Parts = append(out.Parts, modelInfoFLOPPart{Part: p.Part, MACs: m, GMACs: float64(m) / 1e9, GFLOPs: 2 * float64(m) / 1e9})
	}
	out.TotalMACs = r.Total().MACs()
	out.TotalGMACs = float64(out.TotalMACs) / 1e9
	out.TotalGFLOPs = 2 * out.TotalGMACs
	for _, e := range r.ByExpert {
		out.ByExpertGMACs = append(out.ByExpertGMACs, float64(e.MACs())/1e9)
	}
	return out
}

// writeFLOPs writes the FLOP table of info --model.
func writeFLOPs(b *strings.Builder, f modelInfoFLOPs) {
	fmt.Fprintf(b, "\n## FLOPs at %dx%d\n\n| Part | GMACs | GFLOPs (2 x MACs) |\n|---|---|---|\n", f.Input[0], f.Input[1])
	for _, p := range f.Parts {
		fmt.Fprintf(b, "| %s | %.3f | %.3f |\n", p.Part, p.GMACs, p.GFLOPs)
	}
	fmt.Fprintf(b, "| total | %.3f | %.3f |\n", f.TotalGMACs, f.TotalGFLOPs)
	ex := make([]string, len(f.ByExpertGMACs))
	for i, g := range f.ByExpertGMACs {
		ex[i] = fmt.Sprintf("expert %d: %.3f", i, g)
	}
	fmt.Fprintf(b, "\nTotal GMACs when every image routes to one expert: %s.\n\n%s.\n", strings.Join(ex, ", "), capitalise(f.Note))
}

// capitalise upper-cases s's first letter.
func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
