package metrics

// Morphological thinning to 1-pixel-wide, 8-connected lines: MATLAB's
// bwmorph(B, 'thin', Inf), the algorithm of Lam, Lee and Suen (1992,
// "Thinning Methodologies - A Comprehensive Survey", p. 879) that SEISM's
// read_one_cont_png and Dollar's edgesEvalImg apply to binary edge maps (the
// same lookup tables as skimage.morphology.thin).
//
// The neighbours x1..x8 of a pixel run counter-clockwise from the east:
// x1 = E, x2 = NE, x3 = N, x4 = NW, x5 = W, x6 = SW, x7 = S, x8 = SE; bit k-1
// of a neighbourhood code is x_k. One iteration is two subiterations; in each,
// every foreground pixel that satisfies G1, G2 and G3 (first) or G3' (second),
// judged on the image as it was at the start of the subiteration, is
// deleted. Iterations repeat until nothing changes. Pixels outside the image
// are background.

var thinLUT [2][256]bool

func init() {
	for n := 0; n < 256; n++ {
		var x [9]bool // x[1..8]
		for k := 1; k <= 8; k++ {
			x[k] = n>>(k-1)&1 == 1
		}
		nb := func(k int) bool { return x[(k-1)%8+1] }
		// G1: crossing number X_H(p) = 1.
		xh := 0
		for i := 1; i <= 4; i++ {
			if !nb(2*i-1) && (nb(2*i) || nb(2*i+1)) {
				xh++
			}
		}
		// G2: 2 <= min(n1, n2) <= 3.
		n1, n2 := 0, 0
		for k := 1; k <= 4; k++ {
			if nb(2*k-1) || nb(2*k) {
				n1++
			}
			if nb(2*k) || nb(2*k+1) {
				n2++
			}
		}
		m := min(n1, n2)
		g12 := xh == 1 && m >= 2 && m <= 3
		// G3: (x2 | x3 | !x8) & x1 = 0;  G3': (x6 | x7 | !x4) & x5 = 0.
		g3 := !((x[2] || x[3] || !x[8]) && x[1])
		g3p := !((x[6] || x[7] || !x[4]) && x[5])
		thinLUT[0][n] = g12 && g3
		thinLUT[1][n] = g12 && g3p
	}
}

// thinner thins binary maps held in a zero-padded (h+2) x (w+2) byte image,
// so that neighbour reads need no bounds checks.
type thinner struct {
	stride int
	img    []uint8 // 1 = foreground
	flag   []uint8 // bit s: re-examine in subiteration s
	del    []int32
	queue  [2][]int32
}

func (t *thinner) reset(h, w int) {
	t.stride = w + 2
	n := (h + 2) * (w + 2)
	if cap(t.img) < n {
		t.img = make([]uint8, n)
		t.flag = make([]uint8, n)
	}
	t.img, t.flag = t.img[:n], t.flag[:n]
	clear(t.img)
	clear(t.flag)
}

// pad converts a pixel index of the h x w image to the padded image.
func (t *thinner) pad(i, w int) int32 { return int32((i/w+1)*t.stride + i%w + 1) }

// unpad converts back.
func (t *thinner) unpad(p int32, w int) int32 {
	s := int32(t.stride)
	return (p/s-1)*int32(w) + p%s - 1
}

func (t *thinner) code(p int32) uint8 {
	s := int32(t.stride)
	im := t.img
	return im[p+1] | im[p-s+1]<<1 | im[p-s]<<2 | im[p-s-1]<<3 |
		im[p-1]<<4 | im[p+s-1]<<5 | im[p+s]<<6 | im[p+s+1]<<7
}

// thin sets the padded pixels pts, thins them, clears the image again and
// returns the surviving pixels, reusing pts' storage.
//
// The first iteration examines every pixel in both subiterations; after
// that a pixel is examined again in a subiteration only if a neighbour was
// deleted since it was last examined there, since the deletion rule reads
// nothing but the 3x3 neighbourhood. The result is that of the plain
// iteration.
func (t *thinner) thin(pts []int32) []int32 {
	for _, p := range pts {
		t.img[p] = 1
	}
	t.queue[0], t.queue[1] = t.queue[0][:0], t.queue[1][:0]
	for pass := 0; pass < 2; pass++ {
		t.subiteration(pts, pass, false)
	}
	for len(t.queue[0])+len(t.queue[1]) > 0 {
		for pass := 0; pass < 2; pass++ {
			q := t.queue[pass]
			t.queue[pass] = nil
			t.subiteration(q, pass, true)
			if t.queue[pass] == nil {
				t.queue[pass] = q[:0]
			}
		}
	}
	k := 0
	for _, p := range pts {
		t.flag[p] = 0
		if t.img[p] == 1 {
			pts[k] = p
			k++
		}
	}
	pts = pts[:k]
	for _, p := range pts {
		t.img[p] = 0
	}
	return pts
}

// subiteration deletes, among cand, the foreground pixels that the LUT of the
// pass marks, all judged before any is deleted, and flags their foreground
// neighbours for both subiterations. With flagged, only candidates whose flag
// for this pass is set are examined.
func (t *thinner) subiteration(cand []int32, pass int, flagged bool) {
	lut := &thinLUT[pass]
	bit := uint8(1) << pass
	t.del = t.del[:0]
	for _, p := range cand {
		if t.img[p] == 0 || (flagged && t.flag[p]&bit == 0) {
			continue
		}
		t.flag[p] &^= bit
		if lut[t.code(p)] {
			t.del = append(t.del, p)
		}
	}
	for _, p := range t.del {
		t.img[p] = 0
	}
	s := int32(t.stride)
	for _, p := range t.del {
		for _, q := range [8]int32{p + 1, p - s + 1, p - s, p - s - 1, p - 1, p + s - 1, p + s, p + s + 1} {
			if t.img[q] == 0 {
				continue
			}
			for b := 0; b < 2; b++ {
				if t.flag[q]&(1<<b) == 0 {
					t.flag[q] |= 1 << b
					t.queue[b] = append(t.queue[b], q)
				}
			}
		}
	}
}
