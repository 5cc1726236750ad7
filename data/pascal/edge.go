package pascal

// Edges come from PASCAL-Context's LabelMap exactly as the multi-task
// codebases compute them (PASCALContext._load_edge in
// Multi-Task-Learning-PyTorch data/pascal_context.py, also MLoRE, InvPT):
//
//	edge = thin(abs(cv2.Laplacian(LabelMap, cv2.CV_64F)) > 0)
//
// that is:
//  1. the 4-neighbour Laplacian up + down + left + right - 4*centre of the
//     label ids (cv2's ksize=1 kernel), with cv2's default border
//     BORDER_REFLECT_101 (the pixel beyond the edge mirrors the one inside:
//     index -1 reads 1);
//  2. every pixel where it is non-zero is marked: in practice both sides of
//     a boundary between labels, a band two pixels wide (a pixel whose
//     neighbours' label differences cancel, e.g. 5 between 4 and 6 in a row
//     and equal above and below, is not marked);
//  3. the band is thinned to one pixel by skimage.morphology.thin, the
//     two-subiteration algorithm of Guo and Hall (1989), reproduced here
//     with the same lookup tables and the same zero border.

// laplacianMask marks the pixels of an h x w label map whose 4-neighbour
// Laplacian (reflect-101 border) is non-zero.
func laplacianMask(labels []int32, h, w int) []bool {
	out := make([]bool, h*w)
	for y := range h {
		up, down := reflect101(y-1, h), reflect101(y+1, h)
		for x := range w {
			left, right := reflect101(x-1, w), reflect101(x+1, w)
			c := int64(labels[y*w+x])
			s := int64(labels[up*w+x]) + int64(labels[down*w+x]) +
				int64(labels[y*w+left]) + int64(labels[y*w+right]) - 4*c
			out[y*w+x] = s != 0
		}
	}
	return out
}

// reflect101 maps index i in [-1, n] into [0, n) as BORDER_REFLECT_101.
func reflect101(i, n int) int {
	switch {
	case n == 1:
		return 0
	case i < 0:
		return -i
	case i >= n:
		return 2*n - 2 - i
	}
	return i
}

// The thinning lookup tables, indexed by the 8-neighbourhood code of a pixel:
// bit 0 east, 1 north-east, 2 north, 3 north-west, 4 west, 5 south-west,
// 6 south, 7 south-east (skimage's correlation mask
// [[8, 4, 2], [16, 0, 1], [32, 64, 128]]). A set entry deletes the pixel in
// that subiteration.
var thinLUT = buildThinLUTs()

// buildThinLUTs derives skimage's G123_LUT and G123P_LUT from Guo and Hall's
// conditions (skimage.morphology._skeletonize._generate_thin_luts).
func buildThinLUTs() [2][256]bool {
	var luts [2][256]bool
	for n := range 256 {
		b := func(i int) bool { return n>>(i%8)&1 == 1 }
		// G1: exactly one 4-connected transition around the pixel.
		c := 0
		for _, i := range []int{0, 2, 4, 6} {
			if !b(i) && (b(i+1) || b(i+2)) {
				c++
			}
		}
		// G2: 2 <= min(N1, N2) <= 3.
		n1, n2 := 0, 0
		for _, k := range []int{1, 3, 5, 7} {
			if b(k) || b(k-1) {
				n1++
			}
			if b(k) || b(k+1) {
				n2++
			}
		}
		g12 := c == 1 && min(n1, n2) >= 2 && min(n1, n2) <= 3
		// G3 (first subiteration) and G3' (second).
		g3 := !((b(1) || b(2) || !b(7)) && b(0))
		g3p := !((b(5) || b(6) || !b(3)) && b(4))
		luts[0][n] = g12 && g3
		luts[1][n] = g12 && g3p
	}
	return luts
}

// thin thins a binary h x w image in place, as skimage.morphology.thin:
// repeated pairs of parallel subiterations (each decides on the image as it
// was at its start) until a pair deletes nothing; pixels outside the image
// count as 0.
func thin(img []bool, h, w int) {
	code := make([]uint8, h*w)
	at := func(y, x int) uint8 {
		if y < 0 || y >= h || x < 0 || x >= w || !img[y*w+x] {
			return 0
		}
		return 1
	}
	for {
		deleted := false
		for _, lut := range thinLUT {
			for y := range h {
				for x := range w {
					if !img[y*w+x] {
						continue
					}
					code[y*w+x] = at(y, x+1) | at(y-1, x+1)<<1 | at(y-1, x)<<2 | at(y-1, x-1)<<3 |
						at(y, x-1)<<4 | at(y+1, x-1)<<5 | at(y+1, x)<<6 | at(y+1, x+1)<<7
				}
			}
			for i, on := range img {
				if on && lut[code[i]] {
					img[i] = false
					deleted = true
				}
			}
		}
		if !deleted {
			return
		}
	}
}

// edgesFromLabels returns the thinned label-boundary map (1 on edges) of an
// h x w label map.
func edgesFromLabels(labels []int32, h, w int) []float32 {
	m := laplacianMask(labels, h, w)
	thin(m, h, w)
	out := make([]float32, h*w)
	for i, on := range m {
		if on {
			out[i] = 1
		}
	}
	return out
}
