package cli

// The rows of `allnet-cli bench`: what each one measures, its shapes and
// its work per call. `bench --list --json` prints them, and the peer scripts
// under bench/peer read that list, so both sides time the same shapes under
// the same names.

import (
	"fmt"
	"math"

	"allnet/allnet"
)

// benchSpec is one benchmark row: an operation on fixed shapes. Op and
// Shape together are the row's key in every result file (ours and the
// peers').
type benchSpec struct {
	Op    string `json:"op"`
	Shape string `json:"shape"`
	// Kind selects the implementation: gemm, linear, conv, dcnv3,
	// attention, psf, layernorm, softmax, internimage.
	Kind string `json:"kind"`
	// Pass is "fwd" or "fwd+bwd".
	Pass   string      `json:"pass"`
	Params benchParams `json:"params"`
	// FLOPs is the floating-point work of one call (0 for the
	// bandwidth-bound rows), Bytes the minimum memory traffic (0 for the
	// compute rows); see benchRate.
	FLOPs float64 `json:"flops,omitempty"`
	Bytes float64 `json:"bytes,omitempty"`
}

// Key is the row's identity across result files: "op | shape".
func (s benchSpec) Key() string { return s.Op + " | " + s.Shape }

// benchParams are the sizes a row's kind reads (zero fields are unused).
//
//   - gemm: C (M, N) = A (M, K) @ B (K, N). linear: y (M, N) = x (M, K) @
//     w (N, K)^T, no bias.
//   - conv: x (Batch, C, H, W) with w (Cout, C/Groups, KH, KW), stride 1,
//     padding KH/2, no bias.
//   - dcnv3: value (Batch, H, W, C) channels-last with G groups, a KHxKW
//     kernel, stride 1, padding 1, offset scale 1; offsets N(0, 1.5), mask a
//     softmax over each group's points of N(0, 1) logits.
//   - attention: q, k, v (Batch, L, D), one head each, scale 1/sqrt(D), no
//     mask.
//   - psf: x (Batch, C, H, W), one KHxKW kernel per image.
//   - layernorm: (Rows, Cols) over the last axis with gamma and beta, eps
//     1e-6. softmax: (Rows, Cols) over the last axis.
//   - internimage: the Model preset (its configuration in InternImage) on
//     input (Batch, 3, H, W), random weights, eval mode (no drop-path);
//     fwd+bwd back-propagates the sum of all four level outputs to every
//     parameter.
type benchParams struct {
	M           int                `json:"m,omitempty"`
	N           int                `json:"n,omitempty"`
	K           int                `json:"k,omitempty"`
	Batch       int                `json:"batch,omitempty"`
	C           int                `json:"c,omitempty"`
	H           int                `json:"h,omitempty"`
	W           int                `json:"w,omitempty"`
	Cout        int                `json:"cout,omitempty"`
	KH          int                `json:"kh,omitempty"`
	KW          int                `json:"kw,omitempty"`
	Groups      int                `json:"groups,omitempty"`
	G           int                `json:"g,omitempty"`
	L           int                `json:"l,omitempty"`
	D           int                `json:"d,omitempty"`
	Window      int                `json:"window,omitempty"`
	Rows        int                `json:"rows,omitempty"`
	Cols        int                `json:"cols,omitempty"`
	Model       string             `json:"model,omitempty"`
	InternImage *internImageParams `json:"internimage,omitempty"`
}

// internImageParams is an InternImage configuration under the official
// constructor's argument names, for the PyTorch peer.
type internImageParams struct {
	Channels    int     `json:"channels"`
	Depths      []int   `json:"depths"`
	Groups      []int   `json:"groups"`
	MLPRatio    float64 `json:"mlp_ratio"`
	LayerScale  float64 `json:"layer_scale,omitempty"`
	PostNorm    bool    `json:"post_norm"`
	OffsetScale float64 `json:"offset_scale"`
}

// benchMaEScale is the decoder scale whose MaE window attention the
// attention rows time: 1/4, the largest feature map (72x96 at 288x384).
const benchMaEScale = 4

