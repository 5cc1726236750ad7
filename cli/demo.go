package cli

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	ucli "github.com/urfave/cli/v2"

	"allnet/engine"
	"allnet/engine/backend"
	"allnet/engine/optim"
)

// The demo is the project's main job until ALLNet training lands: it trains
// a tiny convolutional denoiser with the engine (autograd, Conv2d, AdamW) on
// procedurally drawn images corrupted by Gaussian noise, and reports the
// PSNR gain on held-out images. The training issue replaces it with
// `allnet-cli train` on the built-in synthetic scenes.

func init() { addCommand(demoCommand) }

func demoCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "demo",
		Usage: "train a tiny convolutional denoiser with the engine on built-in synthetic images (a stand-in until ALLNet training lands)",
		Description: "Draws random images (smooth gradients, rectangles and discs), adds Gaussian noise of standard " +
			"deviation --sigma/255, and trains a three-layer residual CNN (conv3x3-GELU-conv3x3-GELU-conv3x3, " +
			"predicting the noise) with AdamW on the CPU. Progress goes to stderr; the result (PSNR of the noisy " +
			"input and of the denoised output on held-out images, before and after training) goes to stdout.",
		Flags: []ucli.Flag{
			&ucli.IntFlag{Name: "iters", Value: 150, Usage: "training iterations `N`"},
			&ucli.IntFlag{Name: "batch", Value: 8, Usage: "images per iteration `N`"},
			&ucli.IntFlag{Name: "size", Value: 32, Usage: "image side in pixels `N` (square images)"},
			&ucli.IntFlag{Name: "width", Value: 16, Usage: "channels `N` of the hidden layers"},
			&ucli.Float64Flag{Name: "sigma", Value: 25, Usage: "noise standard deviation `S` on the 0-255 scale"},
			&ucli.Float64Flag{Name: "lr", Value: 3e-3, Usage: "AdamW learning rate `LR`"},
			SeedFlag(), JSONFlag(), DeviceFlag(),
		},
		Action: runDemo,
	}
}

// demoResult is the JSON shape of `demo --json`.
type demoResult struct {
	Iters        int     `json:"iters"`
	Batch        int     `json:"batch"`
	Size         int     `json:"size"`
	Sigma        float64 `json:"sigma"`
	Parameters   int     `json:"parameters"`
	FirstLoss    float64 `json:"first_loss"`
	FinalLoss    float64 `json:"final_loss"`
	InputPSNR    float64 `json:"input_psnr"`
	InitialPSNR  float64 `json:"initial_psnr"`
	DenoisedPSNR float64 `json:"denoised_psnr"`
	Seconds      float64 `json:"seconds"`
	ImagesPerSec float64 `json:"images_per_second"`
	Device       string  `json:"device"`
}

