package format

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"

	"allnet/data"
)

// MaxPixels bounds the width x height of an image the readers decode.
const MaxPixels = 1 << 27

// Gray is a single-channel image of raw stored values, row-major:
// Pix[y*W + x].
type Gray struct {
	W, H int
	// Depth is 8 or 16: the values lie in 0..2^Depth-1.
	Depth int
	Pix   []uint16
}

// ReadImage reads a PNG or JPEG file as an RGB image, channels-first, with
// values v/255 (8-bit files) or v/65535 (16-bit PNGs) in [0, 1]. Like PIL's
// convert("RGB"), which the reference loaders use, it accepts every colour
// type: gray is copied into the three channels, palette images give their
// palette colours, and alpha is dropped (colours are taken as stored, not
// composited). JPEG colour is converted as libjpeg does (see jpeg.go), so
// values agree with PIL's within 3/255. For label maps, where the stored
// numbers matter and not their colours, use ReadGray.
func ReadImage(path string) (data.Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return data.Image{}, err
	}
	return DecodeImage(path, b)
}

// DecodeImage is ReadImage on the bytes of a file; name labels errors.
func DecodeImage(name string, b []byte) (data.Image, error) {
	m, _, err := decode(name, b)
	if err != nil {
		return data.Image{}, err
	}
	return toRGB(m), nil
}

// ReadGray reads a single-channel PNG (or gray JPEG) as its stored values:
// palette images give their palette indices (never colours), 8-bit gray
// gives 0..255 and 16-bit gray 0..65535. Gray of 1, 2 or 4 bits comes back
// scaled to 0..255, as PIL's mode "L" gives it. An RGB(A) image is accepted
// only when every pixel has R = G = B (a gray map saved as colour, alpha
// ignored); any other colour image is an error naming what was found.
func ReadGray(path string) (Gray, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Gray{}, err
	}
	return DecodeGray(path, b)
}

// DecodeGray is ReadGray on the bytes of a file; name labels errors.
func DecodeGray(name string, b []byte) (Gray, error) {
	m, kind, err := decode(name, b)
	if err != nil {
		return Gray{}, err
	}
	r := m.Bounds()
	w, h := r.Dx(), r.Dy()
	g := Gray{W: w, H: h, Depth: 8, Pix: make([]uint16, w*h)}
	eq8 := func(pix []byte, stride, step int) bool {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				p := pix[y*stride+x*step:]
				if p[0] != p[1] || p[0] != p[2] {
					return false
				}
				g.Pix[y*w+x] = uint16(p[0])
			}
		}
		return true
	}
	eq16 := func(pix []byte, stride int) bool {
		g.Depth = 16
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				p := pix[y*stride+x*8:]
				v := binary.BigEndian.Uint16(p)
				if v != binary.BigEndian.Uint16(p[2:]) || v != binary.BigEndian.Uint16(p[4:]) {
					return false
				}
				g.Pix[y*w+x] = v
			}
		}
		return true
	}
	ok := true
	switch m := m.(type) {
	case *image.Paletted:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				g.Pix[y*w+x] = uint16(m.Pix[y*m.Stride+x])
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				g.Pix[y*w+x] = uint16(m.Pix[y*m.Stride+x])
			}
		}
	case *image.Gray16:
		g.Depth = 16
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				g.Pix[y*w+x] = binary.BigEndian.Uint16(m.Pix[y*m.Stride+2*x:])
			}
		}
	case *image.RGBA:
		ok = eq8(m.Pix, m.Stride, 4)
	case *image.NRGBA:
		ok = eq8(m.Pix, m.Stride, 4)
	case *image.RGBA64:
		ok = eq16(m.Pix, m.Stride)
	case *image.NRGBA64:
		ok = eq16(m.Pix, m.Stride)
	default:
		ok = false
	}
	if !ok {
		return Gray{}, fmt.Errorf("%s: expected a single-channel image (gray or palette), found %s with colour", name, kind)
	}
	return g, nil
}

// decode checks the header, bounds the size, then decodes the whole image. It
// returns the image and a description such as "a 16-bit gray PNG".
func decode(name string, b []byte) (image.Image, string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		if err == image.ErrFormat {
			return nil, "", fmt.Errorf("%s: expected a PNG or JPEG image, found neither (first bytes %q)", name, b[:min(len(b), 8)])
		}
		return nil, "", fmt.Errorf("%s: bad image header: %v", name, err)
	}
	if format != "png" && format != "jpeg" {
		return nil, "", fmt.Errorf("%s: expected a PNG or JPEG image, found %s", name, format)
	}
	w, h := int64(cfg.Width), int64(cfg.Height)
	if w <= 0 || h <= 0 || w*h > MaxPixels {
		return nil, "", fmt.Errorf("%s: image of %dx%d pixels: expected 1 to %d pixels", name, w, h, MaxPixels)
	}
	// The most a file can hold: the fewest bits per pixel the colour model
	// allows plus a filter byte per row, at deflate's maximal ratio (PNG);
	// JPEG gets the same generous bound.
	if raw := h * (1 + (w*minBits(cfg.ColorModel)+7)/8); raw > 1032*int64(len(b))+1024 {
		return nil, "", fmt.Errorf("%s: header claims %dx%d pixels, more than a %d-byte file can hold", name, w, h, len(b))
	}
	var m image.Image
	if format == "png" {
		m, err = png.Decode(bytes.NewReader(b))
	} else {
		m, err = jpeg.Decode(bytes.NewReader(b))
	}
	if err != nil {
		return nil, "", fmt.Errorf("%s: corrupt %s: %v", name, map[string]string{"png": "PNG", "jpeg": "JPEG"}[format], err)
	}
	return m, describe(m, format), nil
}

