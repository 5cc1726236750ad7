package transform

import (
	"fmt"
	"math"

	"allnet/data"
)

// The resamplers map output pixel centres onto the input with
// src = (dst + 0.5) * in/out - 0.5 (half-pixel centres: OpenCV's INTER_LINEAR
// and PyTorch's align_corners=False, without antialiasing). Nearest picks the
// input pixel containing the mapped centre, floor((dst + 0.5) * in/out),
// which commutes with a horizontal flip. Masked resampling (depth, normals)
// keeps an output pixel invalid exactly when its nearest input pixel is
// invalid, and otherwise averages the valid bilinear neighbours with their
// weights renormalised, so invalid pixels never bleed into valid ones.
// (The NYUD loader's resizers, data/nyud/resize.go, follow the MTL loaders
// instead: cv2's nearest floor(dst * in/out) and a validity mask resized
// and thresholded at 0.5; they share only the bilinear rule with these.)
//
// Each resampler computes only a window of the resized map (a crop of it,
// possibly reaching past its borders into padding), so that scaling then
// cropping costs the size of the crop, not of the scaled image.

// window describes one output axis: output coordinate o is coordinate o+off
// of the input (size in) resized to size out; n outputs; coordinates outside
// [0, out) are padding.
type window struct{ in, out, off, n int }

// full is the whole resized axis.
func full(in, out int) window { return window{in, out, 0, out} }

// linear returns, per output coordinate, the two input coordinates and the
// weight of the second; i0 is -1 for padding.
func (a window) linear() (i0, i1 []int, f []float32) {
	i0, i1, f = make([]int, a.n), make([]int, a.n), make([]float32, a.n)
	r := float64(a.in) / float64(a.out)
	for o := range a.n {
		v := o + a.off
		if v < 0 || v >= a.out {
			i0[o] = -1
			continue
		}
		s := min(max((float64(v)+0.5)*r-0.5, 0), float64(a.in-1))
		k := int(s)
		i0[o], i1[o], f[o] = k, min(k+1, a.in-1), float32(s-float64(k))
	}
	return i0, i1, f
}

// nearest returns, per output coordinate, the nearest input coordinate, or
// -1 for padding.
func (a window) nearest() []int {
	idx := make([]int, a.n)
	r := float64(a.in) / float64(a.out)
	for o := range a.n {
		v := o + a.off
		if v < 0 || v >= a.out {
			idx[o] = -1
			continue
		}
		idx[o] = min(int((float64(v)+0.5)*r), a.in-1)
	}
	return idx
}

// resampleLinear resamples c planes of an (wy.in, wx.in) map bilinearly;
// padding gets pad[ch].
func resampleLinear(m []float32, c int, wy, wx window, pad func(ch int) float32) []float32 {
	ih, iw, h, w := wy.in, wx.in, wy.n, wx.n
	y0, y1, fy := wy.linear()
	x0, x1, fx := wx.linear()
	out := make([]float32, c*h*w)
	for ch := range c {
		src := m[ch*ih*iw : (ch+1)*ih*iw]
		dst := out[ch*h*w : (ch+1)*h*w]
		p := pad(ch)
		for y := range h {
			row := dst[y*w : (y+1)*w]
			if y0[y] < 0 {
				fill(row, p)
				continue
			}
			r0, r1, b := src[y0[y]*iw:(y0[y]+1)*iw], src[y1[y]*iw:(y1[y]+1)*iw], fy[y]
			for x := range row {
				i, j := x0[x], x1[x]
				if i < 0 {
					row[x] = p
					continue
				}
				a := fx[x]
				top := r0[i] + a*(r0[j]-r0[i])
				bot := r1[i] + a*(r1[j]-r1[i])
				row[x] = top + b*(bot-top)
			}
		}
	}
	return out
}

