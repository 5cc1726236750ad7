// Package vis turns ALLNet's outputs and ground truth into pictures: class
// maps through fixed palettes, depth through the turbo colour map, normals
// as RGB, edge and saliency probabilities as grey, and side-by-side panels
// with small text labels. Inputs follow package data's layout: row-major,
// channels-first float32 or int32 slices with explicit sizes. predict and
// the trainer's panels/ use it.
package vis

import (
	"fmt"
	"image"
	"image/color"
)

// Palette maps a class id 0..255 to a colour.
type Palette [256]color.RGBA

// VOCPalette is PASCAL VOC's colour map (the devkit's bit-shuffle): the
// colour of id i takes bit 3k of i as bit 7-k of red, bit 3k+1 as bit 7-k
// of green and bit 3k+2 as bit 7-k of blue, for k = 0..7. So 0 is black, 1
// (128, 0, 0), 15 (person) (192, 128, 128) and 255 (VOC's "void" border)
// (224, 224, 192). ALLNet uses it for PASCAL semseg and human parts.
func VOCPalette() Palette {
	var p Palette
	for i := range 256 {
		var r, g, b uint8
		c := i
		for j := range 8 {
			r |= uint8(c&1) << (7 - j)
			g |= uint8(c>>1&1) << (7 - j)
			b |= uint8(c>>2&1) << (7 - j)
			c >>= 3
		}
		p[i] = color.RGBA{r, g, b, 255}
	}
	return p
}

// nyu40 are ScanNet's colours for the NYU40 classes (its
// util.create_color_palette, entries 1..40, the palette most NYU40 figures
// use): wall, floor, cabinet, bed, chair, ... otherprop.
var nyu40 = [40][3]uint8{
	{174, 199, 232}, {152, 223, 138}, {31, 119, 180}, {255, 187, 120}, {188, 189, 34},
	{140, 86, 75}, {255, 152, 150}, {214, 39, 40}, {197, 176, 213}, {148, 103, 189},
	{196, 156, 148}, {23, 190, 207}, {178, 76, 76}, {247, 182, 210}, {66, 188, 102},
	{219, 219, 141}, {140, 57, 197}, {202, 185, 52}, {51, 176, 203}, {200, 54, 131},
	{92, 193, 61}, {78, 71, 183}, {172, 114, 82}, {255, 127, 14}, {91, 163, 138},
	{153, 98, 156}, {140, 153, 101}, {158, 218, 229}, {100, 125, 154}, {178, 127, 135},
	{120, 185, 128}, {146, 111, 194}, {44, 160, 44}, {112, 128, 144}, {96, 207, 209},
	{227, 119, 194}, {213, 92, 176}, {94, 106, 211}, {82, 84, 163}, {100, 85, 144},
}

// NYUDPalette is the palette for NYUD class ids (0 = wall ... 39 =
// otherprop, the MTL label files' numbering, NYU40 id minus one): id k gets
// ScanNet's colour of NYU40 class k+1, so id 0 is (174, 199, 232). The
// 13-class setting uses the first 13 colours (its classes are not the
// NYU40 ones; the colours only tell regions apart). Ids 40..254 repeat the
// VOC palette's colours, and 255 (ignore) is black.
func NYUDPalette() Palette {
	p := VOCPalette()
	for i, c := range nyu40 {
		p[i] = color.RGBA{c[0], c[1], c[2], 255}
	}
	p[255] = color.RGBA{0, 0, 0, 255}
	return p
}

// PaletteFor returns the palette of a dataset's class maps: NYUDPalette for
// "nyud", VOCPalette otherwise (PASCAL).
func PaletteFor(dataset string) Palette {
	if dataset == "nyud" {
		return NYUDPalette()
	}
	return VOCPalette()
}

// Segmentation colours a class map (row-major, w x h) through pal. Ids
// outside 0..255 are drawn black.
func Segmentation(labels []int32, w, h int, pal Palette) *image.RGBA {
	check("Segmentation", 1, w, h, len(labels))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, l := range labels {
		c := color.RGBA{0, 0, 0, 255}
		if l >= 0 && l < 256 {
			c = pal[l]
		}
		setPix(m, i, c)
	}
	return m
}

// setPix stores c at pixel index i of m.
func setPix(m *image.RGBA, i int, c color.RGBA) {
	p := m.Pix[4*i : 4*i+4]
	p[0], p[1], p[2], p[3] = c.R, c.G, c.B, c.A
}

// check panics unless n == c*w*h with positive sizes: a mismatch is a
// programming error.
func check(op string, c, w, h, n int) {
	if w <= 0 || h <= 0 || n != c*w*h {
		panic(fmt.Sprintf("vis: %s: %d values for %d channel(s) of %dx%d", op, n, c, w, h))
	}
}
