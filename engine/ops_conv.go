package engine

import (
	"fmt"

	"allnet/engine/backend"
)

// ConvOptions are the attributes of Conv2d, each (rows, columns). The zero
// value is a plain convolution: stride 1, no padding, dilation 1, one group.
type ConvOptions struct {
	// Stride is the step between output pixels; a zero component means 1.
	Stride [2]int
	// Padding is the zero padding added on both sides.
	Padding [2]int
	// Dilation is the spacing between kernel taps; a zero component means 1.
	Dilation [2]int
	// Groups splits input and output channels into independent groups
	// (Groups == Cin is a depthwise convolution); 0 means 1.
	Groups int
}

// convColBudget caps the elements of the column buffer Conv2d holds at once:
// images are unfolded in chunks that fit (at least one image per chunk).
var convColBudget = 1 << 23

// Conv2d is torch.nn.functional.conv2d: x (N, Cin, H, W), w (Cout, Cin/G,
// KH, KW) and optional bias b (Cout) give (N, Cout, OH, OW) with
//
//	out[n, o, i, j] = b[o] + sum_{c, ki, kj} w[o, c, ki, kj] *
//	    x[n, g*Cin/G + c, i*SH - PH + ki*DH, j*SW - PW + kj*DW]
//
// where g = o / (Cout/G), reading zero outside the image, and
// OH = (H + 2PH - DH(KH-1) - 1)/SH + 1 (likewise OW).
//
// It unfolds x with Im2col into columns (N, G, Cin/G*KH*KW, L), L = OH*OW,
// and multiplies per image and group: out[n, g] (Cout/G, L) = W[g]
// (Cout/G, Cin/G*KH*KW) @ col[n, g]. That is 2*N*Cout*Cin/G*KH*KW*L flops,
// and a column buffer of Cin*KH*KW*L elements per image, unfolded a chunk
// of images at a time (at most convColBudget elements, at least one image)
// and not kept: the backward unfolds again. A 1x1 convolution with stride 1
// and no padding uses x itself as its columns.
//
// Backward: dW[g] = sum_n dOut[n, g] @ col[n, g]^T, dcol[n, g] =
// W[g]^T @ dOut[n, g] folded back with Col2im into dx, db = sum over N, OH,
// OW of dOut.
func Conv2d(x, w, b *Tensor, opts ConvOptions) *Tensor {
	p := newConvPlan(x, w, b, opts)
	n, cout, l := x.shape[0], p.cout, p.l
	out := x.like(n, cout, p.geom.OutH(), p.geom.OutW())
	beta := 0.0
	if b != nil {
		// Start from the broadcast bias and accumulate the products into it.
		sh := []int{n, cout, l}
		x.dev.Copy(backend.Contiguous(out.buf, sh), backend.Strided{Buf: b.buf, Strides: []int{0, 1, 0}}, sh, false)
		beta = 1
	}
	if dwc := p.depthwise(); dwc != nil {
		dwc.DepthwiseConv2d(out.buf, x.buf, w.buf, p.geom)
	} else {
		p.eachChunk(func(n0, nb int) {
			col, release := p.columns(x, n0, nb)
			defer release()
			// out[i, g] (Og, L) = W[g] (Og, CgKK) @ col[i, g] (CgKK, L)
			p.gemm(nb, false, false, p.og, l, p.ckk,
				mat{w.buf, 0, 0, p.og * p.ckk, p.ckk},
				col,
				mat{out.buf, n0 * cout * l, cout * l, p.og * l, l}, beta)
		})
	}
	addFLOPs(flopGemm, n, cout, p.ckk, l)
	record(out, "conv2d", []*Tensor{x, w, b}, func(dy *Tensor) []*Tensor {
		return p.backward(x, w, b, dy)
	})
	return out
}

// convPlan is a checked convolution: its geometry and per-group sizes.
type convPlan struct {
	dev       backend.Backend
	dtype     DType
	geom      backend.ConvGeom // N is the whole batch
	cin, cout int
	groups    int
	og, ckk   int  // output channels per group; rows of one group's columns
	l         int  // output pixels OH*OW
	pointwise bool // 1x1, stride 1, no padding: x is its own column buffer
	chunk     int  // images unfolded at a time
}

// mat locates matrix (i, g) of a buffer at off + i*si + g*sg, with leading
// dimension ld.
type mat struct {
	buf         backend.Buffer
	off, si, sg int
	ld          int
}