// resampleNearest resamples c planes with nearest neighbours; padding gets
// pad.
func resampleNearest[T int32 | float32](m []T, c int, wy, wx window, pad T) []T {
	ih, iw, h, w := wy.in, wx.in, wy.n, wx.n
	ys, xs := wy.nearest(), wx.nearest()
	out := make([]T, c*h*w)
	for k := range c {
		src, dst := m[k*ih*iw:(k+1)*ih*iw], out[k*h*w:(k+1)*h*w]
		for y := range h {
			row := dst[y*w : (y+1)*w]
			if ys[y] < 0 {
				fill(row, pad)
				continue
			}
			in := src[ys[y]*iw : (ys[y]+1)*iw]
			for x := range row {
				if xs[x] < 0 {
					row[x] = pad
				} else {
					row[x] = in[xs[x]]
				}
			}
		}
	}
	return out
}

// resampleMasked resamples c planes with the masked bilinear rule; valid[p]
// reports whether input pixel p (an index into one plane) holds data.
// Invalid outputs and padding are 0.
func resampleMasked(m []float32, c int, wy, wx window, valid []bool) []float32 {
	ih, iw, h, w := wy.in, wx.in, wy.n, wx.n
	y0, y1, fy := wy.linear()
	x0, x1, fx := wx.linear()
	ny, nx := wy.nearest(), wx.nearest()
	out := make([]float32, c*h*w)
	ihw, hw := ih*iw, h*w
	for y := range h {
		if ny[y] < 0 {
			continue
		}
		r0, r1, rn, b := y0[y]*iw, y1[y]*iw, ny[y]*iw, fy[y]
		for x := range w {
			if nx[x] < 0 || !valid[rn+nx[x]] {
				continue
			}
			a := fx[x]
			p00, p01, p10, p11 := r0+x0[x], r0+x1[x], r1+x0[x], r1+x1[x]
			w00, w01, w10, w11 := (1-a)*(1-b), a*(1-b), (1-a)*b, a*b
			if !valid[p00] {
				w00 = 0
			}
			if !valid[p01] {
				w01 = 0
			}
			if !valid[p10] {
				w10 = 0
			}
			if !valid[p11] {
				w11 = 0
			}
			inv := 1 / (w00 + w01 + w10 + w11)
			for ch := range c {
				src := m[ch*ihw : (ch+1)*ihw]
				var acc float32
				if w00 != 0 {
					acc += w00 * src[p00]
				}
				if w01 != 0 {
					acc += w01 * src[p01]
				}
				if w10 != 0 {
					acc += w10 * src[p10]
				}
				if w11 != 0 {
					acc += w11 * src[p11]
				}
				out[ch*hw+y*w+x] = acc * inv
			}
		}
	}
	return out
}

// resampleDepth is resampleMasked for depth (valid where > 0).
func resampleDepth(d []float32, wy, wx window) []float32 {
	valid := make([]bool, len(d))
	for p, v := range d {
		valid[p] = v > 0
	}
	return resampleMasked(d, 1, wy, wx, valid)
}

// resampleNormals is resampleMasked for normals (valid where not all zero),
// renormalising each valid output; where the average cancels (opposite
// neighbours) the nearest input vector is kept.
func resampleNormals(n []float32, wy, wx window) []float32 {
	ihw := wy.in * wx.in
	valid := make([]bool, ihw)
	for p := range valid {
		valid[p] = n[p] != 0 || n[ihw+p] != 0 || n[2*ihw+p] != 0
	}
	out := resampleMasked(n, 3, wy, wx, valid)
	ys, xs := wy.nearest(), wx.nearest()
	w, hw := wx.n, wy.n*wx.n
	for p := range hw {
		x, y, z := float64(out[p]), float64(out[hw+p]), float64(out[2*hw+p])
		l2 := x*x + y*y + z*z
		if l2 == 0 {
			continue // invalid or padding
		}
		if l2 < 1e-12 {
			q := ys[p/w]*wx.in + xs[p%w]
			x, y, z = float64(n[q]), float64(n[ihw+q]), float64(n[2*ihw+q])
			l2 = x*x + y*y + z*z
		}
		l := math.Sqrt(l2)
		out[p], out[hw+p], out[2*hw+p] = float32(x/l), float32(y/l), float32(z/l)
	}
	return out
}

