package vis

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Series is one line of a Plot: points (X[i], Y[i]) joined in order; points
// with a non-finite coordinate (or Y <= 0 on a log axis) break the line.
type Series struct {
	Name string
	X, Y []float64
	// Color is the line's colour; the zero value takes SeriesColors[i] by
	// the series' position.
	Color color.RGBA
}

// SeriesColors are the default line colours, in order (cycled).
var SeriesColors = []color.RGBA{
	{66, 165, 245, 255}, {255, 167, 38, 255}, {102, 187, 106, 255}, {239, 83, 80, 255},
	{171, 71, 188, 255}, {38, 198, 218, 255}, {255, 238, 88, 255}, {141, 110, 99, 255},
}

// Plot margins, in pixels: the title and legend strip above, the y tick
// labels on the left, the x range labels below.
const (
	plotTop    = LabelHeight + 2
	plotLeft   = 58
	plotRight  = 8
	plotBottom = 16
)

var (
	axisColor = color.RGBA{150, 150, 150, 255}
	textColor = color.RGBA{230, 230, 230, 255}
)

// Plot draws series as a w x h line chart on Background: the title and the
// series' names (in their colours) above, a frame, the y range (log10
// scale when logY) labelled at the top and bottom of the left axis and the
// x range below. The axes span the finite points of all series (a
// degenerate range is widened); with no finite point only the frame and
// labels are drawn. It panics when w or h is too small for the margins.
func Plot(w, h int, title string, logY bool, series ...Series) *image.RGBA {
	if w < plotLeft+plotRight+8 || h < plotTop+plotBottom+8 {
		panic(fmt.Sprintf("vis: Plot: size %dx%d is below the minimum %dx%d", w, h, plotLeft+plotRight+8, plotTop+plotBottom+8))
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), &image.Uniform{Background}, image.Point{}, draw.Src)
	area := image.Rect(plotLeft, plotTop, w-plotRight, h-plotBottom)
	ty := func(y float64) float64 {
		if logY {
			if !(y > 0) {
				return math.NaN()
			}
			return math.Log10(y)
		}
		return y
	}
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for i := range min(len(s.X), len(s.Y)) {
			x, y := s.X[i], ty(s.Y[i])
			if finite(x) && finite(y) {
				x0, x1, y0, y1 = math.Min(x0, x), math.Max(x1, x), math.Min(y0, y), math.Max(y1, y)
			}
		}
	}
	has := x0 <= x1
	if has {
		x0, x1 = widen(x0, x1)
		y0, y1 = widen(y0, y1)
	}
	// Frame.
	for x := area.Min.X; x < area.Max.X; x++ {
		out.SetRGBA(x, area.Min.Y, axisColor)
		out.SetRGBA(x, area.Max.Y-1, axisColor)
	}
	for y := area.Min.Y; y < area.Max.Y; y++ {
		out.SetRGBA(area.Min.X, y, axisColor)
		out.SetRGBA(area.Max.X-1, y, axisColor)
	}
	// Title and legend.
	x := text(out, 2, LabelHeight-3, title, textColor) + 10
	for i, s := range series {
		x = text(out, x, LabelHeight-3, s.Name, colorOf(s, i)) + 10
	}
	if !has {
		return out
	}
	yl := func(v float64) string {
		if logY {
			v = math.Pow(10, v)
		}
		return fmt.Sprintf("%.3g", v)
	}
	text(out, 2, area.Min.Y+10, yl(y1), textColor)
	text(out, 2, area.Max.Y-2, yl(y0), textColor)
	text(out, area.Min.X, h-3, fmt.Sprintf("%.4g", x0), textColor)
	xs := fmt.Sprintf("%.4g", x1)
	text(out, area.Max.X-7*len(xs), h-3, xs, textColor)
	// Lines, inside the frame.
	inner := area.Inset(1)
	px := func(x, y float64) (float64, float64) {
		fx := float64(inner.Min.X) + (x-x0)/(x1-x0)*float64(inner.Dx()-1)
		fy := float64(inner.Max.Y-1) - (y-y0)/(y1-y0)*float64(inner.Dy()-1)
		return fx, fy
	}
	for i, s := range series {
		c := colorOf(s, i)
		prev := false
		var lx, ly float64
		for j := range min(len(s.X), len(s.Y)) {
			x, y := s.X[j], ty(s.Y[j])
			if !finite(x) || !finite(y) {
				prev = false
				continue
			}
			fx, fy := px(x, y)
			if prev {
				line(out, inner, lx, ly, fx, fy, c)
			} else {
				line(out, inner, fx, fy, fx, fy, c)
			}
			lx, ly, prev = fx, fy, true
		}
	}
	return out
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// widen returns [lo, hi], or a unit-wide range around lo when it is empty.
func widen(lo, hi float64) (float64, float64) {
	if hi > lo {
		return lo, hi
	}
	d := math.Max(math.Abs(lo)*0.05, 0.5)
	return lo - d, hi + d
}

func colorOf(s Series, i int) color.RGBA {
	if s.Color != (color.RGBA{}) {
		return s.Color
	}
	return SeriesColors[i%len(SeriesColors)]
}

// line draws a 1-pixel line from (ax, ay) to (bx, by) clipped to r.
func line(dst *image.RGBA, r image.Rectangle, ax, ay, bx, by float64, c color.RGBA) {
	n := int(math.Ceil(math.Max(math.Abs(bx-ax), math.Abs(by-ay))))
	for k := 0; k <= n; k++ {
		t := 0.0
		if n > 0 {
			t = float64(k) / float64(n)
		}
		p := image.Pt(int(math.Round(ax+t*(bx-ax))), int(math.Round(ay+t*(by-ay))))
		if p.In(r) {
			dst.SetRGBA(p.X, p.Y, c)
		}
	}
}

// text draws s with its baseline at (x, y) in basicfont's 7x13 face and
// returns the x after it.
func text(dst *image.RGBA, x, y int, s string, c color.RGBA) int {
	if s == "" {
		return x
	}
	d := font.Drawer{Dst: dst, Src: &image.Uniform{c}, Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
	return d.Dot.X.Round()
}

// Grid places images in rows of cols, Gap pixels apart (Stack of Panels).
func Grid(images []image.Image, cols int) *image.RGBA {
	cols = max(cols, 1)
	var rows []image.Image
	for i := 0; i < len(images); i += cols {
		rows = append(rows, Panel(images[i:min(i+cols, len(images))], nil))
	}
	return Stack(rows...)
}
