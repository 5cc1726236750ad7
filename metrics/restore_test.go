package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// ssimPair builds the image pair of testdata/gen_golden.py's ssim_pair.
func ssimPair(c, h, w int) (x, ref []float32) {
	x, ref = make([]float32, c*h*w), make([]float32, c*h*w)
	for ch := 0; ch < c; ch++ {
		for y := 0; y < h; y++ {
			for xx := 0; xx < w; xx++ {
				cc, yy, xf := float64(ch), float64(y), float64(xx)
				r := 0.5 + 0.45*math.Sin(0.37*xf+0.23*yy*(cc+1)+cc)
				i := (ch*h+y)*w + xx
				ref[i] = float32(r)
				x[i] = float32(r + 0.2*math.Sin(1.7*xf*yy+0.5*cc) - 0.05)
			}
		}
	}
	return x, ref
}

func TestSSIMAndPSNRMatchScikitImage(t *testing.T) {
	for _, c := range loadGolden(t).SSIM {
		x, ref := ssimPair(c.C, c.H, c.W)
		g, err := SSIM(x, ref, c.C, c.H, c.W, SSIMGaussian)
		require.NoError(t, err)
		u, err := SSIM(x, ref, c.C, c.H, c.W, SSIMUniform7)
		require.NoError(t, err)
		require.InDelta(t, c.SSIMGaussian, g, 1e-6, "gaussian %dx%dx%d", c.C, c.H, c.W)
		require.InDelta(t, c.SSIMUniform7, u, 1e-6, "uniform7 %dx%dx%d", c.C, c.H, c.W)
		require.InDelta(t, c.PSNR, PSNR(x, ref), 1e-5)
	}
}

// ssimNaive is SSIM with a direct 2-D window sum at every pixel where the
// window fits, written from the definition.
func ssimNaive(x, ref []float32, c, h, w int, win SSIMWindow) float64 {
	w1, sample := ssimWeights(win)
	k := len(w1)
	cov := 1.0
	if sample {
		cov = float64(k*k) / float64(k*k-1)
	}
	var total float64
	for ch := 0; ch < c; ch++ {
		var sum float64
		var n int
		for y0 := 0; y0+k <= h; y0++ {
			for x0 := 0; x0+k <= w; x0++ {
				var mx, my, mxx, myy, mxy float64
				for j := 0; j < k; j++ {
					for i := 0; i < k; i++ {
						wt := w1[j] * w1[i]
						a := clip01(x[(ch*h+y0+j)*w+x0+i])
						b := clip01(ref[(ch*h+y0+j)*w+x0+i])
						mx += wt * a
						my += wt * b
						mxx += wt * a * a
						myy += wt * b * b
						mxy += wt * a * b
					}
				}
				vx, vy, vxy := cov*(mxx-mx*mx), cov*(myy-my*my), cov*(mxy-mx*my)
				c1, c2 := 0.0001, 0.0009
				sum += (2*mx*my + c1) * (2*vxy + c2) / ((mx*mx + my*my + c1) * (vx + vy + c2))
				n++
			}
		}
		total += sum / float64(n)
	}
	return total / float64(c)
}

func TestSSIMMatchesNaiveWindowSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	c, h, w := 2, 19, 23
	x, ref := make([]float32, c*h*w), make([]float32, c*h*w)
	for i := range x {
		ref[i] = rng.Float32()
		x[i] = ref[i] + 0.3*(rng.Float32()-0.5) // some values leave [0, 1]
	}
	for _, win := range []SSIMWindow{SSIMGaussian, SSIMUniform7} {
		got, err := SSIM(x, ref, c, h, w, win)
		require.NoError(t, err)
		require.InDelta(t, ssimNaive(x, ref, c, h, w, win), got, 1e-12)
	}
}

func TestSSIMHandValues(t *testing.T) {
	c, h, w := 1, 12, 12
	a, b := make([]float32, h*w), make([]float32, h*w)
	for i := range a {
		a[i], b[i] = 0.25, 0.75
	}
	// Constant images: variances are 0, so SSIM = (2ab + C1)/(a^2 + b^2 + C1).
	want := (2*0.25*0.75 + 1e-4) / (0.25*0.25 + 0.75*0.75 + 1e-4)
	for _, win := range []SSIMWindow{SSIMGaussian, SSIMUniform7} {
		s, err := SSIM(a, b, c, h, w, win)
		require.NoError(t, err)
		require.InDelta(t, want, s, 1e-12)
		s, err = SSIM(a, a, c, h, w, win)
		require.NoError(t, err)
		require.InDelta(t, 1, s, 1e-12)
	}
	_, err := SSIM(a[:100], b[:100], 1, 10, 10, SSIMGaussian)
	require.ErrorContains(t, err, "smaller than the 11x11 window")
}

func TestPSNRHandValues(t *testing.T) {
	ref := []float32{0.1, 0.5, 0.9, 0.0}
	x := []float32{0.2, 0.4, 1.0, 0.1} // every value off by 0.1: MSE 0.01
	require.InDelta(t, 20, PSNR(x, ref), 1e-5)
	// Clipping: 1.5 and -1 read as 1 and 0, identical to ref: capped.
	require.Equal(t, MaxPSNR, PSNR([]float32{1.5, -1}, []float32{1, 0}))
}

func TestRestorationAccumulatesMeansOverImages(t *testing.T) {
	c, h, w := 1, 11, 11
	n := c * h * w
	clean, restored, degraded := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range clean {
		clean[i] = 0.5
		restored[i] = 0.5 + 0.01 // MSE 1e-4: 40 dB
		degraded[i] = 0.5 + 0.1  // MSE 1e-2: 20 dB
	}
	r := NewRestoration(SSIMGaussian)
	require.NoError(t, r.Add(restored, degraded, clean, c, h, w))
	same := append([]float32(nil), clean...)
	require.NoError(t, r.Add(same, nil, clean, c, h, w)) // 100 dB (capped), no input
	res := r.Result()
	require.Equal(t, 2, res.Images)
	require.InDelta(t, (40+100)/2.0, float64(res.PSNR), 1e-4)
	require.InDelta(t, 20, float64(res.InputPSNR), 1e-4) // one degraded input only
	s1 := (2*0.5*0.51 + 1e-4) / (0.25 + 0.51*0.51 + 1e-4)
	require.InDelta(t, (s1+1)/2, float64(res.SSIM), 1e-7)

	// Merge of two halves equals one accumulator.
	a, b := NewRestoration(SSIMGaussian), NewRestoration(SSIMGaussian)
	require.NoError(t, a.Add(restored, degraded, clean, c, h, w))
	require.NoError(t, b.Add(same, nil, clean, c, h, w))
	require.NoError(t, a.Merge(b))
	require.Equal(t, res, a.Result())
	require.Error(t, a.Merge(NewRestoration(SSIMUniform7)))

	require.ErrorContains(t, r.Add(restored[:5], nil, clean, c, h, w), "restored image has 5 values")
	empty := NewRestoration(SSIMUniform7).Result()
	require.False(t, empty.PSNR.Valid())
}
