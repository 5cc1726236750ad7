package backend

import "fmt"

// GemmArgs describes a batch of matrix products
//
//	C[b] = Alpha * op(A[b]) * op(B[b]) + Beta * C[b],   b = 0..Batch-1
//
// where op(X) is X or X^T, op(A) is M x K, op(B) is K x N and C is M x N.
// Matrix b of A starts at OffA + b*StrideA and is row-major with leading
// dimension LDA (the distance between rows as stored, so LDA >= K when A is
// not transposed and LDA >= M when it is). A stride of zero shares one matrix
// across the batch. With Beta == 0, C is overwritten (its old contents,
// even NaN, are ignored).
type GemmArgs struct {
	TransA, TransB bool
	M, N, K        int
	Batch          int
	Alpha, Beta    float64

	A                  Buffer
	OffA, LDA, StrideA int
	B                  Buffer
	OffB, LDB, StrideB int
	C                  Buffer
	OffC, LDC, StrideC int
}

// Validate reports the first inconsistency of g: a negative size, a missing
// operand, a leading dimension below its matrix's width, or a matrix of the
// batch reaching past the end of its buffer. Backends panic with it,
// prefixed by their name and the op.
func (g GemmArgs) Validate() error {
	bad := g.M < 0 || g.N < 0 || g.K < 0 || g.Batch < 0 || g.A == nil || g.B == nil || g.C == nil
	colsA, colsB := g.K, g.N
	if g.TransA {
		colsA = g.M
	}
	if g.TransB {
		colsB = g.K
	}
	if bad || g.LDA < colsA || g.LDB < colsB || g.LDC < g.N {
		return fmt.Errorf("inconsistent arguments M=%d N=%d K=%d batch=%d lda=%d ldb=%d ldc=%d transA=%v transB=%v",
			g.M, g.N, g.K, g.Batch, g.LDA, g.LDB, g.LDC, g.TransA, g.TransB)
	}
	if g.Batch == 0 || g.M == 0 || g.N == 0 {
		return nil
	}
	rowsA, rowsB := g.M, g.K
	if g.TransA {
		rowsA = g.K
	}
	if g.TransB {
		rowsB = g.N
	}
	for _, m := range []struct {
		name                        string
		buf                         Buffer
		off, stride, rows, ld, cols int
	}{
		{"A", g.A, g.OffA, g.StrideA, rowsA, g.LDA, colsA},
		{"B", g.B, g.OffB, g.StrideB, rowsB, g.LDB, colsB},
		{"C", g.C, g.OffC, g.StrideC, g.M, g.LDC, g.N},
	} {
		if m.rows == 0 || m.cols == 0 {
			continue
		}
		last := m.off + (g.Batch-1)*m.stride + (m.rows-1)*m.ld + m.cols
		if m.off < 0 || last > m.buf.Len() {
			return fmt.Errorf("%s (offset %d, stride %d, %d x %d, ld %d) reaches element %d of a buffer of %d",
				m.name, m.off, m.stride, m.rows, m.cols, m.ld, last, m.buf.Len())
		}
	}
	return nil
}

// ConvGeom describes a 2-D convolution's patch layout for Im2col/Col2im.
//
// img is (N, C, H, W). col is (N, C*KH*KW, OH*OW): row c*KH*KW + ki*KW + kj
// holds img[n, c, oh*SH - PH + ki*DH, ow*SW - PW + kj*DW] at column oh*OW+ow,
// zero where that position falls outside the image.
type ConvGeom struct {
	N, C, H, W int
	KH, KW     int
	SH, SW     int
	PH, PW     int
	DH, DW     int
}

// OutH returns the output height (H + 2PH - DH(KH-1) - 1)/SH + 1.
func (g ConvGeom) OutH() int { return (g.H+2*g.PH-g.DH*(g.KH-1)-1)/g.SH + 1 }

// OutW returns the output width.
func (g ConvGeom) OutW() int { return (g.W+2*g.PW-g.DW*(g.KW-1)-1)/g.SW + 1 }