func runDemo(c *ucli.Context) error {
	if err := NoArgs(c); err != nil {
		return err
	}
	iters, batch, size, width := c.Int("iters"), c.Int("batch"), c.Int("size"), c.Int("width")
	sigma, lr := c.Float64("sigma"), c.Float64("lr")
	switch {
	case iters < 1:
		return UsageErrorf("--iters %d: expected at least 1", iters)
	case batch < 1:
		return UsageErrorf("--batch %d: expected at least 1", batch)
	case size < 8:
		return UsageErrorf("--size %d: expected at least 8", size)
	case width < 1:
		return UsageErrorf("--width %d: expected at least 1", width)
	case sigma <= 0 || sigma > 255:
		return UsageErrorf("--sigma %g: expected a value in (0, 255]", sigma)
	case lr <= 0 || math.IsInf(lr, 0) || math.IsNaN(lr):
		return UsageErrorf("--lr %g: expected a positive number", lr)
	}
	dev, err := OpenDevice(c)
	if err != nil {
		return err
	}
	seed := uint64(c.Int64("seed"))
	Logf(c, "allnet demo: training a tiny CNN denoiser on synthetic images with the engine on %s "+
		"(ALLNet training replaces this demo once it lands)", dev.Device())

	net := newDenoiser(dev, width, seed)
	opt, err := optim.NewAdamW(net.params, optim.AdamWConfig{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	if err != nil {
		return Errorf("demo optimiser: %v", err)
	}
	sched := optim.Cosine{Base: lr, Total: iters, WarmupSteps: min(10, iters/10), WarmupRatio: 0.1, MinLR: lr / 20}
	if err := sched.Validate(); err != nil {
		return Errorf("demo schedule: %v", err)
	}
	rng := rand.New(rand.NewPCG(seed, 0xdec0de))
	heldClean, heldNoisy := demoBatch(dev, rng, 16, size, sigma/255)
	res := demoResult{Iters: iters, Batch: batch, Size: size, Sigma: sigma, Device: dev.Device(), Parameters: net.count()}
	res.InputPSNR = psnr(heldNoisy, heldClean)
	res.InitialPSNR = psnr(net.denoise(heldNoisy), heldClean)

	start := time.Now()
	every := max(1, iters/10)
	for it := 0; it < iters; it++ {
		clean, noisy := demoBatch(dev, rng, batch, size, sigma/255)
		opt.SetLR(sched.LR(opt.Steps()))
		loss := engine.MeanAll(engine.Square(engine.Sub(net.denoise(noisy), clean)))
		opt.ZeroGrad()
		loss.Backward()
		opt.Step()
		l := loss.Item()
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return Errorf("demo: the loss became %v at iteration %d; try a smaller --lr", l, it+1)
		}
		if it == 0 {
			res.FirstLoss = l
		}
		res.FinalLoss = l
		if (it+1)%every == 0 || it == iters-1 {
			el := time.Since(start).Seconds()
			Logf(c, "iter %4d/%d  loss %.5f  lr %.2e  %.1f img/s  eta %.0fs", it+1, iters, l, opt.LR(),
				float64((it+1)*batch)/el, el/float64(it+1)*float64(iters-it-1))
		}
	}
	res.Seconds = time.Since(start).Seconds()
	res.ImagesPerSec = float64(iters*batch) / res.Seconds
	var out *engine.Tensor
	engine.NoGrad(func() { out = net.denoise(heldNoisy) })
	res.DenoisedPSNR = psnr(out, heldClean)

	w := Stdout(c)
	if c.Bool("json") {
		return WriteJSON(w, res)
	}
	fmt.Fprintf(w, "# allnet demo: CNN denoiser on synthetic images\n\n")
	fmt.Fprintf(w, "A stand-in for ALLNet training: %d iterations of batch %d, %dx%d images, noise sigma %g/255, %d parameters, on %s.\n\n",
		iters, batch, size, size, sigma, res.Parameters, res.Device)
	fmt.Fprintf(w, "| held-out images (16) | PSNR (dB) |\n|---|---|\n")
	fmt.Fprintf(w, "| noisy input | %.2f |\n| untrained network | %.2f |\n| trained network | %.2f |\n\n", res.InputPSNR, res.InitialPSNR, res.DenoisedPSNR)
	fmt.Fprintf(w, "Training loss (MSE) %.5f -> %.5f in %.1f s (%.1f images/s).\n", res.FirstLoss, res.FinalLoss, res.Seconds, res.ImagesPerSec)
	return nil
}

// denoiser is conv3x3-GELU-conv3x3-GELU-conv3x3 predicting the noise, so
// the output is noisy - net(noisy).
type denoiser struct {
	params []*engine.Tensor
	w, b   [3]*engine.Tensor
}

func newDenoiser(dev backend.Backend, width int, seed uint64) *denoiser {
	g := engine.NewGenerator(seed)
	d := &denoiser{}
	chans := [4]int{3, width, width, 3}
	for i := 0; i < 3; i++ {
		cin, cout := chans[i], chans[i+1]
		bound := 1 / math.Sqrt(float64(cin*9)) // PyTorch's default conv initialisation
		uniform := func(shape ...int) *engine.Tensor {
			return engine.AddScalar(engine.Scale(g.Uniform(dev, engine.Float32, shape...), 2*bound), -bound)
		}
		d.w[i] = engine.Param(fmt.Sprintf("conv%d.weight", i+1), uniform(cout, cin, 3, 3))
		d.b[i] = engine.Param(fmt.Sprintf("conv%d.bias", i+1), uniform(cout))
		d.params = append(d.params, d.w[i], d.b[i])
	}
	return d
}

func (d *denoiser) denoise(x *engine.Tensor) *engine.Tensor {
	h := x
	same := engine.ConvOptions{Padding: [2]int{1, 1}}
	for i := 0; i < 3; i++ {
		h = engine.Conv2d(h, d.w[i], d.b[i], same)
		if i < 2 {
			h = engine.GELU(h)
		}
	}
	return engine.Sub(x, h)
}

func (d *denoiser) count() int {
	n := 0
	for _, p := range d.params {
		n += p.Len()
	}
	return n
}

// demoBatch draws n clean images (N, 3, size, size) in [0, 1] and their
// noisy copies.
func demoBatch(dev backend.Backend, rng *rand.Rand, n, size int, sigma float64) (clean, noisy *engine.Tensor) {
	plane := size * size
	c := make([]float32, n*3*plane)
	z := make([]float32, len(c))
	for i := 0; i < n; i++ {
		drawScene(c[i*3*plane:(i+1)*3*plane], size, rng)
	}
	for i, v := range c {
		z[i] = v + float32(rng.NormFloat64()*sigma)
	}
	return engine.FromFloat32(dev, c, n, 3, size, size), engine.FromFloat32(dev, z, n, 3, size, size)
}

// drawScene paints a smooth two-colour gradient with a few rectangles and
// discs into img (3 planes of size x size).
func drawScene(img []float32, size int, rng *rand.Rand) {
	plane := size * size
	var c0, c1 [3]float64
	for k := range c0 {
		c0[k], c1[k] = rng.Float64(), rng.Float64()
	}
	angle := rng.Float64() * 2 * math.Pi
	dx, dy := math.Cos(angle), math.Sin(angle)
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			t := 0.5 + 0.5*(dx*(float64(x)/float64(size)-0.5)+dy*(float64(y)/float64(size)-0.5))
			for k := 0; k < 3; k++ {
				img[k*plane+y*size+x] = float32(c0[k]*(1-t) + c1[k]*t)
			}
		}
	}
	shapes := 2 + rng.IntN(4)
	for s := 0; s < shapes; s++ {
		col := [3]float64{rng.Float64(), rng.Float64(), rng.Float64()}
		cx, cy := rng.Float64()*float64(size), rng.Float64()*float64(size)
		r := (0.1 + 0.25*rng.Float64()) * float64(size)
		disc := rng.IntN(2) == 0
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				ddx, ddy := float64(x)-cx, float64(y)-cy
				inside := math.Abs(ddx) < r && math.Abs(ddy) < r*0.7
				if disc {
					inside = ddx*ddx+ddy*ddy < r*r
				}
				if inside {
					for k := 0; k < 3; k++ {
						img[k*plane+y*size+x] = float32(col[k])
					}
				}
			}
		}
	}
}

// psnr returns 10 log10(1/MSE) of a against b for images in [0, 1].
func psnr(a, b *engine.Tensor) float64 {
	av, bv := a.Float64s(), b.Float64s()
	var se float64
	for i := range av {
		d := av[i] - bv[i]
		se += d * d
	}
	return 10 * math.Log10(float64(len(av))/se)
}
