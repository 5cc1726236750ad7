package vis

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/data"
)

func rgba(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 255} }

func TestVOCPalette(t *testing.T) {
	p := VOCPalette()
	// Values of the PASCAL VOC devkit's colour map.
	want := map[int]color.RGBA{
		0: rgba(0, 0, 0), 1: rgba(128, 0, 0), 2: rgba(0, 128, 0), 3: rgba(128, 128, 0),
		4: rgba(0, 0, 128), 7: rgba(128, 128, 128), 8: rgba(64, 0, 0), 15: rgba(192, 128, 128),
		20: rgba(0, 64, 128), 255: rgba(224, 224, 192),
	}
	for i, c := range want {
		assert.Equal(t, c, p[i], "id %d", i)
	}
	seen := map[color.RGBA]bool{}
	for _, c := range p {
		seen[c] = true
	}
	assert.Len(t, seen, 256, "the bit shuffle is a bijection")
}

func TestNYUDPalette(t *testing.T) {
	p := NYUDPalette()
	assert.Equal(t, rgba(174, 199, 232), p[0]) // wall
	assert.Equal(t, rgba(152, 223, 138), p[1]) // floor
	assert.Equal(t, rgba(100, 85, 144), p[39]) // otherprop
	assert.Equal(t, rgba(0, 0, 0), p[255])     // ignore
	assert.Equal(t, VOCPalette()[40], p[40])   // beyond 40: VOC colours
	assert.Equal(t, p, PaletteFor("nyud"))
	assert.Equal(t, VOCPalette(), PaletteFor("pascal"))
	seen := map[color.RGBA]bool{}
	for _, c := range p[:40] {
		seen[c] = true
	}
	assert.Len(t, seen, 40, "40 distinct class colours")
}

func TestSegmentation(t *testing.T) {
	m := Segmentation([]int32{0, 1, 15, 255, -1, 300}, 3, 2, VOCPalette())
	require.Equal(t, image.Rect(0, 0, 3, 2), m.Bounds())
	assert.Equal(t, rgba(0, 0, 0), m.RGBAAt(0, 0))
	assert.Equal(t, rgba(128, 0, 0), m.RGBAAt(1, 0))
	assert.Equal(t, rgba(192, 128, 128), m.RGBAAt(2, 0))
	assert.Equal(t, rgba(224, 224, 192), m.RGBAAt(0, 1))
	assert.Equal(t, rgba(0, 0, 0), m.RGBAAt(1, 1), "negative ids are black")
	assert.Equal(t, rgba(0, 0, 0), m.RGBAAt(2, 1), "ids above 255 are black")
	assert.Panics(t, func() { Segmentation([]int32{1, 2}, 3, 1, VOCPalette()) })
}

func TestTurbo(t *testing.T) {
	// The polynomial evaluated independently (in float64, then *255 rounded).
	assert.Equal(t, rgba(35, 23, 27), Turbo(0))
	assert.Equal(t, rgba(38, 189, 225), Turbo(0.25))
	assert.Equal(t, rgba(150, 250, 80), Turbo(0.5))
	assert.Equal(t, rgba(144, 13, 0), Turbo(1)) // blue below 0 is clamped
	assert.Equal(t, Turbo(0), Turbo(-3))
	assert.Equal(t, Turbo(1), Turbo(7))
	assert.Equal(t, Turbo(0), Turbo(math.NaN()))
}