// PoolGeom describes average pooling of (N, C, H, W) to (N, C, OH, OW).
//
// With Adaptive set, output cell (i, j) averages rows
// [floor(i*H/OH), ceil((i+1)*H/OH)) and the matching columns, as PyTorch's
// adaptive_avg_pool2d; KH..PW are ignored. Otherwise window (i, j) covers rows
// i*SH-PH .. i*SH-PH+KH-1 (likewise columns) and the sum is divided by KH*KW
// (padding counts, PyTorch's count_include_pad=True default), with
// OH = (H + 2PH - KH)/SH + 1.
type PoolGeom struct {
	N, C, H, W int
	OH, OW     int
	Adaptive   bool
	KH, KW     int
	SH, SW     int
	PH, PW     int
}

// DCNv3Geom describes the DCNv3 core (InternImage's dcnv3_core).
//
// value is (N, H, W, G*D) channels-last; offset is (N, OH, OW, G*P*2) with the
// (x, y) pair of point p of group g at index (g*P + p)*2; mask is
// (N, OH, OW, G*P) (already normalised by the caller); out is
// (N, OH, OW, G*D). P = KH*KW and point p = i*KH + j with i over the kernel's
// x (columns, outer) and j over its y (rows, inner).
//
// For output pixel (oh, ow), with cx = DW*(KW-1)/2 and cy = DH*(KH-1)/2
// (integer division), point p samples value at
//
//	x = ow*SW - PW + cx + (i*DW - cx + off_x) * OffsetScale
//	y = oh*SH - PH + cy + (j*DH - cy + off_y) * OffsetScale
//
// in unpadded pixel coordinates, bilinearly; the point contributes only when
// -1 < x < W and -1 < y < H, and each of the four corners only when inside
// the image. out[n, oh, ow, g*D+d] = sum_p mask[g, p] * sample_p(channel g*D+d).
type DCNv3Geom struct {
	N, H, W     int
	OH, OW      int
	G, D        int
	KH, KW      int
	SH, SW      int
	PH, PW      int
	DH, DW      int
	OffsetScale float64
}

// P returns the number of sampling points per group, KH*KW.
func (g DCNv3Geom) P() int { return g.KH * g.KW }

// Check panics when the geometry is inconsistent.
func (g DCNv3Geom) Check() {
	if g.N <= 0 || g.H <= 0 || g.W <= 0 || g.G <= 0 || g.D <= 0 || g.KH <= 0 || g.KW <= 0 ||
		g.SH <= 0 || g.SW <= 0 || g.DH <= 0 || g.DW <= 0 || g.OH <= 0 || g.OW <= 0 {
		panic(fmt.Sprintf("dcnv3: bad geometry %+v", g))
	}
}

// AttnGeom describes scaled dot-product attention over Batch independent
// problems: q is (Batch, Lq, D), k is (Batch, Lk, D), v is (Batch, Lk, DV),
// out is (Batch, Lq, DV):
//
//	out = softmax(Scale * q k^T + bias) v
//
// bias (optional, nil for none) is additive, (BiasBatch, Lq, Lk) where problem
// b reads bias matrix b % BiasBatch (so BiasBatch 1 broadcasts one mask to all
// problems, and BiasBatch == heads broadcasts a per-head bias over images
// laid out as (images, heads)). A bias of -Inf masks a key; a row whose keys
// are all masked yields zeros.
type AttnGeom struct {
	Batch, Lq, Lk, D, DV int
	Scale                float64
	BiasBatch            int
}

// PSFGeom describes per-image convolution: x is (N, C, H, W), psf is
// (N, KH, KW), y is (N, C, H, W) with
//
//	y[n,c,h,w] = sum_{a,b} psf[n,a,b] * x[n, c, h - a + KH/2, w - b + KW/2]
//
// (a true convolution, kernel centre at (KH/2, KW/2)), reading zero outside
// the image.
type PSFGeom struct {
	N, C, H, W int
	KH, KW     int
}