func newConvPlan(x, w, b *Tensor, o ConvOptions) *convPlan {
	x.mustFloat("Conv2d")
	if b != nil {
		sameDevice("Conv2d", x, w, b)
	} else {
		sameDevice("Conv2d", x, w)
	}
	one := func(v int) int {
		if v == 0 {
			return 1
		}
		return v
	}
	g := o.Groups
	if g == 0 {
		g = 1
	}
	sh, sw, dh, dw := one(o.Stride[0]), one(o.Stride[1]), one(o.Dilation[0]), one(o.Dilation[1])
	ph, pw := o.Padding[0], o.Padding[1]
	if sh < 0 || sw < 0 || dh < 0 || dw < 0 || ph < 0 || pw < 0 || g < 0 {
		panic(fmt.Sprintf("engine: Conv2d: bad options %+v for input %v and weight %v", o, x.shape, w.shape))
	}
	if len(x.shape) != 4 || len(w.shape) != 4 || x.Len() == 0 || w.Len() == 0 ||
		x.shape[1]%g != 0 || w.shape[0]%g != 0 || w.shape[1] != x.shape[1]/g {
		panic(fmt.Sprintf("engine: Conv2d: input %v with weight %v and %d groups (want (N, Cin, H, W) and (Cout, Cin/groups, KH, KW), Cin and Cout multiples of groups)",
			x.shape, w.shape, g))
	}
	if b != nil && (len(b.shape) != 1 || b.shape[0] != w.shape[0]) {
		panic(fmt.Sprintf("engine: Conv2d: bias %v for weight %v", b.shape, w.shape))
	}
	geom := backend.ConvGeom{N: x.shape[0], C: x.shape[1], H: x.shape[2], W: x.shape[3],
		KH: w.shape[2], KW: w.shape[3], SH: sh, SW: sw, PH: ph, PW: pw, DH: dh, DW: dw}
	if geom.H+2*ph < dh*(geom.KH-1)+1 || geom.W+2*pw < dw*(geom.KW-1)+1 {
		panic(fmt.Sprintf("engine: Conv2d: kernel %v (dilation %dx%d) larger than input %v padded by %dx%d",
			w.shape, dh, dw, x.shape, ph, pw))
	}
	p := &convPlan{dev: x.dev, dtype: x.dtype, geom: geom, cin: geom.C, cout: w.shape[0], groups: g,
		og: w.shape[0] / g, ckk: geom.C / g * geom.KH * geom.KW, l: geom.OutH() * geom.OutW()}
	p.pointwise = geom.KH == 1 && geom.KW == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0
	p.chunk = geom.N
	if !p.pointwise {
		p.chunk = max(1, min(geom.N, convColBudget/(geom.C*geom.KH*geom.KW*p.l)))
	}
	return p
}

// eachChunk calls fn for consecutive chunks [n0, n0+nb) of the batch.
func (p *convPlan) eachChunk(fn func(n0, nb int)) {
	for n0 := 0; n0 < p.geom.N; n0 += p.chunk {
		fn(n0, min(p.chunk, p.geom.N-n0))
	}
}

// columns returns the column matrices of images [n0, n0+nb) of x (matrix
// (i, g) is (CgKK, L)) and a function releasing any buffer allocated.
func (p *convPlan) columns(x *Tensor, n0, nb int) (mat, func()) {
	rows := p.cin * p.geom.KH * p.geom.KW
	if p.pointwise {
		return mat{x.buf, n0 * rows * p.l, rows * p.l, p.ckk * p.l, p.l}, func() {}
	}
	g := p.geom
	g.N = nb
	img, free := p.imageChunk(x.buf, n0, nb, false)
	col := p.dev.Alloc(p.dtype, nb*rows*p.l)
	p.dev.Im2col(col, img, g)
	free()
	return mat{col, 0, rows * p.l, p.ckk * p.l, p.l}, func() { p.dev.Free(col) }
}

// imageChunk returns a buffer holding images [n0, n0+nb) of the (N, Cin, H,
// W) buffer buf: buf itself for the whole batch, else a copy (or, with
// zero, a zeroed buffer) and a function releasing it.
func (p *convPlan) imageChunk(buf backend.Buffer, n0, nb int, zero bool) (backend.Buffer, func()) {
	if nb == p.geom.N {
		return buf, func() {}
	}
	size := nb * p.cin * p.geom.H * p.geom.W
	c := p.dev.Alloc(p.dtype, size)
	if !zero {
		p.dev.Copy(backend.Strided{Buf: c, Strides: []int{1}}, backend.Strided{Buf: buf, Off: n0 * size / nb, Strides: []int{1}}, []int{size}, false)
	}
	return c, func() { p.dev.Free(c) }
}