// benchSpecs returns every row for an input of h x w pixels (the model's
// working size; the per-stage shapes derive from it as InternImage-S's
// strides 4, 8, 16, 32 do, rounding up).
func benchSpecs(h, w int) []benchSpec {
	var rows []benchSpec
	add := func(s benchSpec) { rows = append(rows, s) }

	// GEMM 1024^3: the headline number against OpenBLAS.
	add(benchSpec{Op: "gemm", Shape: "1024x1024x1024", Kind: "gemm", Pass: "fwd",
		Params: benchParams{M: 1024, N: 1024, K: 1024}, FLOPs: 2 * 1024 * 1024 * 1024})

	// The linear layers of InternImage-S blocks, per stage: the DCNv3
	// input/output projections, its offset and mask projections, and the
	// MLP.
	ii, err := allnet.InternImagePreset("internimage-s")
	if err != nil {
		panic(err)
	}
	for i := range ii.Depths {
		c, g := ii.Channels<<i, ii.Groups[i]
		th, tw := ceilDiv(h, 4<<i), ceilDiv(w, 4<<i)
		t := th * tw
		hidden := int(float64(c) * ii.MLPRatio)
		for _, l := range []struct {
			name    string
			in, out int
		}{{"proj", c, c}, {"offset", c, g * 9 * 2}, {"mask", c, g * 9}, {"fc1", c, hidden}, {"fc2", hidden, c}} {
			add(benchSpec{Op: fmt.Sprintf("linear s%d.%s", i+1, l.name), Shape: fmt.Sprintf("%dx%d->%d", t, l.in, l.out),
				Kind: "linear", Pass: "fwd", Params: benchParams{M: t, K: l.in, N: l.out},
				FLOPs: 2 * float64(t) * float64(l.in) * float64(l.out)})
		}
	}

	// Convolutions at stage 1 (1/4 scale): dense 3x3 80 -> 80 and
	// depthwise 3x3 over 80 channels. The backward computes dx and dw,
	// each as costly as the forward.
	h4, w4 := ceilDiv(h, 4), ceilDiv(w, 4)
	for _, cv := range []struct {
		name   string
		groups int
	}{{"conv3x3", 1}, {"dwconv3x3", 80}} {
		p := benchParams{Batch: 1, C: 80, H: h4, W: w4, Cout: 80, KH: 3, KW: 3, Groups: cv.groups}
		fl := 2 * float64(80*80/cv.groups*9*h4*w4)
		shape := fmt.Sprintf("1x80x%dx%d->80", h4, w4)
		add(benchSpec{Op: cv.name + " fwd", Shape: shape, Kind: "conv", Pass: "fwd", Params: p, FLOPs: fl})
		add(benchSpec{Op: cv.name + " fwd+bwd", Shape: shape, Kind: "conv", Pass: "fwd+bwd", Params: p, FLOPs: 3 * fl})
	}

	// The DCNv3 core at stage 1 (C=80, G=5) and stage 3 (C=320, G=20).
	// FLOPs: 10 per output pixel, group, point and channel (4 bilinear
	// corners and the mask weight, as multiply-adds: the engine's FLOP
	// counter); fwd+bwd counts 3x the forward.
	for _, st := range []int{0, 2} {
		c, g := ii.Channels<<st, ii.Groups[st]
		hh, ww := ceilDiv(h, 4<<st), ceilDiv(w, 4<<st)
		p := benchParams{Batch: 1, H: hh, W: ww, C: c, G: g, KH: 3, KW: 3}
		fl := 10 * float64(hh*ww*c*9)
		shape := fmt.Sprintf("1x%dx%dx%d G%d", hh, ww, c, g)
		add(benchSpec{Op: "dcnv3 fwd", Shape: shape, Kind: "dcnv3", Pass: "fwd", Params: p, FLOPs: fl})
		add(benchSpec{Op: "dcnv3 fwd+bwd", Shape: shape, Kind: "dcnv3", Pass: "fwd+bwd", Params: p, FLOPs: 3 * fl})
	}

	// MaE window attention at the 1/4 scale of ALLNet-S: expert i has a
	// window of DefaultMaEConfig().Windows[i] and a branch of width
	// Ci/3 (Ci = 3*round(C*(i+1)/(3*experts)), C = 80) with one head (32
	// channels per head rounds down to 1); windows are padded to cover the
	// map. FLOPs: 4*B*L*L*D forward (scores and weighted values), 2.5x
	// that for the backward.
	mae := allnet.DefaultMaEConfig()
	for i := range mae.Experts {
		win := mae.Windows[i]
		wh, ww := min(win, h4), min(win, w4)
		b := ceilDiv(h4, wh) * ceilDiv(w4, ww)
		l := wh * ww
		d := 3 * max(1, int(math.Round(float64(80*(i+1))/float64(3*mae.Experts)))) / 3
		p := benchParams{Batch: b, L: l, D: d, Window: win}
		fl := 4 * float64(b) * float64(l) * float64(l) * float64(d)
		shape := fmt.Sprintf("%dx%dx%d", b, l, d)
		add(benchSpec{Op: fmt.Sprintf("attention w%d fwd", win), Shape: shape, Kind: "attention", Pass: "fwd", Params: p, FLOPs: fl})
		add(benchSpec{Op: fmt.Sprintf("attention w%d fwd+bwd", win), Shape: shape, Kind: "attention", Pass: "fwd+bwd", Params: p, FLOPs: 3.5 * fl})
	}

	// PSF blur as the degradation pipeline runs it: a batch of 4 RGB
	// images, each with its own 31x31 kernel.
	add(benchSpec{Op: "psf blur fwd", Shape: fmt.Sprintf("4x3x%dx%d k31", h, w), Kind: "psf", Pass: "fwd",
		Params: benchParams{Batch: 4, C: 3, H: h, W: w, KH: 31, KW: 31}, FLOPs: 2 * float64(4*3*h*w*31*31)})

	// Layer norm over the stage-1 tokens, and softmax over the DCNv3 mask
	// (9 points per group at stage 1) and over the scores of window-16
	// attention at 1/4 scale ((windows*L, L), as attention written out
	// computes them). Bytes: one read
	// and one write of the tensor forward; the backward reads x and dy and
	// writes dx.
	tok := h4 * w4
	ln := 4 * float64(tok*80)
	add(benchSpec{Op: "layernorm fwd", Shape: fmt.Sprintf("%dx80", tok), Kind: "layernorm", Pass: "fwd",
		Params: benchParams{Rows: tok, Cols: 80}, Bytes: 2 * ln})
	add(benchSpec{Op: "layernorm fwd+bwd", Shape: fmt.Sprintf("%dx80", tok), Kind: "layernorm", Pass: "fwd+bwd",
		Params: benchParams{Rows: tok, Cols: 80}, Bytes: 5 * ln})
	wh, ww := min(16, h4), min(16, w4)
	scores := [2]int{ceilDiv(h4, wh) * ceilDiv(w4, ww) * wh * ww, wh * ww}
	for _, sm := range [][2]int{{tok * ii.Groups[0], 9}, scores} {
		add(benchSpec{Op: "softmax fwd", Shape: fmt.Sprintf("%dx%d", sm[0], sm[1]), Kind: "softmax", Pass: "fwd",
			Params: benchParams{Rows: sm[0], Cols: sm[1]}, Bytes: 2 * 4 * float64(sm[0]*sm[1])})
	}

	// The whole InternImage-S backbone. FLOPs are filled in by counting
	// the forward (engine.CountFLOPs); fwd+bwd counts 3x the forward.
	ip := &internImageParams{Channels: ii.Channels, Depths: ii.Depths, Groups: ii.Groups, MLPRatio: ii.MLPRatio,
		LayerScale: ii.LayerScale, PostNorm: ii.PostNorm, OffsetScale: ii.OffsetScale}
	p := benchParams{Batch: 1, H: h, W: w, Model: "internimage-s", InternImage: ip}
	shape := fmt.Sprintf("1x3x%dx%d", h, w)
	add(benchSpec{Op: "internimage-s fwd", Shape: shape, Kind: "internimage", Pass: "fwd", Params: p})
	add(benchSpec{Op: "internimage-s fwd+bwd", Shape: shape, Kind: "internimage", Pass: "fwd+bwd", Params: p})
	return rows
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