// minBits returns the fewest bits per pixel a PNG of this colour model
// stores (gray and palette images can have 1 bit per pixel).
func minBits(m color.Model) int64 {
	switch m {
	case color.Gray16Model, color.NRGBAModel: // 16-bit gray, 8-bit gray+alpha
		return 16
	case color.RGBAModel:
		return 24
	case color.NRGBA64Model: // 16-bit gray+alpha
		return 32
	case color.RGBA64Model:
		return 48
	}
	return 1
}

// describe names a decoded image's colour type, e.g. "a 16-bit gray PNG".
func describe(m image.Image, format string) string {
	if format == "jpeg" {
		switch m.(type) {
		case *image.Gray:
			return "a gray JPEG"
		case *image.CMYK:
			return "a CMYK JPEG"
		}
		return "a colour JPEG"
	}
	switch m.(type) {
	case *image.Gray:
		return "an 8-bit gray PNG"
	case *image.Gray16:
		return "a 16-bit gray PNG"
	case *image.Paletted:
		return "a palette PNG"
	case *image.RGBA:
		return "an 8-bit RGB PNG"
	case *image.NRGBA:
		return "an 8-bit RGBA (or gray+alpha) PNG"
	case *image.RGBA64:
		return "a 16-bit RGB PNG"
	case *image.NRGBA64:
		return "a 16-bit RGBA (or gray+alpha) PNG"
	}
	return "a PNG of type " + fmt.Sprintf("%T", m)
}

// toRGB converts any decoded image to channels-first RGB in [0, 1].
func toRGB(m image.Image) data.Image {
	r := m.Bounds()
	w, h := r.Dx(), r.Dy()
	u16 := func(p []byte) float32 { return float32(binary.BigEndian.Uint16(p)) / 65535 }
	var at func(x, y int) (r, g, b float32) // x, y relative to r.Min
	switch m := m.(type) {
	case *image.Gray:
		at = func(x, y int) (float32, float32, float32) {
			v := float32(m.Pix[y*m.Stride+x]) / 255
			return v, v, v
		}
	case *image.Gray16:
		at = func(x, y int) (float32, float32, float32) {
			v := u16(m.Pix[y*m.Stride+2*x:])
			return v, v, v
		}
	case *image.RGBA:
		at = func(x, y int) (float32, float32, float32) {
			p := m.Pix[y*m.Stride+4*x:]
			return float32(p[0]) / 255, float32(p[1]) / 255, float32(p[2]) / 255
		}
	case *image.NRGBA:
		at = func(x, y int) (float32, float32, float32) {
			p := m.Pix[y*m.Stride+4*x:]
			return float32(p[0]) / 255, float32(p[1]) / 255, float32(p[2]) / 255
		}
	case *image.RGBA64:
		at = func(x, y int) (float32, float32, float32) {
			p := m.Pix[y*m.Stride+8*x:]
			return u16(p), u16(p[2:]), u16(p[4:])
		}
	case *image.NRGBA64:
		at = func(x, y int) (float32, float32, float32) {
			p := m.Pix[y*m.Stride+8*x:]
			return u16(p), u16(p[2:]), u16(p[4:])
		}
	case *image.Paletted:
		pal := make([][3]float32, 256)
		for i, c := range m.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			pal[i] = [3]float32{float32(n.R) / 255, float32(n.G) / 255, float32(n.B) / 255}
		}
		at = func(x, y int) (float32, float32, float32) {
			c := pal[m.Pix[y*m.Stride+x]]
			return c[0], c[1], c[2]
		}
	default: // CMYK JPEG and anything else: straight (non-premultiplied) colours
		at = func(x, y int) (float32, float32, float32) {
			c := color.NRGBA64Model.Convert(m.At(x+r.Min.X, y+r.Min.Y)).(color.NRGBA64)
			return float32(c.R) / 65535, float32(c.G) / 65535, float32(c.B) / 65535
		}
	}
	out := data.NewImage(3, h, w)
	n := w * h
	R, G, B := out.Pix[:n], out.Pix[n:2*n], out.Pix[2*n:]
	if m, ok := m.(*image.YCbCr); ok {
		ycbcrToRGB(m, R, G, B)
		return out
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			R[i], G[i], B[i] = at(x, y)
		}
	}
	return out
}
