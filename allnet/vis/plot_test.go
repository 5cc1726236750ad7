package vis

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countColor counts the pixels of colour c in r.
func countColor(m *image.RGBA, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if m.RGBAAt(x, y) == c {
				n++
			}
		}
	}
	return n
}

func TestPlotMonotone(t *testing.T) {
	red := color.RGBA{255, 0, 0, 255}
	var xs, ys []float64
	for i := range 50 {
		xs, ys = append(xs, float64(i)), append(ys, float64(i*i))
	}
	const w, h = 300, 200
	m := Plot(w, h, "loss", false, Series{Name: "up", X: xs, Y: ys, Color: red})
	require.Equal(t, image.Rect(0, 0, w, h), m.Bounds())
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, m))
	dec, err := png.Decode(&buf)
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, w, h), dec.Bounds())

	area := image.Rect(plotLeft, plotTop, w-plotRight, h-plotBottom)
	mid := image.Pt((area.Min.X+area.Max.X)/2, (area.Min.Y+area.Max.Y)/2)
	lowerLeft := image.Rectangle{image.Pt(area.Min.X, mid.Y), image.Pt(mid.X, area.Max.Y)}
	upperRight := image.Rectangle{image.Pt(mid.X, area.Min.Y), image.Pt(area.Max.X, mid.Y)}
	upperLeft := image.Rectangle{area.Min, mid}
	assert.Greater(t, countColor(m, lowerLeft, red), 50, "the curve starts bottom left")
	assert.Greater(t, countColor(m, upperRight, red), 50, "and ends top right")
	assert.Zero(t, countColor(m, upperLeft, red), "a convex increasing curve stays out of the top-left quarter")
	// The end points are at the corners of the inner area.
	in := area.Inset(1)
	assert.Equal(t, red, m.RGBAAt(in.Min.X, in.Max.Y-1))
	assert.Equal(t, red, m.RGBAAt(in.Max.X-1, in.Min.Y))
	assert.Zero(t, countColor(m, image.Rect(0, plotTop, plotLeft, h), red), "nothing outside the frame")
}

func TestPlotLogAndGaps(t *testing.T) {
	// Decreasing over 4 decades: on a log axis the points are evenly spaced
	// down a straight line, so the midpoint (x=2, y=100) is at the centre.
	xs := []float64{0, 1, 2, 3, 4}
	ys := []float64{1e4, 1e3, 1e2, 1e1, 1}
	const w, h = 200, 150
	m := Plot(w, h, "", true, Series{X: xs, Y: ys})
	c := SeriesColors[0]
	in := image.Rect(plotLeft, plotTop, w-plotRight, h-plotBottom).Inset(1)
	cx := in.Min.X + (in.Dx()-1)/2
	cy := in.Min.Y + (in.Dy()-1)/2
	assert.Greater(t, countColor(m, image.Rect(cx-1, cy-1, cx+2, cy+2), c), 0, "log midpoint at the centre")
	assert.Equal(t, c, m.RGBAAt(in.Min.X, in.Min.Y), "first point top left")

	// Non-finite and non-positive values are skipped without a panic;
	// an all-invalid series draws no line.
	m = Plot(200, 150, "t", true, Series{X: []float64{0, 1}, Y: []float64{math.NaN(), -1}})
	assert.Zero(t, countColor(m, in, c))
	// A constant series is drawn (widened range).
	m = Plot(200, 150, "t", false, Series{X: []float64{0, 1, 2}, Y: []float64{3, 3, 3}})
	assert.Greater(t, countColor(m, in, c), 50)
	assert.Panics(t, func() { Plot(10, 10, "", false) })
}

func TestGrid(t *testing.T) {
	a := solid(10, 20, rgba(255, 0, 0))
	g := Grid([]image.Image{a, a, a}, 2)
	assert.Equal(t, image.Rect(0, 0, 20+Gap, 40+Gap), g.Bounds())
}
