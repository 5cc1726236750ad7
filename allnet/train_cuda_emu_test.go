//go:build !cuda

package allnet

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"allnet/data/degrade"
	"allnet/engine"
	"allnet/engine/backend"
	"allnet/engine/cuda"
	"allnet/kernels/emu"
	"github.com/stretchr/testify/require"
)

var registerEmuOnce sync.Once

// registerEmulatedCUDA makes "cuda" open the CUDA backend on an emulated
// device (kernels/emu), as the cuda build does with a GPU.
func registerEmulatedCUDA(t *testing.T) {
	if !emu.Available {
		t.Skip("kernels/emu needs cgo and a C++ compiler")
	}
	registerEmuOnce.Do(func() {
		cuda.RegisterDriver(func(int) (cuda.Driver, error) { return emu.New(emu.Options{}), nil },
			func() ([]string, error) { return []string{"cuda:0 emulated (kernels/emu)"}, nil })
	})
}

// lossesOf reads the total loss of each step from a run's log.jsonl.
func lossesOf(t *testing.T, dir string) []float64 {
	f, err := os.Open(filepath.Join(dir, RunLogFile))
	require.NoError(t, err)
	defer f.Close()
	var out []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l struct{ Loss float64 }
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l))
		out = append(out, l.Loss)
	}
	return out
}

// TestTrainOnEmulatedCUDA trains allnet-tiny for two steps on the CUDA
// backend over the emulated driver (every kernel of the model's forward,
// backward and AdamW step, as on a GPU) and on the CPU from the same seed:
// the losses of both steps and the weights after them agree to float32
// rounding.
func TestTrainOnEmulatedCUDA(t *testing.T) {
	if testing.Short() {
		t.Skip("about a minute on the emulator")
	}
	registerEmulatedCUDA(t)
	runs := map[string]string{}
	for _, dev := range []string{"cpu", "cuda"} {
		dir := filepath.Join(t.TempDir(), dev)
		cfg := tinyTrainConfig(dir)
		// 64x32: batch norms need two values per channel at 1/32.
		cfg.Iters, cfg.Batch, cfg.SynthSize, cfg.Device = 2, 1, [2]int{64, 32}, dev
		// Both blur on the training device (through the PSF kernel on
		// CUDA), so that their inputs are the same.
		cfg.BlurOnDevice = BlurOn
		_, err := Train(cfg, TrainHooks{})
		require.NoError(t, err, dev)
		runs[dev] = dir
	}
	lc, lg := lossesOf(t, runs["cpu"]), lossesOf(t, runs["cuda"])
	require.Len(t, lg, 2)
	for i := range lc {
		require.InDelta(t, lc[i], lg[i], 1e-3*math.Abs(lc[i]), "step %d loss: cpu %v, cuda %v", i+1, lc[i], lg[i])
	}
	wc := stateOf(t, filepath.Join(runs["cpu"], RunLastCkpt))
	wg := stateOf(t, filepath.Join(runs["cuda"], RunLastCkpt))
	var num, den float64
	for k, a := range wc {
		b := wg[k]
		require.Len(t, b, len(a), k)
		for i := range a {
			d := float64(a[i]) - float64(b[i])
			num += d * d
			den += float64(a[i]) * float64(a[i])
		}
	}
	// AdamW turns float32 rounding in near-zero gradients into differences
	// of up to lr per element; the two updates themselves move the
	// weights by about 1e-2 relative.
	rel := math.Sqrt(num / den)
	t.Logf("weights after two steps: relative difference cpu vs cuda %.2e", rel)
	require.Less(t, rel, 1e-3, "weights after two steps, relative difference cpu vs cuda")
}

// TestDeviceBlurOnEmulatedCUDA runs DeviceBlur, noise included, on the
// CUDA backend over the emulated driver and on the CPU: the same blurred
// images to float32 rounding.
func TestDeviceBlurOnEmulatedCUDA(t *testing.T) {
	registerEmulatedCUDA(t)
	dev, err := backend.Open("cuda")
	require.NoError(t, err)
	const n, h, w = 2, 19, 27
	pix := blurTestImages(n, h, w, 5)
	params := []degrade.BlurParams{{Length: 9, Angle: 15, Curvature: 0.1, Shot: 0.005, Read: 0.01}, {Length: 4, Angle: 200}}
	want := DeviceBlur(engine.FromFloat32(engine.CPU(), pix, n, 3, h, w), params, engine.NewGenerator(8)).Float32s()
	got := DeviceBlur(engine.FromFloat32(dev, pix, n, 3, h, w), params, engine.NewGenerator(8)).Float32s()
	require.InDeltaSlice(t, want, got, 1e-4)
}

// TestTrainReplicasRefuseCUDA: replicas are a CPU option; on a CUDA device
// Train refuses them before it writes anything.
func TestTrainReplicasRefuseCUDA(t *testing.T) {
	registerEmulatedCUDA(t)
	dir := filepath.Join(t.TempDir(), "run")
	cfg := tinyTrainConfig(dir)
	cfg.Device, cfg.Replicas = "cuda", 2
	_, err := Train(cfg, TrainHooks{})
	require.ErrorContains(t, err, "replicas run on the CPU only")
	require.NoDirExists(t, dir)
}
