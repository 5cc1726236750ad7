package metrics

import (
	"fmt"
	"math"
)

// MaxPSNR caps the PSNR of an image identical to its reference (MSE = 0,
// PSNR = +Inf), so that means stay finite and JSON can hold them.
const MaxPSNR = 100.0

// SSIMWindow selects the SSIM variant.
type SSIMWindow int

const (
	// SSIMGaussian is the reference SSIM of Wang et al. 2004: an 11x11
	// Gaussian window with sigma 1.5, population (co)variances, K1 = 0.01,
	// K2 = 0.03 (skimage structural_similarity with gaussian_weights=True,
	// sigma=1.5, use_sample_covariance=False, data_range=1). The default.
	SSIMGaussian SSIMWindow = iota
	// SSIMUniform7 is skimage's default, used by the all-in-one restoration
	// codebases [IR] (PromptIR, AdaIR, MoCE-IR call structural_similarity
	// with data_range=1 and channel_axis only): a 7x7 uniform window and
	// sample (co)variances (N/(N-1) with N = 49).
	SSIMUniform7
)

// Restoration accumulates PSNR and SSIM of restored images against the
// clean images, and of the degraded inputs against the clean images, so that
// the gain shows [IR; SKI].
//
// Images are (C, H, W) channels-first float32 in [0, 1]; every image is
// clipped to [0, 1] first (as the restoration codebases do, and as saving
// to PNG would). Per image, with data range 1:
//
//	PSNR = 10 log10(1 / MSE), MSE over all C*H*W values (RGB, not luminance),
//	       capped at MaxPSNR
//	SSIM = mean over channels of the mean SSIM map of each channel, where
//	       SSIM = (2 mu_x mu_y + C1)(2 s_xy + C2) /
//	              ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2)),
//	       C1 = (0.01)^2, C2 = (0.03)^2, local statistics from the window,
//	       and the map cropped by the window radius (skimage's way)
//
// and the dataset value is the mean over images (the convention of
// restoration papers, not a pixel-global PSNR).
type Restoration struct {
	win            SSIMWindow
	psnr, ssim     float64
	inPSNR, inSSIM float64
	images, inputs int
	scratch        []float64
}

// NewRestoration returns an empty accumulator using the given SSIM window.
func NewRestoration(win SSIMWindow) *Restoration {
	if win != SSIMGaussian && win != SSIMUniform7 {
		panic(fmt.Sprintf("metrics.NewRestoration: unknown SSIM window %d", win))
	}
	return &Restoration{win: win}
}

// Add scores one image. degraded may be nil, in which case only the restored
// image is scored; otherwise it must have the same size.
func (r *Restoration) Add(restored, degraded, clean []float32, c, h, w int) error {
	if c <= 0 {
		return fmt.Errorf("metrics: restoration: %d channels", c)
	}
	if err := checkHW("restoration", h, w); err != nil {
		return err
	}
	n := c * h * w
	if err := checkLen("restoration", "restored image", len(restored), n); err != nil {
		return err
	}
	if err := checkLen("restoration", "clean image", len(clean), n); err != nil {
		return err
	}
	if degraded != nil {
		if err := checkLen("restoration", "degraded image", len(degraded), n); err != nil {
			return err
		}
	}
	p, s, err := r.score(restored, clean, c, h, w)
	if err != nil {
		return err
	}
	if degraded != nil {
		pi, si, err := r.score(degraded, clean, c, h, w)
		if err != nil {
			return err
		}
		r.inPSNR += pi
		r.inSSIM += si
		r.inputs++
	}
	r.psnr += p
	r.ssim += s
	r.images++
	return nil
}

func (r *Restoration) score(x, ref []float32, c, h, w int) (float64, float64, error) {
	for i, v := range x {
		if math.IsNaN(float64(v)) {
			return 0, 0, fmt.Errorf("metrics: restoration: NaN at value %d", i)
		}
	}
	s, err := ssim(x, ref, c, h, w, r.win, &r.scratch)
	if err != nil {
		return 0, 0, err
	}
	return PSNR(x, ref), s, nil
}

// Merge adds the sums of o, which must use the same SSIM window.
func (r *Restoration) Merge(o *Restoration) error {
	if o.win != r.win {
		return fmt.Errorf("metrics: restoration: merging SSIM window %d into %d", o.win, r.win)
	}
	r.psnr += o.psnr
	r.ssim += o.ssim
	r.inPSNR += o.inPSNR
	r.inSSIM += o.inSSIM
	r.images += o.images
	r.inputs += o.inputs
	return nil
}

// RestorationResult is the result of Restoration, in the eval --json shape.
type RestorationResult struct {
	PSNR      Float `json:"psnr"`
	SSIM      Float `json:"ssim"`
	InputPSNR Float `json:"input_psnr"` // the degraded input against the clean image
	InputSSIM Float `json:"input_ssim"`
	Images    int   `json:"images"`
}