// gemm issues C[i, g] = op(A[i, g]) op(B[i, g]) + beta*C[i, g] for images
// i < nb and groups g: one batched Gemm per group, or per image when there
// are fewer images than groups. C[i, g] must be distinct matrices.
func (p *convPlan) gemm(nb int, transA, transB bool, m, n, k int, a, b, c mat, beta float64) {
	call := func(offA, offB, offC, batch, sa, sb, sc int) {
		p.dev.Gemm(backend.GemmArgs{TransA: transA, TransB: transB, M: m, N: n, K: k, Batch: batch, Alpha: 1, Beta: beta,
			A: a.buf, OffA: offA, LDA: a.ld, StrideA: sa,
			B: b.buf, OffB: offB, LDB: b.ld, StrideB: sb,
			C: c.buf, OffC: offC, LDC: c.ld, StrideC: sc})
	}
	if nb >= p.groups {
		for g := range p.groups {
			call(a.off+g*a.sg, b.off+g*b.sg, c.off+g*c.sg, nb, a.si, b.si, c.si)
		}
		return
	}
	for i := range nb {
		call(a.off+i*a.si, b.off+i*b.si, c.off+i*c.si, p.groups, a.sg, b.sg, c.sg)
	}
}

// backward returns the gradients of x, w and b given dy (N, Cout, OH, OW).
func (p *convPlan) backward(x, w, b, dy *Tensor) []*Tensor {
	var dx, dw, db *Tensor
	cout, l := p.cout, p.l
	if w.requiresGrad {
		dw = w.like(w.shape...)
	}
	if x.requiresGrad {
		dx = x.like(x.shape...)
	}
	if dwc := p.depthwise(); dwc != nil {
		dwc.DepthwiseConv2dBackward(bufOf(dx), bufOf(dw), x.buf, w.buf, dy.buf, p.geom)
	} else {
		p.gemmBackward(x, w, dy, dx, dw)
	}
	if b != nil && b.requiresGrad {
		db = b.like(cout)
		p.dev.Reduce(backend.ReduceSum, db.buf, []int{1, cout, 1}, dy.buf, []int{p.geom.N, cout, l})
	}
	return []*Tensor{dx, dw, db}
}

// gemmBackward accumulates dx and dw (either may be nil) for dy through
// Im2col/Col2im and one Gemm per group, a chunk of images at a time.
func (p *convPlan) gemmBackward(x, w, dy, dx, dw *Tensor) {
	cout, l, rows := p.cout, p.l, p.cin*p.geom.KH*p.geom.KW
	p.eachChunk(func(n0, nb int) {
		dyM := mat{dy.buf, n0 * cout * l, cout * l, p.og * l, l}
		if dw != nil {
			col, release := p.columns(x, n0, nb)
			for i := range nb {
				// dW[g] (Og, CgKK) += dy[i, g] (Og, L) @ col[i, g]^T (L, CgKK)
				a, bm := dyM, col
				a.off += i * a.si
				bm.off += i * bm.si
				p.gemm(1, false, true, p.og, p.ckk, l, a, bm, mat{dw.buf, 0, 0, p.og * p.ckk, p.ckk}, 1)
			}
			release()
		}
		if dx == nil {
			return
		}
		// dcol[i, g] (CgKK, L) = W[g]^T (CgKK, Og) @ dy[i, g] (Og, L)
		wM := mat{w.buf, 0, 0, p.og * p.ckk, p.ckk}
		if p.pointwise {
			p.gemm(nb, true, false, p.ckk, l, p.og, wM, dyM, mat{dx.buf, n0 * rows * l, rows * l, p.ckk * l, l}, 0)
			return
		}
		dcol := p.dev.Alloc(p.dtype, nb*rows*l)
		p.gemm(nb, true, false, p.ckk, l, p.og, wM, dyM, mat{dcol, 0, rows * l, p.ckk * l, l}, 0)
		img, free := p.imageChunk(dx.buf, n0, nb, true)
		g := p.geom
		g.N = nb
		p.dev.Col2im(img, dcol, g)
		p.dev.Free(dcol)
		if img != dx.buf {
			size := nb * p.cin * p.geom.H * p.geom.W
			p.dev.Copy(backend.Strided{Buf: dx.buf, Off: n0 * size / nb, Strides: []int{1}}, backend.Strided{Buf: img, Strides: []int{1}}, []int{size}, false)
		}
		free()
	})
}

// depthwise returns the device's direct depthwise convolution when the plan
// is one (groups = Cin = Cout) and the device has it, else nil.
func (p *convPlan) depthwise() backend.DepthwiseConv {
	if p.groups != p.cin || p.cout != p.cin || p.groups == 1 {
		return nil
	}
	d, _ := p.dev.(backend.DepthwiseConv)
	return d
}
