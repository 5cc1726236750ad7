package transform

import (
	"fmt"
	"math"
	"math/rand/v2"

	"allnet/data"
)

// JitterOptions set the photometric jitter of the image (the other tasks are
// untouched), after mmseg's PhotoMetricDistortion that MTL-style training
// uses: each of four operations runs with probability Prob, in this order,
// and the image is clipped to [0, 1] after each.
//   - brightness: add delta ~ U(-Brightness, Brightness) to every channel
//     (32/255 by default, mmseg's delta of 32 on 0-255 intensities);
//   - contrast: v' = m + a (v - m) with a ~ U(1-Contrast, 1+Contrast) and m
//     the image's mean luma (torchvision's contrast; default 0.5..1.5);
//   - saturation: v' = g + a (v - g) with a ~ U(1-Saturation, 1+Saturation)
//     and g the pixel's luma 0.299 R + 0.587 G + 0.114 B (default 0.5..1.5);
//   - hue: rotate each RGB vector about the grey axis (1,1,1) by
//     theta ~ U(-Hue, Hue) degrees (default 18; mmseg's hue_delta of 18 is
//     on OpenCV's 0-180 scale, i.e. up to 36 degrees: we stay milder). Grey is
//     unchanged, the channel mean is kept and 120 degrees permutes R, G, B.
type JitterOptions struct {
	Prob       float64 `json:"prob" yaml:"prob"`
	Brightness float64 `json:"brightness" yaml:"brightness"`
	Contrast   float64 `json:"contrast" yaml:"contrast"`
	Saturation float64 `json:"saturation" yaml:"saturation"`
	Hue        float64 `json:"hue" yaml:"hue"` // degrees
}

// DefaultJitter returns probability 0.5, brightness 32/255, contrast and
// saturation 0.5 (factors 0.5..1.5) and hue 18 degrees.
func DefaultJitter() JitterOptions {
	return JitterOptions{Prob: 0.5, Brightness: 32.0 / 255, Contrast: 0.5, Saturation: 0.5, Hue: 18}
}

// Validate reports a field outside its domain: Prob, Brightness, Contrast and
// Saturation in [0, 1], Hue in [0, 180].
func (o JitterOptions) Validate() error {
	for _, f := range []struct {
		name   string
		v, max float64
	}{{"prob", o.Prob, 1}, {"brightness", o.Brightness, 1}, {"contrast", o.Contrast, 1},
		{"saturation", o.Saturation, 1}, {"hue", o.Hue, 180}} {
		if !(f.v >= 0 && f.v <= f.max) {
			return fmt.Errorf("jitter %s = %g: must lie in [0, %g]", f.name, f.v, f.max)
		}
	}
	return nil
}

// PhotometricJitter jitters s.Image as JitterOptions describe. For each
// operation in order it draws u = rng.Float64() and, when u < Prob, one more
// Float64 for the operation's parameter.
func PhotometricJitter(s *data.Sample, rng *rand.Rand, o JitterOptions) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if err := Check(s); err != nil {
		return err
	}
	draw := func(r float64) (float64, bool) {
		if rng.Float64() >= o.Prob {
			return 0, false
		}
		return r * (2*rng.Float64() - 1), true
	}
	img := s.Image.Clone()
	if d, ok := draw(o.Brightness); ok {
		brightness(img, d)
	}
	if a, ok := draw(o.Contrast); ok {
		contrast(img, 1+a)
	}
	if a, ok := draw(o.Saturation); ok {
		saturation(img, 1+a)
	}
	if t, ok := draw(o.Hue); ok {
		hue(img, t)
	}
	s.Image = img
	return nil
}

// brightness adds d to every value.
func brightness(img data.Image, d float64) {
	for i, v := range img.Pix {
		img.Pix[i] = clip(float64(v) + d)
	}
}

// contrast scales every value by a about the image's mean luma.
func contrast(img data.Image, a float64) {
	n := img.H * img.W
	r, g, b := img.Pix[:n], img.Pix[n:2*n], img.Pix[2*n:]
	var sum float64
	for i := range n {
		sum += luma(r[i], g[i], b[i])
	}
	m := sum / float64(n)
	for i, v := range img.Pix {
		img.Pix[i] = clip(m + a*(float64(v)-m))
	}
}

// saturation scales every pixel by a about its own luma.
func saturation(img data.Image, a float64) {
	n := img.H * img.W
	r, g, b := img.Pix[:n], img.Pix[n:2*n], img.Pix[2*n:]
	for i := range n {
		l := luma(r[i], g[i], b[i])
		r[i] = clip(l + a*(float64(r[i])-l))
		g[i] = clip(l + a*(float64(g[i])-l))
		b[i] = clip(l + a*(float64(b[i])-l))
	}
}

// hue rotates every pixel about the grey axis by deg degrees.
func hue(img data.Image, deg float64) {
	m := HueRotation(deg)
	n := img.H * img.W
	r, g, b := img.Pix[:n], img.Pix[n:2*n], img.Pix[2*n:]
	for i := range n {
		v := [3]float64{float64(r[i]), float64(g[i]), float64(b[i])}
		r[i] = clip(m[0][0]*v[0] + m[0][1]*v[1] + m[0][2]*v[2])
		g[i] = clip(m[1][0]*v[0] + m[1][1]*v[1] + m[1][2]*v[2])
		b[i] = clip(m[2][0]*v[0] + m[2][1]*v[1] + m[2][2]*v[2])
	}
}

// HueRotation returns the 3x3 matrix rotating RGB vectors about the grey
// axis k = (1,1,1)/sqrt(3) by deg degrees (Rodrigues:
// cos t I + sin t [k]x + (1 - cos t) k k^T).
func HueRotation(deg float64) [3][3]float64 {
	t := deg * math.Pi / 180
	c, s := math.Cos(t), math.Sin(t)
	d := (1 - c) / 3 // (1 - cos t) k_i k_j
	q := s / math.Sqrt(3)
	return [3][3]float64{
		{c + d, d - q, d + q},
		{d + q, c + d, d - q},
		{d - q, d + q, c + d},
	}
}

func luma(r, g, b float32) float64 {
	return 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)
}

func clip(v float64) float32 {
	return float32(min(max(v, 0), 1))
}
