package cli

// `bench --compare`: our results beside the peers' (bench/peer), row by row.

import (
	"fmt"
	"io"
	"strings"
)

// benchCompare is what `bench --compare --json` prints.
type benchCompare struct {
	// Stat is the time per call compared: "median" or "min".
	Stat  string      `json:"stat"`
	Ours  benchSide   `json:"ours"`
	Peers []benchSide `json:"peers"`
	Rows  []benchPair `json:"rows"`
}

// benchSide describes one result file of the comparison.
type benchSide struct {
	Label   string `json:"label"`
	Device  string `json:"device"`
	Threads int    `json:"threads"`
	Core    string `json:"core,omitempty"`
	CPU     string `json:"cpu,omitempty"`
}

// benchPair is one of our rows with each peer's time for the same key.
type benchPair struct {
	Op      string  `json:"op"`
	Shape   string  `json:"shape"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"rate,omitempty"`
	Unit    string  `json:"unit,omitempty"`
	Note    string  `json:"note,omitempty"`
	// Peers holds one entry per peer file, in --compare order.
	Peers []benchPeerTime `json:"peers"`
}

// benchPeerTime is a peer's median time for a row and the ratio ours/peer
// (0 seconds and no ratio when the peer lacks the row or could not run it).
type benchPeerTime struct {
	Seconds float64 `json:"seconds,omitempty"`
	Ratio   float64 `json:"ratio,omitempty"`
	Note    string  `json:"note,omitempty"`
}

func sideOf(d *benchDoc) benchSide {
	return benchSide{Label: d.label(), Device: d.Device, Threads: d.Threads, Core: d.Core, CPU: d.CPU}
}

// compareBench matches our rows with the peers' by key and computes the
// ratios ours/peer.
func compareBench(ours *benchDoc, peers []*benchDoc) benchCompare {
	cmp := benchCompare{Ours: sideOf(ours)}
	byKey := make([]map[string]benchResult, len(peers))
	for i, p := range peers {
		cmp.Peers = append(cmp.Peers, sideOf(p))
		byKey[i] = map[string]benchResult{}
		for _, r := range p.Rows {
			byKey[i][r.Key()] = r
		}
	}
	for _, r := range ours.Rows {
		rate, unit := benchRate(r.benchSpec, r.Seconds)
		pair := benchPair{Op: r.Op, Shape: r.Shape, Seconds: r.Seconds, Rate: rate, Unit: unit, Note: r.Note}
		for i := range peers {
			var t benchPeerTime
			if pr, ok := byKey[i][r.Key()]; ok {
				t.Seconds, t.Note = pr.Seconds, pr.Note
				if t.Seconds > 0 && r.Seconds > 0 {
					t.Ratio = r.Seconds / t.Seconds
				}
			}
			pair.Peers = append(pair.Peers, t)
		}
		cmp.Rows = append(cmp.Rows, pair)
	}
	return cmp
}

// writeBenchCompare prints the comparison as one Markdown table.
func writeBenchCompare(w io.Writer, cmp benchCompare) error {
	fmt.Fprintf(w, "# allnet-cli bench: ours vs peers\n\n")
	threads := []string{fmt.Sprintf("ours (%s) %d", cmp.Ours.Label, cmp.Ours.Threads)}
	var cores []string
	for _, p := range cmp.Peers {
		threads = append(threads, fmt.Sprintf("%s %d", p.Label, p.Threads))
		if p.Core != "" {
			cores = append(cores, fmt.Sprintf("%s: %s", p.Label, p.Core))
		}
	}
	fmt.Fprintf(w, "- Threads: %s\n", strings.Join(threads, ", "))
	if len(cores) > 0 {
		fmt.Fprintf(w, "- OpenBLAS core: %s\n", strings.Join(cores, ", "))
	}
	fmt.Fprintf(w, "- Device: ours %s", cmp.Ours.Device)
	if cmp.Ours.CPU != "" {
		fmt.Fprintf(w, " (%s)", cmp.Ours.CPU)
	}
	what := "medians per call"
	if cmp.Stat == "min" {
		what = "the fastest call of each row (--stat min)"
	}
	fmt.Fprintf(w, "\n- Times are %s; ratio = our time / peer time (below 1: ours is faster).\n\n", what)

	head := []string{"operation", "shape", "ours"}
	for _, p := range cmp.Peers {
		head = append(head, mdCell(p.Label), "ratio")
	}
	head = append(head, "ours GFLOP/s or GB/s")
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
	var notes []string
	for _, r := range cmp.Rows {
		cells := []string{mdCell(r.Op), mdCell(r.Shape), fmtSeconds(r.Seconds)}
		if r.Note != "" {
			notes = append(notes, fmt.Sprintf("- ours, %s %s: %s", r.Op, r.Shape, r.Note))
		}
		for i, t := range r.Peers {
			ratio := "–"
			if t.Ratio > 0 {
				ratio = fmt.Sprintf("%.2f", t.Ratio)
			}
			cell := fmtSeconds(t.Seconds)
			if t.Seconds <= 0 {
				cell = "–"
			}
			cells = append(cells, cell, ratio)
			if t.Note != "" {
				notes = append(notes, fmt.Sprintf("- %s, %s %s: %s", cmp.Peers[i].Label, r.Op, r.Shape, t.Note))
			}
		}
		cells = append(cells, fmtRate(r.Rate, r.Unit))
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\nNotes:\n\n%s\n", strings.Join(notes, "\n"))
	}
	return nil
}