func checkResize(op string, n, c, ih, iw, h, w int) {
	if ih <= 0 || iw <= 0 || h <= 0 || w <= 0 || n != c*ih*iw {
		panic(fmt.Sprintf("transform.%s: %d values for %d channels of %dx%d, resized to %dx%d", op, n, c, ih, iw, h, w))
	}
}

// ResizeImage returns im resized to h x w bilinearly (every channel).
func ResizeImage(im data.Image, h, w int) data.Image {
	checkResize("ResizeImage", len(im.Pix), im.C, im.H, im.W, h, w)
	pix := resampleLinear(im.Pix, im.C, full(im.H, h), full(im.W, w), func(int) float32 { return 0 })
	return data.Image{C: im.C, H: h, W: w, Pix: pix}
}

// ResizeLabels returns an (ih, iw) label map resized to h x w with nearest
// neighbours, so only the input's labels (and Ignore) occur.
func ResizeLabels(m []int32, ih, iw, h, w int) []int32 {
	checkResize("ResizeLabels", len(m), 1, ih, iw, h, w)
	return resampleNearest(m, 1, full(ih, h), full(iw, w), 0)
}

// ResizeNearest returns an (ih, iw) float map (edges, saliency) resized to
// h x w with nearest neighbours, so binary maps stay binary.
func ResizeNearest(m []float32, ih, iw, h, w int) []float32 {
	checkResize("ResizeNearest", len(m), 1, ih, iw, h, w)
	return resampleNearest(m, 1, full(ih, h), full(iw, w), 0)
}

// ResizeDepth returns an (ih, iw) depth map (metres, 0 or below = invalid)
// resized to h x w with the masked bilinear rule: invalid pixels stay
// invalid (0) and never lower their valid neighbours. Values are not
// rescaled (Scale divides them).
func ResizeDepth(d []float32, ih, iw, h, w int) []float32 {
	checkResize("ResizeDepth", len(d), 1, ih, iw, h, w)
	return resampleDepth(d, full(ih, h), full(iw, w))
}

// ResizeNormals returns a (3, ih, iw) normal map (all-zero = invalid)
// resized to h x w with the masked bilinear rule, each valid output
// renormalised to unit length.
func ResizeNormals(n []float32, ih, iw, h, w int) []float32 {
	checkResize("ResizeNormals", len(n), 3, ih, iw, h, w)
	return resampleNormals(n, full(ih, h), full(iw, w))
}

// resample replaces every task of a checked sample by the window (wy, wx) of
// its resized self: the image bilinearly, semseg and parts, edge and
// saliency with nearest neighbours, depth and normals with the masked rule;
// padding as in Crop.
func resample(s *data.Sample, wy, wx window) {
	s.Image = data.Image{C: 3, H: wy.n, W: wx.n,
		Pix: resampleLinear(s.Image.Pix, 3, wy, wx, func(ch int) float32 { return ImageNetMean[ch] })}
	if s.Semseg != nil {
		s.Semseg = resampleNearest(s.Semseg, 1, wy, wx, data.Ignore)
	}
	if s.Parts != nil {
		s.Parts = resampleNearest(s.Parts, 1, wy, wx, data.Ignore)
	}
	if s.Edge != nil {
		s.Edge = resampleNearest(s.Edge, 1, wy, wx, 0)
	}
	if s.Sal != nil {
		s.Sal = resampleNearest(s.Sal, 1, wy, wx, 0)
	}
	if s.Depth != nil {
		s.Depth = resampleDepth(s.Depth, wy, wx)
	}
	if s.Normals != nil {
		s.Normals = resampleNormals(s.Normals, wy, wx)
	}
}

// Resize resizes every task of s to h x w: the image bilinearly, semseg and
// parts, edge and saliency with nearest neighbours, depth and normals with
// the masked rule. Depth values are kept (see Scale).
func Resize(s *data.Sample, h, w int) error {
	if err := Check(s); err != nil {
		return err
	}
	if h <= 0 || w <= 0 {
		return fmt.Errorf("sample %q: resize to %dx%d: sizes must be positive", s.Name, h, w)
	}
	if s.H() == h && s.W() == w {
		return nil
	}
	resample(s, full(s.H(), h), full(s.W(), w))
	return nil
}
