package nyud

import "math"

// The resizers work on channels-first float32 planes (or int32 label maps),
// row-major. Bilinear uses half-pixel centres, as cv2.resize(INTER_LINEAR) and
// torch's interpolate(align_corners=False) do: destination pixel d samples
// source coordinate s = (d + 0.5) * src/dst - 0.5, clamped to [0, src-1],
// between floor(s) and the next pixel (no antialiasing when shrinking).
// Nearest takes source pixel floor(d * src/dst), as cv2.resize(INTER_NEAREST)
// does. Resizing to the same size is the identity for both.
//
// data/transform resizes too, for augmentation, with the same bilinear rule
// but computed per output window with padding (this file resizes whole maps
// once per load, separably), and with other rules where the MTL loaders
// differ from it: its nearest neighbour is centre-aligned,
// floor((d + 0.5) * src/dst), where this one is cv2's floor(d * src/dst);
// and its masked depth and normals keep an output invalid exactly when its
// nearest input is, where these threshold the resized validity mask at
// maskThreshold. So the two are kept apart, each matching its reference.

// axis holds, for each destination index, the two source indices and the
// weight of the second.
type axis struct {
	i0, i1 []int
	f      []float32
}

func bilinearAxis(src, dst int) axis {
	a := axis{make([]int, dst), make([]int, dst), make([]float32, dst)}
	scale := float64(src) / float64(dst)
	for d := range dst {
		s := (float64(d)+0.5)*scale - 0.5
		s = max(s, 0)
		i0 := min(int(math.Floor(s)), src-1)
		a.i0[d], a.i1[d] = i0, min(i0+1, src-1)
		a.f[d] = float32(s - float64(i0))
	}
	return a
}

// resizeBilinear resizes c planes of h x w to H x W: each source row is
// resized horizontally once, then output rows blend two of those.
func resizeBilinear(src []float32, c, h, w, H, W int) []float32 {
	if h == H && w == W {
		return append([]float32(nil), src...)
	}
	ax, ay := bilinearAxis(w, W), bilinearAxis(h, H)
	out := make([]float32, c*H*W)
	rows := make([]float32, h*W)
	for k := range c {
		plane := src[k*h*w : (k+1)*h*w]
		for y := range h {
			s, r := plane[y*w:(y+1)*w], rows[y*W:(y+1)*W]
			for x := range r {
				a, b := s[ax.i0[x]], s[ax.i1[x]]
				r[x] = a + ax.f[x]*(b-a)
			}
		}
		dst := out[k*H*W : (k+1)*H*W]
		for y := range H {
			r0 := rows[ay.i0[y]*W : ay.i0[y]*W+W]
			r1 := rows[ay.i1[y]*W : ay.i1[y]*W+W]
			fy := ay.f[y]
			row := dst[y*W : (y+1)*W]
			for x := range row {
				row[x] = r0[x] + fy*(r1[x]-r0[x])
			}
		}
	}
	return out
}

func nearestIndex(src, dst int) []int {
	idx := make([]int, dst)
	for d := range dst {
		idx[d] = d * src / dst
	}
	return idx
}

// resizeNearest resizes c planes of h x w to H x W by nearest neighbour.
func resizeNearest[T int32 | float32](src []T, c, h, w, H, W int) []T {
	if h == H && w == W {
		return append([]T(nil), src...)
	}
	ix, iy := nearestIndex(w, W), nearestIndex(h, H)
	out := make([]T, c*H*W)
	for k := range c {
		for y := range H {
			s := src[k*h*w+iy[y]*w:]
			row := out[k*H*W+y*W : k*H*W+(y+1)*W]
			for x := range W {
				row[x] = s[ix[x]]
			}
		}
	}
	return out
}

// maskThreshold is the share of valid source weight a resized depth or
// normal needs to be valid.
const maskThreshold = 0.5

// resizeDepth resizes a depth map whose invalid pixels hold 0 (and only
// those: no NaN, infinity or negative value) without
// letting them leak into valid ones: it resizes depth*valid and the validity
// mask with the same bilinear weights and divides, so a valid output is a
// weighted mean of valid inputs only. An output pixel is valid when the
// resized mask exceeds maskThreshold (more than half its interpolation weight
// falls on valid pixels); otherwise it is 0 (invalid).
func resizeDepth(d []float32, h, w, H, W int) []float32 {
	mask := make([]float32, len(d))
	for i, v := range d {
		if v > 0 {
			mask[i] = 1
		}
	}
	num := resizeBilinear(d, 1, h, w, H, W) // invalid pixels are 0 already
	den := resizeBilinear(mask, 1, h, w, H, W)
	for i := range num {
		if den[i] > maskThreshold {
			num[i] /= den[i]
		} else {
			num[i] = 0
		}
	}
	return num
}

// resizeNormals resizes a (3, h, w) normal map whose invalid pixels are zero
// vectors: the vectors are interpolated bilinearly (zero vectors add
// nothing) and renormalised to unit length; an output pixel is valid, as for
// depth, when more than half its interpolation weight falls on valid pixels,
// and is the zero vector otherwise. Valid vectors come out unit length even
// when h, w = H, W.
func resizeNormals(n []float32, h, w, H, W int) []float32 {
	hw := h * w
	mask := make([]float32, hw)
	for i := range hw {
		if n[i] != 0 || n[hw+i] != 0 || n[2*hw+i] != 0 {
			mask[i] = 1
		}
	}
	out := resizeBilinear(n, 3, h, w, H, W)
	m := resizeBilinear(mask, 1, h, w, H, W)
	HW := H * W
	for i := range HW {
		x, y, z := float64(out[i]), float64(out[HW+i]), float64(out[2*HW+i])
		l := math.Sqrt(x*x + y*y + z*z)
		if m[i] > maskThreshold && l > 0 {
			out[i], out[HW+i], out[2*HW+i] = float32(x/l), float32(y/l), float32(z/l)
		} else {
			out[i], out[HW+i], out[2*HW+i] = 0, 0, 0
		}
	}
	return out
}
