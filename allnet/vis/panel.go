package vis

import (
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Panel layout, in pixels.
const (
	// Gap is the space between tiles (and between panels in Stack).
	Gap = 4
	// LabelHeight is the strip above the tiles that holds the labels
	// (basicfont's 7x13 face plus 3 pixels); a panel without labels has
	// none.
	LabelHeight = 16
)

// Background is the colour around and between tiles; labels are drawn in
// white on it.
var Background = color.RGBA{32, 32, 32, 255}

// Panel places images left to right, top-aligned, Gap pixels apart, with
// labels[i] (may be shorter than images, or "") written above image i in
// basicfont's 7x13 face and clipped to its width. Its size is
// (sum of widths + Gap*(n-1)) x (max height + LabelHeight), the label strip
// counting only when some label is non-empty. Nil images take no space.
func Panel(images []image.Image, labels []string) *image.RGBA {
	w, h, strip := 0, 0, 0
	n := 0
	for i, im := range images {
		if im == nil {
			continue
		}
		if n > 0 {
			w += Gap
		}
		n++
		b := im.Bounds()
		w += b.Dx()
		h = max(h, b.Dy())
		if i < len(labels) && labels[i] != "" {
			strip = LabelHeight
		}
	}
	out := image.NewRGBA(image.Rect(0, 0, max(w, 1), max(h+strip, 1)))
	draw.Draw(out, out.Bounds(), &image.Uniform{Background}, image.Point{}, draw.Src)
	x := 0
	for i, im := range images {
		if im == nil {
			continue
		}
		b := im.Bounds()
		draw.Draw(out, image.Rect(x, strip, x+b.Dx(), strip+b.Dy()), im, b.Min, draw.Src)
		if i < len(labels) && labels[i] != "" {
			label(out, image.Rect(x, 0, x+b.Dx(), strip), labels[i])
		}
		x += b.Dx() + Gap
	}
	return out
}

// Stack places panels top to bottom, left-aligned, Gap pixels apart (for
// several samples in one picture). Its size is max width x (sum of heights
// + Gap*(n-1)).
func Stack(panels ...image.Image) *image.RGBA {
	w, h, n := 0, 0, 0
	for _, p := range panels {
		if p == nil {
			continue
		}
		if n > 0 {
			h += Gap
		}
		n++
		b := p.Bounds()
		w, h = max(w, b.Dx()), h+b.Dy()
	}
	out := image.NewRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
	draw.Draw(out, out.Bounds(), &image.Uniform{Background}, image.Point{}, draw.Src)
	y := 0
	for _, p := range panels {
		if p == nil {
			continue
		}
		b := p.Bounds()
		draw.Draw(out, image.Rect(0, y, b.Dx(), y+b.Dy()), p, b.Min, draw.Src)
		y += b.Dy() + Gap
	}
	return out
}

// label writes s in white into r of dst (baseline 3 pixels above r's
// bottom, 2 pixels in from its left), clipped to r.
func label(dst *image.RGBA, r image.Rectangle, s string) {
	face := basicfont.Face7x13
	sub := dst.SubImage(r).(*image.RGBA)
	d := font.Drawer{Dst: sub, Src: image.White, Face: face,
		Dot: fixed.P(r.Min.X+2, r.Max.Y-3)}
	d.DrawString(s)
}
