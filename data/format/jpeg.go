package format

import "image"

// JPEG colour, as libjpeg (and so PIL) decodes it: 4:2:2 and 4:2:0 chroma is
// upsampled with libjpeg's "fancy" triangular filter (jdsample.c,
// h2v1_fancy_upsample and h2v2_fancy_upsample) rather than Go's nearest
// neighbour, and YCbCr becomes RGB with jdcolor.c's fixed-point formulas.
// The remaining difference from PIL is the inverse DCT's rounding, a few
// levels in 255 at most. Other subsampling ratios use nearest neighbour.

// ycbcrToRGB converts a decoded JPEG to channels-first RGB in [0, 1].
func ycbcrToRGB(m *image.YCbCr, R, G, B []float32) {
	r := m.Bounds()
	w, h := r.Dx(), r.Dy()
	var cb, cr []uint8 // full-resolution chroma, or nil for nearest
	if r.Min == (image.Point{}) && w >= 2 {
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio422:
			cb, cr = upsampleH2V1(m.Cb, m.CStride, w, h), upsampleH2V1(m.Cr, m.CStride, w, h)
		case image.YCbCrSubsampleRatio420:
			if h >= 2 {
				cb, cr = upsampleH2V2(m.Cb, m.CStride, w, h), upsampleH2V2(m.Cr, m.CStride, w, h)
			}
		}
	}
	for y := range h {
		for x := range w {
			i := y*w + x
			var yy, u, v uint8
			if cb != nil {
				yy, u, v = m.Y[y*m.YStride+x], cb[i], cr[i]
			} else {
				ci := m.COffset(x+r.Min.X, y+r.Min.Y)
				yy, u, v = m.Y[m.YOffset(x+r.Min.X, y+r.Min.Y)], m.Cb[ci], m.Cr[ci]
			}
			R[i], G[i], B[i] = jpegRGB(yy, u, v)
		}
	}
}

// jpegRGB is libjpeg's YCbCr to RGB conversion (jdcolor.c, 16-bit fixed
// point), scaled to [0, 1].
func jpegRGB(y, cb, cr uint8) (float32, float32, float32) {
	yy, c1, c2 := int32(y), int32(cb)-128, int32(cr)-128
	return clamp255(yy + (91881*c2+32768)>>16),
		clamp255(yy + (-22554*c1-46802*c2+32768)>>16),
		clamp255(yy + (116130*c1+32768)>>16)
}

func clamp255(v int32) float32 {
	return float32(min(max(v, 0), 255)) / 255
}

// upsampleH2V1 doubles the width of a chroma plane (4:2:2) for a w x h image.
func upsampleH2V1(c []uint8, stride, w, h int) []uint8 {
	cw := (w + 1) / 2
	out := make([]uint8, w*h)
	row := make([]uint8, 2*cw)
	for y := range h {
		in := c[y*stride : y*stride+cw]
		for i := range cw {
			v := int(in[i]) * 3
			left, right := int(in[max(i-1, 0)]), int(in[min(i+1, cw-1)])
			row[2*i] = uint8((v + left + 1) >> 2)
			row[2*i+1] = uint8((v + right + 2) >> 2)
		}
		row[0], row[2*cw-1] = in[0], in[cw-1]
		copy(out[y*w:], row[:w])
	}
	return out
}

// upsampleH2V2 doubles both sizes of a chroma plane (4:2:0) for a w x h
// image. Edge rows and columns are replicated, as libjpeg does.
func upsampleH2V2(c []uint8, stride, w, h int) []uint8 {
	cw, ch := (w+1)/2, (h+1)/2
	out := make([]uint8, w*h)
	row := make([]uint8, 2*cw)
	sum := make([]int, cw)
	for y := range h {
		cy := y / 2
		ny := cy - 1 + 2*(y%2) // the nearer neighbouring chroma row
		ny = min(max(ny, 0), ch-1)
		for i := range cw {
			sum[i] = 3*int(c[cy*stride+i]) + int(c[ny*stride+i])
		}
		for i := range cw {
			s := 3 * sum[i]
			if i == 0 {
				row[0] = uint8((4*sum[0] + 8) >> 4)
			} else {
				row[2*i] = uint8((s + sum[i-1] + 8) >> 4)
			}
			if i == cw-1 {
				row[2*i+1] = uint8((4*sum[i] + 7) >> 4)
			} else {
				row[2*i+1] = uint8((s + sum[i+1] + 7) >> 4)
			}
		}
		copy(out[y*w:], row[:w])
	}
	return out
}