// Result returns the means over images (NaN where no image was scored).
func (r *Restoration) Result() RestorationResult {
	n, ni := float64(r.images), float64(r.inputs)
	return RestorationResult{
		PSNR: ratio(r.psnr, n), SSIM: ratio(r.ssim, n),
		InputPSNR: ratio(r.inPSNR, ni), InputSSIM: ratio(r.inSSIM, ni),
		Images: r.images,
	}
}

func clip01(v float32) float64 { return float64(min(max(v, 0), 1)) }

// PSNR returns 10 log10(1 / MSE) of x against ref, both clipped to [0, 1],
// capped at MaxPSNR. The slices must have the same length.
func PSNR(x, ref []float32) float64 {
	if len(x) != len(ref) || len(x) == 0 {
		panic(fmt.Sprintf("metrics.PSNR: lengths %d and %d", len(x), len(ref)))
	}
	var sse float64
	for i, v := range x {
		d := clip01(v) - clip01(ref[i])
		sse += d * d
	}
	mse := sse / float64(len(x))
	if mse == 0 {
		return MaxPSNR
	}
	return min(10*math.Log10(1/mse), MaxPSNR)
}

// SSIM returns the SSIM of x against ref, (C, H, W) images clipped to
// [0, 1], averaged over channels, with the given window (see Restoration).
func SSIM(x, ref []float32, c, h, w int, win SSIMWindow) (float64, error) {
	if len(x) != c*h*w || len(ref) != c*h*w {
		return 0, fmt.Errorf("metrics: SSIM: lengths %d and %d for %dx%dx%d", len(x), len(ref), c, h, w)
	}
	var scratch []float64
	return ssim(x, ref, c, h, w, win, &scratch)
}

// ssimWeights returns the 1-D window weights and whether covariances use the
// sample normalisation.
func ssimWeights(win SSIMWindow) ([]float64, bool) {
	if win == SSIMUniform7 {
		wt := make([]float64, 7)
		for i := range wt {
			wt[i] = 1.0 / 7
		}
		return wt, true
	}
	// scipy.ndimage.gaussian_filter, sigma 1.5, truncate 3.5: radius
	// int(3.5*1.5 + 0.5) = 5.
	const sigma, radius = 1.5, 5
	wt := make([]float64, 2*radius+1)
	var s float64
	for i := range wt {
		x := float64(i - radius)
		wt[i] = math.Exp(-0.5 * x * x / (sigma * sigma))
		s += wt[i]
	}
	for i := range wt {
		wt[i] /= s
	}
	return wt, false
}

func ssim(x, ref []float32, c, h, w int, win SSIMWindow, scratch *[]float64) (float64, error) {
	wt, sample := ssimWeights(win)
	k := len(wt)
	if h < k || w < k {
		return 0, fmt.Errorf("metrics: SSIM: image %dx%d smaller than the %dx%d window", h, w, k, k)
	}
	const c1, c2 = 0.01 * 0.01, 0.03 * 0.03
	covNorm := 1.0
	if sample {
		np := float64(k * k)
		covNorm = np / (np - 1)
	}
	// Filter only where the window fits: skimage crops the radius from the
	// filtered maps, and there the padding mode plays no part.
	ow, oh := w-k+1, h-k+1
	need := 5 * h * ow
	if cap(*scratch) < need {
		*scratch = make([]float64, need)
	}
	rows := (*scratch)[:need] // horizontal pass: x, y, xx, yy, xy per pixel
	var total float64
	hw := h * w
	for ch := 0; ch < c; ch++ {
		xs, ys := x[ch*hw:(ch+1)*hw], ref[ch*hw:(ch+1)*hw]
		for yy := 0; yy < h; yy++ {
			for ox := 0; ox < ow; ox++ {
				var sx, sy, sxx, syy, sxy float64
				for j, wj := range wt {
					a, b := clip01(xs[yy*w+ox+j]), clip01(ys[yy*w+ox+j])
					sx += wj * a
					sy += wj * b
					sxx += wj * a * a
					syy += wj * b * b
					sxy += wj * a * b
				}
				o := (yy*ow + ox) * 5
				rows[o], rows[o+1], rows[o+2], rows[o+3], rows[o+4] = sx, sy, sxx, syy, sxy
			}
		}
		var sum float64
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				var ux, uy, uxx, uyy, uxy float64
				for j, wj := range wt {
					o := ((oy+j)*ow + ox) * 5
					ux += wj * rows[o]
					uy += wj * rows[o+1]
					uxx += wj * rows[o+2]
					uyy += wj * rows[o+3]
					uxy += wj * rows[o+4]
				}
				vx := covNorm * (uxx - ux*ux)
				vy := covNorm * (uyy - uy*uy)
				vxy := covNorm * (uxy - ux*uy)
				sum += (2*ux*uy + c1) * (2*vxy + c2) / ((ux*ux + uy*uy + c1) * (vx + vy + c2))
			}
		}
		total += sum / float64(oh*ow)
	}
	return total / float64(c), nil
}
