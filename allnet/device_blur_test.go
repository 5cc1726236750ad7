package allnet

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/data"
	"allnet/data/degrade"
	"allnet/data/loader"
	"allnet/data/transform"
	"allnet/engine"
)

// blurTestImages returns n random clean images (N, 3, h, w) in [0, 1].
func blurTestImages(n, h, w int, seed uint64) []float32 {
	return engine.NewGenerator(seed).Uniform(engine.CPU(), engine.Float32, n, 3, h, w).Float32s()
}

// TestDeviceBlurMatchesHostBlur checks DeviceBlur against degrade's host
// blur for noise-free kernels of different sizes in one batch: the same
// image to float32 rounding, borders included (both repeat the edge).
func TestDeviceBlurMatchesHostBlur(t *testing.T) {
	const h, w = 23, 31
	params := []degrade.BlurParams{
		{Length: 7, Angle: 30, Curvature: 0.2},
		{Length: 2.5, Angle: 100},
		{Length: 13, Angle: -45, Curvature: -0.3},
	}
	n := len(params)
	pix := blurTestImages(n, h, w, 7)
	got := DeviceBlur(engine.FromFloat32(engine.CPU(), pix, n, 3, h, w), params, nil).Float32s()
	size := 3 * h * w
	for i, p := range params {
		img := data.Image{C: 3, H: h, W: w, Pix: pix[i*size : (i+1)*size]}
		want, err := degrade.ApplySpec(img, nil, degrade.Spec{Type: degrade.Blur, Seed: 1, Params: p})
		require.NoError(t, err)
		worst := 0.0
		for j, v := range want.Pix {
			worst = math.Max(worst, math.Abs(float64(v-got[i*size+j])))
		}
		require.Less(t, worst, 2e-5, "image %d (%+v)", i, p)
		diff := 0.0
		for j, v := range img.Pix {
			diff = math.Max(diff, math.Abs(float64(v-got[i*size+j])))
		}
		require.Greater(t, diff, 0.05, "image %d is blurred", i)
	}
}

// TestDeviceBlurNoise checks the Poisson-Gaussian noise of DeviceBlur on
// a flat grey image (which the blur leaves flat): in the linear domain it
// has mean L and variance Shot*L + Read^2, and a flat image without noise
// stays exactly as it was.
func TestDeviceBlurNoise(t *testing.T) {
	const h, w, grey = 64, 64, 0.5
	flat := engine.Full(engine.CPU(), engine.Float32, grey, 1, 3, h, w)
	p := degrade.BlurParams{Length: 9, Angle: 20, Shot: 0.01, Read: 0.02}
	lin := math.Pow(grey, degrade.Gamma)
	out := DeviceBlur(flat, []degrade.BlurParams{p}, engine.NewGenerator(3)).Float64s()
	var sum, sq float64
	for _, v := range out {
		l := math.Pow(v, degrade.Gamma) - lin
		sum += l
		sq += l * l
	}
	cnt := float64(len(out))
	mean, variance := sum/cnt, sq/cnt-(sum/cnt)*(sum/cnt)
	want := p.Shot*lin + p.Read*p.Read
	require.InDelta(t, 0, mean, 4*math.Sqrt(want/cnt), "mean of the linear noise")
	require.InDelta(t, want, variance, 0.1*want, "variance of the linear noise")

	p.Shot, p.Read = 0, 0
	for _, v := range DeviceBlur(flat, []degrade.BlurParams{p}, nil).Float32s() {
		require.InDelta(t, grey, v, 1e-6)
	}
}