func TestDepth(t *testing.T) {
	nan := float32(math.NaN())
	d := []float32{0, 10, 5, 2.5, nan, -1, 20, float32(math.Inf(1))}
	m := Depth(d, 4, 2, 0, 10)
	require.Equal(t, image.Rect(0, 0, 4, 2), m.Bounds())
	black := rgba(0, 0, 0)
	assert.Equal(t, black, m.RGBAAt(0, 0), "0 m is invalid")
	assert.Equal(t, Turbo(0), m.RGBAAt(1, 0), "far end is blue")
	assert.Equal(t, Turbo(0.5), m.RGBAAt(2, 0))
	assert.Equal(t, Turbo(0.75), m.RGBAAt(3, 0))
	assert.Equal(t, black, m.RGBAAt(0, 1), "NaN")
	assert.Equal(t, black, m.RGBAAt(1, 1), "negative")
	assert.Equal(t, Turbo(0), m.RGBAAt(2, 1), "beyond the far end clamps")
	assert.Equal(t, black, m.RGBAAt(3, 1), "+Inf")

	lo, hi := DepthRange(d)
	assert.Equal(t, float32(2.5), lo)
	assert.Equal(t, float32(20), hi)
	lo, hi = DepthRange([]float32{0, nan})
	assert.Equal(t, float32(0), lo)
	assert.Equal(t, float32(DepthMax), hi)
	// A constant map (empty range) draws every valid pixel as the near end.
	assert.Equal(t, Turbo(0), Depth([]float32{3}, 1, 1, 3, 3).RGBAAt(0, 0))
}

func TestNormalsAndGray(t *testing.T) {
	// Two pixels: +x and (0, -1, 0); channels-first.
	n := []float32{1, 0, 0, -1, 0, 0}
	m := Normals(n, 2, 1)
	assert.Equal(t, rgba(255, 128, 128), m.RGBAAt(0, 0))
	assert.Equal(t, rgba(128, 0, 128), m.RGBAAt(1, 0))
	g := Gray([]float32{0, 0.5, 1, 2, -1, float32(math.NaN())}, 3, 2)
	assert.Equal(t, []uint8{0, 128, 255, 255, 0, 0}, g.Pix)
	assert.Panics(t, func() { Normals(n[:5], 2, 1) })
}

func TestRGB(t *testing.T) {
	im := data.NewImage(3, 1, 2)
	copy(im.Pix, []float32{1, 0, 0.5, 0, 0.2, 2})
	m := RGB(im)
	assert.Equal(t, rgba(255, 128, 51), m.RGBAAt(0, 0))
	assert.Equal(t, rgba(0, 0, 255), m.RGBAAt(1, 0))
	g := data.NewImage(1, 1, 1)
	g.Pix[0] = 0.2
	assert.Equal(t, rgba(51, 51, 51), RGB(g).RGBAAt(0, 0))
	assert.Panics(t, func() { RGB(data.NewImage(2, 1, 1)) })
}

func solid(w, h int, c color.RGBA) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return m
}

func TestPanelLayout(t *testing.T) {
	red, green := rgba(255, 0, 0), rgba(0, 255, 0)
	a, b := solid(45, 67, red), solid(80, 50, green)
	p := Panel([]image.Image{a, b}, []string{"input", ""})
	require.Equal(t, image.Rect(0, 0, 45+Gap+80, 67+LabelHeight), p.Bounds())
	assert.Equal(t, red, p.RGBAAt(0, LabelHeight))
	assert.Equal(t, red, p.RGBAAt(44, LabelHeight+66))
	assert.Equal(t, Background, p.RGBAAt(45, LabelHeight), "gap")
	assert.Equal(t, green, p.RGBAAt(45+Gap, LabelHeight))
	assert.Equal(t, Background, p.RGBAAt(45+Gap, LabelHeight+50), "below the shorter tile")
	white := 0
	for y := range LabelHeight {
		for x := range 45 {
			if p.RGBAAt(x, y) == rgba(255, 255, 255) {
				white++
			}
		}
	}
	assert.Greater(t, white, 20, "the label is drawn")
	for y := range LabelHeight {
		for x := 45; x < p.Bounds().Dx(); x++ {
			require.Equal(t, Background, p.RGBAAt(x, y), "no label over the second tile at (%d, %d)", x, y)
		}
	}

	// No labels: no strip; nil images take no space.
	q := Panel([]image.Image{a, nil, b, a}, nil)
	assert.Equal(t, image.Rect(0, 0, 45+80+45+2*Gap, 67), q.Bounds())

	s := Stack(p, nil, q)
	assert.Equal(t, image.Rect(0, 0, q.Bounds().Dx(), p.Bounds().Dy()+Gap+67), s.Bounds(), "max width x summed heights")
	assert.Equal(t, red, s.RGBAAt(0, p.Bounds().Dy()+Gap))
}