// TestApplyDeferredBlur checks that only the batch's deferred images
// change, into DeviceBlur of their clean image (normalised in x), and that
// a deferred image that is not a blur is an error naming it.
func TestApplyDeferredBlur(t *testing.T) {
	const n, h, w = 3, 16, 20
	size := 3 * h * w
	clean := blurTestImages(n, h, w, 11)
	images := blurTestImages(n, h, w, 12)
	for i := range n {
		transform.Normalize(data.Image{C: 3, H: h, W: w, Pix: images[i*size : (i+1)*size]}, transform.ImageNetMean, transform.ImageNetStd)
	}
	p := degrade.BlurParams{Length: 6, Angle: 70, Read: 0.01}
	b := &loader.Batch{B: n, H: h, W: w, Names: []string{"a", "b", "c"}, Images: images, Clean: clean,
		Types:    []string{"noise", "blur", "haze"},
		Specs:    []degrade.Spec{{Type: degrade.Noise}, {Type: degrade.Blur, Seed: 99, Params: p}, {Type: degrade.Haze}},
		Deferred: []bool{false, true, false}}
	x0, d0, tg := BatchTensors(b, engine.CPU())
	x, d, err := ApplyDeferredBlur(b, x0, d0, tg.Clean)
	require.NoError(t, err)
	xs, ds, x0s, d0s := x.Float32s(), d.Float32s(), x0.Float32s(), d0.Float32s()
	for _, i := range []int{0, 2} {
		require.Equal(t, x0s[i*size:(i+1)*size], xs[i*size:(i+1)*size], "image %d of x", i)
		require.Equal(t, d0s[i*size:(i+1)*size], ds[i*size:(i+1)*size], "image %d of degraded01", i)
	}
	want := DeviceBlur(engine.FromFloat32(engine.CPU(), clean[size:2*size], 1, 3, h, w), []degrade.BlurParams{p},
		engine.NewGenerator(99)).Float32s()
	require.Equal(t, want, ds[size:2*size])
	norm := data.Image{C: 3, H: h, W: w, Pix: append([]float32(nil), want...)}
	transform.Normalize(norm, transform.ImageNetMean, transform.ImageNetStd)
	require.InDeltaSlice(t, norm.Pix, xs[size:2*size], 1e-5)

	b.Specs[1] = degrade.Spec{Type: degrade.Rain, Params: degrade.RainParams{}}
	_, _, err = ApplyDeferredBlur(b, x0, d0, tg.Clean)
	require.ErrorContains(t, err, `image "b"`)
}

// TestTrainBlurOnDevice trains with blur_on_device "on" on the CPU (the
// path a GPU takes): it runs, repeats exactly, and differs from the host
// blur's run (its noise is drawn differently); "auto" on the CPU is the
// host path.
func TestTrainBlurOnDevice(t *testing.T) {
	dir := t.TempDir()
	run := func(name, mode string) map[string][]float32 {
		c := tinyTrainConfig(filepath.Join(dir, name))
		c.Iters, c.BlurOnDevice = 3, mode
		_, err := Train(c, TrainHooks{})
		require.NoError(t, err, name)
		return stateOf(t, filepath.Join(dir, name, RunLastCkpt))
	}
	on1, on2, auto, off := run("on1", BlurOn), run("on2", BlurOn), run("auto", BlurAuto), run("off", BlurOff)
	require.True(t, bitEqual(on1, on2), "device blur is not deterministic")
	require.True(t, bitEqual(auto, off), "auto on the CPU blurs on the host")
	require.False(t, bitEqual(on1, off), "the device path changed nothing: no blurred image in 3 steps?")
}

// BenchmarkBlur blurs 4 images of 288x384 (the NYUD working size) with
// the default blur ranges: on the host as the loader does (one image after
// another) and through DeviceBlur on the CPU backend (the path a GPU takes).
func BenchmarkBlur(b *testing.B) {
	const n, h, w = 4, 288, 384
	pix := blurTestImages(n, h, w, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	params := make([]degrade.BlurParams, n)
	for i := range params {
		params[i] = degrade.DefaultBlur().Sample(rng)
	}
	size := 3 * h * w
	b.Run("host", func(b *testing.B) {
		for b.Loop() {
			for i, p := range params {
				img := data.Image{C: 3, H: h, W: w, Pix: pix[i*size : (i+1)*size]}
				if _, err := degrade.ApplySpec(img, nil, degrade.Spec{Type: degrade.Blur, Seed: uint64(i), Params: p}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("device-cpu", func(b *testing.B) {
		x := engine.FromFloat32(engine.CPU(), pix, n, 3, h, w)
		for b.Loop() {
			DeviceBlur(x, params, engine.NewGenerator(1))
		}
	})
}
